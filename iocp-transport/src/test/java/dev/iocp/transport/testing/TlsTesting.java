package dev.iocp.transport.testing;

import dev.iocp.transport.tls.SelfSignedCertificate;
import dev.iocp.transport.tls.TlsConfig;
import dev.iocp.transport.tls.TlsContexts;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import java.security.GeneralSecurityException;

/**
 * TLS fixtures for the suites: one self-signed certificate per JVM (CN=localhost, SAN localhost / 127.0.0.1), a
 * server context with it, a client context that trusts exactly it, and a second, unrelated certificate for the
 * "untrusted" cases.
 */
public final class TlsTesting {
    private static SelfSignedCertificate cert;
    private static SelfSignedCertificate other;

    private TlsTesting() {}

    public static synchronized SelfSignedCertificate certificate() {
        if (cert == null) {
            cert = generate("localhost");
        }
        return cert;
    }

    /** A certificate nobody trusts here. */
    public static synchronized SelfSignedCertificate otherCertificate() {
        if (other == null) {
            other = generate("stranger");
        }
        return other;
    }

    private static SelfSignedCertificate generate(String cn) {
        try {
            return SelfSignedCertificate.generate(cn, null);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static SSLContext serverContext() {
        try {
            return TlsContexts.forCertificate(certificate(), null);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static SSLContext clientContext() {
        try {
            return TlsContexts.trusting(certificate().certificate(), null);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Our server side. */
    public static TlsConfig server() {
        return TlsConfig.server(serverContext());
    }

    /** Our client side, verifying "localhost". */
    public static TlsConfig client() {
        return TlsConfig.client(clientContext()).withServerName("localhost");
    }

    /** A peer's engine: the JDK's, driven by the test. */
    public static SSLEngine peerEngine(boolean client, String... protocols) {
        SSLEngine e = client ? clientContext().createSSLEngine("localhost", 443) : serverContext().createSSLEngine();
        e.setUseClientMode(client);
        if (protocols.length > 0) {
            e.setEnabledProtocols(protocols);
        }
        return e;
    }
}
