package dev.iocp.core.backend;

import java.util.Locale;

/**
 * Which backend a loop uses. {@code -Diocp.backend=win32|io_uring|simulated} overrides; otherwise Windows → win32,
 * Linux → io_uring when it exists. Asking for a backend that can't run here fails with a message saying why.
 */
public final class Backends {
    public static final String PROPERTY = "iocp.backend";

    private Backends() {}

    public static BackendFactory defaultFactory() {
        String chosen = System.getProperty(PROPERTY);
        if (chosen == null) {
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            chosen = os.startsWith("windows") ? "win32" : "io_uring";
        }
        return byName(chosen);
    }

    public static BackendFactory byName(String name) {
        switch (name) {
            case "win32":
                return reflectiveFactory("dev.iocp.core.backend.win32.Win32Backend");
            case "io_uring":
                return reflectiveFactory("dev.iocp.core.backend.uring.IoUringBackend");
            case "simulated":
                return dev.iocp.core.backend.sim.SimulatedBackend::new;
            default:
                throw new IllegalArgumentException("unknown backend '" + name + "' (" + PROPERTY
                        + " takes win32, io_uring or simulated)");
        }
    }

    /** Loaded by name so that iocp-core's other backends don't link the Windows (or Linux) bindings early. */
    private static BackendFactory reflectiveFactory(String className) {
        return () -> {
            Class<?> c;
            try {
                c = Class.forName(className);
            } catch (ClassNotFoundException e) {
                throw new UnsupportedOperationException("backend " + className + " is not part of this build", e);
            }
            try {
                return (Backend) c.getConstructor().newInstance();
            } catch (java.lang.reflect.InvocationTargetException e) {
                // Surface the backend's own reason (e.g. why io_uring is unavailable), not the reflection wrapper.
                Throwable cause = e.getCause();
                if (cause instanceof Exception ex) {
                    throw ex;
                }
                throw e;
            }
        };
    }
}
