package dev.iocp.cli;

import dev.iocp.race.RaceTls;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code --tls [--cert FILE --key FILE]} for {@code echo} and {@code race}: a certificate from PEM files (chain,
 * then a PKCS#8 key, as OpenSSL writes them), or one generated at start-up with the JDK's own APIs (self-signed,
 * CN=localhost, SAN localhost / 127.0.0.1; its PEM is written to a temporary file a peer can trust). A client
 * side ({@code race client --tls}) trusts {@code --cert} (the server's certificate), and needs no key.
 */
final class TlsOption {
    boolean on;
    Path cert;
    Path key;

    /** Consumes {@code args[i]} if it is a TLS option; returns the index of the last argument consumed, or -1. */
    int parse(String[] args, int i) {
        switch (args[i]) {
            case "--tls" -> on = true;
            case "--cert" -> cert = Path.of(args[++i]);
            case "--key" -> key = Path.of(args[++i]);
            default -> {
                return -1;
            }
        }
        return i;
    }

    /** The server-and-client pair: from the files, or self-signed (its certificate's PEM file named on {@code err}). */
    RaceTls pair(PrintStream err) throws Exception {
        if (cert != null && key != null) {
            return RaceTls.fromPem(cert, key);
        }
        if (cert != null || key != null) {
            throw new IllegalArgumentException("--cert and --key go together (a server needs both)");
        }
        RaceTls tls = RaceTls.selfSigned();
        Path pem = Files.createTempFile("iocp-tls-", ".pem");
        Files.writeString(pem, tls.certificate());
        pem.toFile().deleteOnExit();
        err.println("tls: self-signed certificate (CN=localhost, SAN localhost, 127.0.0.1) in " + pem);
        return tls;
    }

    /** A client side that trusts {@code --cert}. */
    RaceTls clientTrustingCert() throws Exception {
        if (cert == null) {
            throw new IllegalArgumentException("race client --tls needs --cert FILE: the server's certificate to trust"
                    + " (race server --tls names the file it generated)");
        }
        java.util.Collection<? extends java.security.cert.Certificate> chain = java.security.cert.CertificateFactory
                .getInstance("X.509").generateCertificates(Files.newInputStream(cert));
        javax.net.ssl.SSLContext client = dev.iocp.transport.tls.TlsContexts.create(null, null,
                chain.stream().map(c -> (java.security.cert.X509Certificate) c).toList(), null);
        return new RaceTls(null, dev.iocp.transport.tls.TlsConfig.client(client).withServerName("localhost"),
                Files.readString(cert));
    }
}
