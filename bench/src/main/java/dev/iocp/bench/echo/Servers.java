package dev.iocp.bench.echo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The registry of echo servers the benchmark knows, by name. iocp comes first: the {@code ratio_vs_...} lines are
 * computed for it.
 */
public final class Servers {
    public static final String IOCP = "iocp";

    private static final Map<String, Supplier<EchoServer>> REGISTRY = new LinkedHashMap<>();
    /** Declared before the static block that fills it. */
    private static final Map<String, String> UNAVAILABLE = new LinkedHashMap<>();
    /** Registered, but run only when named in {@code --servers} (variants of a server, for a one-run comparison). */
    private static final java.util.Set<String> OPT_IN = new java.util.HashSet<>();

    static {
        register(IOCP, IocpEchoServer::new);
        register(IocpEchoServer.BUFFERED_NAME, IocpEchoServer::buffered);
        OPT_IN.add(IocpEchoServer.BUFFERED_NAME);
        register("nio", NioEchoServer::new);
        register("nio2", Nio2EchoServer::new);
        // The same Netty echo handler on iocp-netty's channels and on Netty's NIO (what Netty runs on Windows).
        register(NettyIocpEchoServer.NAME, NettyIocpEchoServer::new);
        register(NettyIocpEchoServer.BUFFERED_NAME, NettyIocpEchoServer::buffered);
        OPT_IN.add(NettyIocpEchoServer.BUFFERED_NAME);
        register(NettyNioEchoServer.NAME, NettyNioEchoServer::new);
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

    /** Registers (or replaces) a server factory; tests use this for deliberately broken servers. */
    public static synchronized void register(String name, Supplier<EchoServer> factory) {
        REGISTRY.put(name, factory);
    }

    public static synchronized boolean isRegistered(String name) {
        return REGISTRY.containsKey(name);
    }

    /** What runs without {@code --servers}: every registered name but the opt-in variants, iocp first. */
    public static synchronized List<String> defaultNames() {
        List<String> names = new ArrayList<>(REGISTRY.keySet());
        names.removeAll(OPT_IN);
        return Collections.unmodifiableList(names);
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
