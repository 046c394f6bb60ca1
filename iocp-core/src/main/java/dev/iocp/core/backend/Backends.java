package dev.iocp.core.backend;

import java.util.Locale;

/**
 * Which backend a loop uses. {@code -Diocp.backend=win32|io_uring|simulated} overrides; otherwise Windows → win32,
 * Linux → io_uring when it exists. Asking for a backend that can't run here fails with a message saying why.
 */
public final class Backends {
    /** The system property that picks the backend by name: {@value}. */
    public static final String PROPERTY = "iocp.backend";

    private Backends() {}

    /**
     * The factory for this process's backend: the one {@value #PROPERTY} names, else the platform's.
     *
     * @return the factory (the backend itself is made, and may fail, when a loop starts)
     * @throws IllegalArgumentException if {@value #PROPERTY} names no backend
     */
    public static BackendFactory defaultFactory() {
        String chosen = System.getProperty(PROPERTY);
        if (chosen == null) {
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            chosen = os.startsWith("windows") ? "win32" : "io_uring";
        }
        return byName(chosen);
    }

    /**
     * The factory for a backend by name. The lambdas name their class only in their bodies, so a backend's class
     * (and its native bindings) is loaded when a loop first creates one, never by merely asking for another backend.
     *
     * @param name "win32", "io_uring" or "simulated"
     * @return its factory
     * @throws IllegalArgumentException for any other name
     */
    public static BackendFactory byName(String name) {
        switch (name) {
            case "win32":
                return () -> new dev.iocp.core.backend.win32.Win32Backend();
            case "io_uring":
                return () -> new dev.iocp.core.backend.uring.IoUringBackend();
            case "simulated":
                return dev.iocp.core.backend.sim.SimulatedBackend::new;
            default:
                throw new IllegalArgumentException("unknown backend '" + name + "' (" + PROPERTY
                        + " takes win32, io_uring or simulated)");
        }
    }
}
