package dev.iocp.race;

import dev.iocp.transport.tls.SelfSignedCertificate;
import dev.iocp.transport.tls.TlsConfig;
import dev.iocp.transport.tls.TlsContexts;

import javax.net.ssl.SSLContext;
import java.nio.file.Path;

/**
 * The TLS pair the race (and {@code iocp echo --tls}) runs with: a server config with a certificate and a client
 * config that trusts exactly that certificate and verifies the name "localhost" against it.
 *
 * @param server the server side
 * @param client the client side
 * @param certificate the certificate in PEM (for a peer in another process or language to trust)
 */
public record RaceTls(TlsConfig server, TlsConfig client, String certificate) {

    /**
     * A self-signed certificate generated now (CN=localhost, SAN localhost and 127.0.0.1; EC P-256).
     *
     * @return the pair
     * @throws Exception if the JDK cannot make the key, the certificate or the contexts
     */
    public static RaceTls selfSigned() throws Exception {
        SelfSignedCertificate cert = SelfSignedCertificate.generate("localhost", null);
        SSLContext server = TlsContexts.forCertificate(cert, null);
        SSLContext client = TlsContexts.trusting(cert.certificate(), null);
        return new RaceTls(TlsConfig.server(server), TlsConfig.client(client).withServerName("localhost"),
                cert.certificatePem());
    }

    /**
     * A certificate chain and key from PEM files ({@code --cert} / {@code --key}); the client side trusts the
     * chain's certificates.
     *
     * @param certFile the chain (leaf first)
     * @param keyFile the PKCS#8 private key
     * @return the pair
     * @throws Exception if a file cannot be read or does not hold what it should
     */
    public static RaceTls fromPem(Path certFile, Path keyFile) throws Exception {
        SSLContext server = TlsContexts.fromPem(certFile, keyFile, null);
        java.util.Collection<? extends java.security.cert.Certificate> chain = java.security.cert.CertificateFactory
                .getInstance("X.509").generateCertificates(java.nio.file.Files.newInputStream(certFile));
        SSLContext client = TlsContexts.create(null, null,
                chain.stream().map(c -> (java.security.cert.X509Certificate) c).toList(), null);
        return new RaceTls(TlsConfig.server(server), TlsConfig.client(client).withServerName("localhost"),
                java.nio.file.Files.readString(certFile));
    }
}
