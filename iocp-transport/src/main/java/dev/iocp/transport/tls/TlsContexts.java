package dev.iocp.transport.tls;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;

/**
 * {@link SSLContext}s from keys and certificates in memory or in PEM files, with in-memory PKCS#12 key stores (no
 * file, no password to manage). The JDK's default key and trust manager algorithms (PKIX) are used.
 */
public final class TlsContexts {
    private static final char[] NO_PASSWORD = new char[0];

    private TlsContexts() {}

    /**
     * A context with a key (for a server, or a client that authenticates) and trust in the given certificates only.
     *
     * @param chain the certificate chain, leaf first; null: no key (a client that does not authenticate)
     * @param key its private key (null with a null chain)
     * @param trusted the certificates to trust as anchors; empty: the JDK's default trust store
     * @param random the context's randomness (null: the JDK's default)
     * @return an initialized "TLS" context
     * @throws GeneralSecurityException if the key store or the managers cannot be made
     */
    public static SSLContext create(X509Certificate[] chain, PrivateKey key, Collection<X509Certificate> trusted,
                                    SecureRandom random) throws GeneralSecurityException {
        try {
            KeyManagerFactory kmf = null;
            if (chain != null) {
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                ks.setKeyEntry("key", key, NO_PASSWORD, chain);
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, NO_PASSWORD);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (trusted.isEmpty()) {
                tmf.init((KeyStore) null);
            } else {
                KeyStore ts = KeyStore.getInstance("PKCS12");
                ts.load(null, null);
                int i = 0;
                for (X509Certificate c : trusted) {
                    ts.setCertificateEntry("trusted-" + i++, c);
                }
                tmf.init(ts);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), random);
            return ctx;
        } catch (IOException e) {
            throw new GeneralSecurityException("in-memory key store: " + e.getMessage(), e);
        }
    }

    /**
     * A server context for a self-signed certificate (that also trusts it, for client authentication by the same
     * certificate).
     *
     * @param cert the certificate and key
     * @param random the context's randomness (null: the JDK's default)
     * @return the context
     * @throws GeneralSecurityException if it cannot be made
     */
    public static SSLContext forCertificate(SelfSignedCertificate cert, SecureRandom random)
            throws GeneralSecurityException {
        return create(new X509Certificate[] {cert.certificate()}, cert.privateKey(),
                java.util.List.of(cert.certificate()), random);
    }

    /**
     * A client context that trusts exactly {@code cert} (and presents nothing).
     *
     * @param cert the certificate to trust
     * @param random the context's randomness (null: the JDK's default)
     * @return the context
     * @throws GeneralSecurityException if it cannot be made
     */
    public static SSLContext trusting(X509Certificate cert, SecureRandom random) throws GeneralSecurityException {
        return create(null, null, java.util.List.of(cert), random);
    }

    /**
     * A context from PEM files, as OpenSSL writes them: a certificate chain ("BEGIN CERTIFICATE", leaf first) and
     * its private key, PKCS#8 ("BEGIN PRIVATE KEY", EC or RSA, unencrypted). The chain's certificates are also
     * trusted (for client authentication with the same certificate).
     *
     * @param certificates the chain's file
     * @param privateKey the key's file
     * @param random the context's randomness (null: the JDK's default)
     * @return the context
     * @throws IOException if a file cannot be read
     * @throws GeneralSecurityException if a file does not hold what it should (the message says which)
     */
    public static SSLContext fromPem(Path certificates, Path privateKey, SecureRandom random)
            throws IOException, GeneralSecurityException {
        Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(certificates)));
        if (certs.isEmpty()) {
            throw new GeneralSecurityException(certificates + ": no certificate");
        }
        X509Certificate[] chain = certs.stream().map(c -> (X509Certificate) c).toArray(X509Certificate[]::new);
        PrivateKey key = readPrivateKey(privateKey);
        return create(chain, key, java.util.List.of(chain), random);
    }

    /**
     * Reads a PKCS#8 private key ("BEGIN PRIVATE KEY"), EC or RSA.
     *
     * @param file the PEM file
     * @return the key
     * @throws IOException if it cannot be read
     * @throws GeneralSecurityException if it holds no unencrypted PKCS#8 EC or RSA key
     */
    public static PrivateKey readPrivateKey(Path file) throws IOException, GeneralSecurityException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        String begin = "-----BEGIN PRIVATE KEY-----";
        int b = text.indexOf(begin);
        int e = text.indexOf("-----END PRIVATE KEY-----");
        if (b < 0 || e < b) {
            throw new GeneralSecurityException(file + ": no \"BEGIN PRIVATE KEY\" block (an unencrypted PKCS#8 key;"
                    + " convert with: openssl pkcs8 -topk8 -nocrypt)");
        }
        byte[] der = Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e));
        for (String alg : new String[] {"EC", "RSA"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (InvalidKeySpecException ignored) {
                // try the next algorithm
            }
        }
        throw new GeneralSecurityException(file + ": the key is neither EC nor RSA");
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
