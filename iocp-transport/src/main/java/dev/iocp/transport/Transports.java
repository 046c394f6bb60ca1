package dev.iocp.transport;

import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.IoException;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.function.Supplier;

/** Entry points: {@link #listen} and {@link #connect}. */
public final class Transports {
    /** Accepts kept in flight per server by default. */
    public static final int DEFAULT_PENDING_ACCEPTS = 8;
    /** The listen backlog every server asks for. */
    public static final int DEFAULT_BACKLOG = 1024;

    private Transports() {}

    /**
     * Listens on {@code address} with the default config and {@link #DEFAULT_PENDING_ACCEPTS} accepts in flight;
     * accepted connections are spread round-robin over the group's loops.
     *
     * @param group the loops
     * @param address a resolved local address (port 0: any free port)
     * @param protocolFactory makes each accepted connection's protocol
     * @return a future of the listening server; it fails if the address cannot be bound
     * @throws IllegalArgumentException if the address is unresolved
     * @throws IllegalStateException if the group is shut down
     */
    public static Future<Server> listen(IocpEventLoopGroup group, InetSocketAddress address,
                                        Supplier<? extends Protocol> protocolFactory) {
        return listen(group, address, protocolFactory, TransportConfig.DEFAULT, DEFAULT_PENDING_ACCEPTS);
    }

    /**
     * Listens on {@code address}; each accepted connection gets a protocol from {@code protocolFactory} and runs on
     * one of the group's loops, chosen round-robin.
     *
     * @param group the loops
     * @param address a resolved local address (port 0: any free port)
     * @param protocolFactory makes each accepted connection's protocol
     * @param config each accepted connection's settings
     * @param pendingAccepts accepts kept in flight
     * @return a future of the listening server; it fails if the address cannot be bound
     * @throws IllegalArgumentException if the address is unresolved
     * @throws IllegalStateException if the group is shut down
     */
    public static Future<Server> listen(IocpEventLoopGroup group, InetSocketAddress address,
                                        Supplier<? extends Protocol> protocolFactory, TransportConfig config,
                                        int pendingAccepts) {
        Objects.requireNonNull(group, "group");
        if (group.isShuttingDown()) {
            throw new IllegalStateException("event loop group is shut down");
        }
        return listenOn(group.next(), group::next, address, protocolFactory, config, pendingAccepts);
    }

    /**
     * Listens on {@code address} with every accepted connection on {@code loop} (no spreading).
     *
     * @param loop the loop of the listener and of every connection it accepts
     * @param address a resolved local address (port 0: any free port)
     * @param protocolFactory makes each accepted connection's protocol
     * @param config each accepted connection's settings
     * @param pendingAccepts accepts kept in flight
     * @return a future of the listening server; it fails if the address cannot be bound
     * @throws IllegalArgumentException if the address is unresolved
     * @throws IllegalStateException if the loop is shut down
     */
    public static Future<Server> listen(IocpEventLoop loop, InetSocketAddress address,
                                        Supplier<? extends Protocol> protocolFactory, TransportConfig config,
                                        int pendingAccepts) {
        Objects.requireNonNull(loop, "loop");
        if (loop.isShuttingDown()) {
            throw new IllegalStateException("event loop is shut down");
        }
        return listenOn(loop, () -> loop, address, protocolFactory, config, pendingAccepts);
    }

    private static Future<Server> listenOn(IocpEventLoop loop, Supplier<IocpEventLoop> targets,
                                           InetSocketAddress address, Supplier<? extends Protocol> protocolFactory,
                                           TransportConfig config, int pendingAccepts) {
        Objects.requireNonNull(address, "address");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("unresolved address " + address);
        }
        Objects.requireNonNull(protocolFactory, "protocolFactory");
        Objects.requireNonNull(config, "config");
        if (pendingAccepts < 1) {
            throw new IllegalArgumentException("pendingAccepts must be >= 1, got " + pendingAccepts);
        }
        Promise<Server> promise = loop.newPromise();
        loop.execute(() -> {
            IocpServer server = new IocpServer(targets, loop, protocolFactory, config);
            try {
                server.listen(address, DEFAULT_BACKLOG, pendingAccepts);
                promise.setSuccess(server);
            } catch (Throwable t) { // not only IoException: every failure must complete the future
                promise.setFailure(t);
            }
        });
        return promise;
    }

    /**
     * Connects with the default config; see {@link #connect(IocpEventLoop, InetSocketAddress, Protocol,
     * TransportConfig)}.
     *
     * @param loop the loop the connection will run on
     * @param remote a resolved address to connect to
     * @param protocol the connection's protocol
     * @return a future of the connected transport
     */
    public static Future<Transport> connect(IocpEventLoop loop, InetSocketAddress remote, Protocol protocol) {
        return connect(loop, remote, protocol, TransportConfig.DEFAULT);
    }

    /**
     * Connects. The future fails with an {@link IoException} naming the error ({@code code()}
     * {@link dev.iocp.core.backend.ErrorCode#REFUSED}; the message {@code connect to /127.0.0.1:8080:
     * WSAECONNREFUSED (10061)}, or {@code ECONNREFUSED (111)} on Linux), with a {@link LoopShutdownException} if
     * the loop shuts down first, or with what {@link Protocol#connectionMade} threw; on success connectionMade has already run. Cancelling the future
     * while the connect is in flight closes its socket.
     *
     * @param loop the loop the connection will run on
     * @param remote a resolved address to connect to
     * @param protocol the connection's protocol
     * @param config the connection's settings
     * @return a future of the connected transport
     */
    public static Future<Transport> connect(IocpEventLoop loop, InetSocketAddress remote, Protocol protocol,
                                            TransportConfig config) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(remote, "remote");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(config, "config");
        if (remote.isUnresolved()) {
            throw new IllegalArgumentException("unresolved address " + remote);
        }
        if (loop.isShuttingDown()) {
            throw new IllegalStateException("event loop is shut down");
        }
        Promise<Transport> promise = loop.newPromise();
        loop.execute(() -> new Connector(loop, remote, protocol, config, promise).start());
        return promise;
    }

    /**
     * {@code "WSAECONNRESET (10054)"} (or {@code "ECONNRESET (104)"}) for a packed error ({@link IoError}) —
     * re-exported for users who only depend on the transport.
     *
     * @param error a packed error, or 0
     * @return the text
     */
    public static String describeError(int error) {
        return IoError.describe(error);
    }
}
