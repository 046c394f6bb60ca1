package dev.iocp.bench.echo;

import java.util.Locale;
import java.util.concurrent.Callable;

/** Whether Netty's native Linux transports can run in this JVM, and if not, a reason a person can act on. */
final class NettyAvailability {
    private NettyAvailability() {}

    static String check(Callable<String> probe) {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux")) {
            return "Netty's epoll/io_uring transports are Linux-only native libraries (linux-x86_64 .so); this JVM runs on "
                    + System.getProperty("os.name") + " (under Wine the JVM is a Windows JVM, so they cannot load)";
        }
        if (!"amd64".equals(System.getProperty("os.arch")) && !"x86_64".equals(System.getProperty("os.arch"))) {
            return "only the linux-x86_64 natives are bundled; this JVM is " + System.getProperty("os.arch");
        }
        try {
            return probe.call();
        } catch (Throwable t) { // UnsatisfiedLinkError, seccomp-blocked io_uring, ...
            Throwable root = t;
            while (root.getCause() != null && root.getCause() != root) root = root.getCause();
            return "native transport unavailable: " + root;
        }
    }
}
