package dev.iocp.bench.echo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The registry of echo servers the benchmark knows, by name.
 *
 * <p><b>Extension point for iocp.</b> The iocp transport is being written concurrently. When it exists, add one
 * class, {@value #IOCP_CLASS}, implementing {@link EchoServer} with a public no-arg constructor and
 * {@code name()} returning {@code "iocp"}; it is registered here automatically (by reflection, so this module
 * compiles before it exists) and becomes the server that {@code ratio_vs_nio}/{@code ratio_vs_nio2} are computed
 * for. Until then, the ratios are computed for the first server listed, and the output says so.
 */
public final class Servers {
    public static final String IOCP = "iocp";
    public static final String IOCP_CLASS = "dev.iocp.bench.echo.IocpEchoServer";

    private static final Map<String, Supplier<EchoServer>> REGISTRY = new LinkedHashMap<>();
    /** Declared before the static block that fills it. */
    private static final Map<String, String> UNAVAILABLE = new LinkedHashMap<>();

    static {
        registerIocpIfPresent();
        register("nio", NioEchoServer::new);
        register("nio2", Nio2EchoServer::new);
        // Netty's native Linux transports (bench-only dependencies). Not registered where they cannot run (Windows,
        // hence Wine; other CPU architectures; io_uring disabled); the reason is kept for the bench to print.
        registerIfAvailable(NettyEpollEchoServer.NAME, NettyEpollEchoServer.unavailabilityReason(), NettyEpollEchoServer::new);
        registerIfAvailable(NettyIoUringEchoServer.NAME, NettyIoUringEchoServer.unavailabilityReason(), NettyIoUringEchoServer::new);
    }

    private static void registerIfAvailable(String name, String unavailableBecause, Supplier<EchoServer> factory) {
        if (unavailableBecause == null) {
            register(name, factory);
        } else {
            UNAVAILABLE.put(name, unavailableBecause);
        }
    }

    /** Known servers that cannot run in this JVM, with the reason (empty when all can). */
    public static synchronized Map<String, String> unavailable() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(UNAVAILABLE));
    }

    private Servers() {}

    private static void registerIocpIfPresent() {
        final Class<?> c;
        try {
            c = Class.forName(IOCP_CLASS);
        } catch (ClassNotFoundException absent) {
            return; // not written yet: the benchmark runs nio / nio2 only
        }
        register(IOCP, () -> {
            try {
                return (EchoServer) c.getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot instantiate " + IOCP_CLASS, e);
            }
        });
    }

    /** Registers (or replaces) a server factory; tests use this for deliberately broken servers. */
    public static synchronized void register(String name, Supplier<EchoServer> factory) {
        REGISTRY.put(name, factory);
    }

    public static synchronized boolean isRegistered(String name) {
        return REGISTRY.containsKey(name);
    }

    /** Registered names, iocp first when present. */
    public static synchronized List<String> names() {
        return Collections.unmodifiableList(new ArrayList<>(REGISTRY.keySet()));
    }

    public static synchronized EchoServer create(String name) {
        Supplier<EchoServer> f = REGISTRY.get(name);
        if (f == null) {
            throw new IllegalArgumentException("unknown server '" + name + "', known: " + REGISTRY.keySet());
        }
        return f.get();
    }
}
