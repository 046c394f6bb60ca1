package dev.iocp.transport.testing;

import dev.iocp.transport.tls.SelfSignedCertificate;
import dev.iocp.transport.tls.TlsConfig;
import dev.iocp.transport.tls.TlsContexts;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.SecureRandomSpi;
import java.security.Security;

/**
 * TLS fixtures for the suites: one self-signed certificate per JVM (CN=localhost, SAN localhost / 127.0.0.1), a
 * server context with it, a client context that trusts exactly it, and a second, unrelated certificate for the
 * "untrusted" cases.
 *
 * <p>Under Wine the JDK's default SecureRandom seeds itself from {@code NetworkInterface}, which crashes the Windows
 * JVM (Wine fact 12); and JSSE draws from {@code new SecureRandom()} in places (signatures) whatever random the
 * context was given. So under Wine a first-priority provider serves SecureRandom from the host's
 * {@code /dev/urandom} (Wine's Z: drive), for the whole JVM — test code only; a Windows host needs none of it.
 */
public final class TlsTesting {
    private static SelfSignedCertificate cert;
    private static SelfSignedCertificate other;

    private TlsTesting() {}

    /** True on a Windows JVM under Wine (the host's /dev/urandom is visible through Z:). */
    public static boolean underWine() {
        if (!System.getProperty("os.name", "").startsWith("Windows")) {
            return false;
        }
        // File.exists() says false for a device under Wine: open it instead (only Wine maps the host's / to Z:).
        try (InputStream in = new FileInputStream("Z:\\dev\\urandom")) {
            return in.read() >= 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** Installs the Wine SecureRandom provider (once) when under Wine; elsewhere does nothing. */
    public static synchronized void installWineRandomIfNeeded() {
        if (underWine() && Security.getProvider("WineUrandom") == null) {
            Security.insertProviderAt(new UrandomProvider(), 1);
        }
    }

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
        installWineRandomIfNeeded();
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

    static final class UrandomProvider extends Provider {
        UrandomProvider() {
            super("WineUrandom", "1.0", "SecureRandom from the host's /dev/urandom (tests under Wine only)");
            putService(new Service(this, "SecureRandom", "WineUrandom", UrandomSpi.class.getName(), null, null));
        }
    }

    /** Reads the Linux host's /dev/urandom through Wine's Z: drive. */
    public static final class UrandomSpi extends SecureRandomSpi {
        @Override
        protected void engineSetSeed(byte[] seed) {
            // the kernel's pool needs no seed from us
        }

        @Override
        protected void engineNextBytes(byte[] bytes) {
            try (InputStream in = new FileInputStream("Z:\\dev\\urandom")) {
                int off = 0;
                while (off < bytes.length) {
                    int n = in.read(bytes, off, bytes.length - off);
                    if (n < 0) {
                        throw new IOException("EOF");
                    }
                    off += n;
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read Z:\\dev\\urandom", e);
            }
        }

        @Override
        protected byte[] engineGenerateSeed(int n) {
            byte[] b = new byte[n];
            engineNextBytes(b);
            return b;
        }
    }

}
