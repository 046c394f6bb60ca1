package dev.iocp.cli;

import dev.iocp.core.win32.Wine;
import dev.iocp.core.win32.Winsock;

import java.util.Locale;

/**
 * {@code iocp doctor} (alias {@code version}): what this process runs on — the JVM, the OS, and on Windows the
 * Winsock version WSAStartup negotiated. It never crashes on a missing piece: it prints what went wrong instead,
 * so it is the first thing to run when something does not work.
 */
final class Doctor {
    private Doctor() {}

    static int run(String[] args) {
        if (args.length != 0) {
            System.err.println("usage: iocp doctor");
            return Main.USAGE;
        }
        line("java.version", System.getProperty("java.version"));
        line("java.vendor", System.getProperty("java.vendor"));
        line("java.home", System.getProperty("java.home"));
        line("os.name", System.getProperty("os.name"));
        line("os.version", System.getProperty("os.version"));
        line("os.arch", System.getProperty("os.arch"));
        line("processors", Integer.toString(Runtime.getRuntime().availableProcessors()));
        line("winsock", winsock());
        line("wine", Wine.underWine() ? "yes (a Windows JVM under Wine)" : "no");
        line("backend", backend());
        if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows")) {
            line("completions", skipOnSuccess());
        }
        return Main.OK;
    }

    /**
     * Whether the Win32 backend puts its sockets in FILE_SKIP_COMPLETION_PORT_ON_SUCCESS mode here: it is on unless
     * turned off, and then applies to a socket whose provider makes IFS handles (asked of one TCP socket).
     */
    private static String skipOnSuccess() {
        try (dev.iocp.core.backend.win32.Win32Backend b = new dev.iocp.core.backend.win32.Win32Backend()) {
            if (!b.skipCompletionPortOnSuccess()) {
                return "all through the port (-D" + dev.iocp.core.backend.win32.Win32Backend.SKIP_PROPERTY + "=false)";
            }
            long s = b.openTcpSocket(false);
            boolean on = b.skipsPortOnSuccess(s);
            b.close(s, true);
            return on ? "through the port, immediate successes inline (FILE_SKIP_COMPLETION_PORT_ON_SUCCESS)"
                    : "all through the port: the TCP provider here does not make IFS handles (a layered provider?)";
        } catch (Throwable e) {
            return "unknown: " + e;
        }
    }

    private static String winsock() {
        String os = System.getProperty("os.name", "");
        if (!os.toLowerCase(Locale.ROOT).startsWith("windows")) {
            return "not available (" + os + " is not Windows)";
        }
        try {
            return Winsock.startup().toString();
        } catch (Throwable e) { // doctor reports, it does not crash: linkage errors included
            return "error: " + e;
        }
    }

    /** The backend a loop would get here, and whether it starts (one loop is created and shut down). */
    private static String backend() {
        String name = System.getProperty(dev.iocp.core.backend.Backends.PROPERTY);
        try {
            dev.iocp.core.backend.Backend b = dev.iocp.core.backend.Backends.defaultFactory().newBackend();
            String n = b.name();
            b.close();
            return n + " (starts; " + (name == null ? "platform default" : "-D" + dev.iocp.core.backend.Backends.PROPERTY
                    + "=" + name) + ")";
        } catch (Throwable e) {
            return "unavailable: " + e;
        }
    }

    private static void line(String key, String value) {
        System.out.printf("%-13s %s%n", key, value);
    }
}
