package dev.iocp.transport;

import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.IoException;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import dev.iocp.transport.tls.TlsConfig;
import dev.iocp.transport.tls.TlsTransport;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Entry points: {@link #listen} and {@link #connect}, plain or with TLS from the first byte, and {@link #startTls}
 * (upgrade a connection mid-stream).
 */
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
     * Connection refused (WSAECONNREFUSED 10061)}, or {@code ... (ECONNREFUSED 111)} on Linux), with a
     * {@link LoopShutdownException} if the loop shuts down first, or with what {@link Protocol#connectionMade}
     * threw; on success connectionMade has already run. Cancelling the future while the connect is in flight closes
     * its socket.
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

    // ================================================================== TLS

    /**
     * Upgrades a connection to TLS mid-stream (asyncio's {@code loop.start_tls}), client or server side as
     * {@code config} says. The connection's protocol stays the user's: once the handshake has finished it receives
     * the decrypted data through its dataReceived and writes through the transport this future gives (a
     * {@link TlsTransport}); connectionMade is not called again, and connectionLost comes once, when the TLS
     * connection ends (with the handshake's failure if it fails). The old transport belongs to the TLS layer from
     * this call on: do not use it.
     *
     * <p>No byte is lost or reordered across the upgrade (bpo-33674: asyncio once fed the peer's ClientHello to a
     * TLS layer whose handshake had not begun):
     * <ul>
     *   <li>Writes made before this call go out first, in plaintext (one queue); the handshake's records follow.</li>
     *   <li>The protocol is swapped and the handshake begun in one turn of the loop: whatever arrives later — a
     *       receive held while the user had paused reading, one in flight — is the TLS layer's.</li>
     *   <li>Called inside dataReceived, the rest of that call's buffer (from its position to its limit) is taken
     *       as the first bytes of the TLS stream: advance the position past the plaintext you consumed (the bytes
     *       that asked for the upgrade), and a ClientHello the peer sent right behind them is not lost.</li>
     *   <li>Records that arrive right behind the last handshake flight are delivered only after the future has
     *       completed (its listeners run first, on the loop), so the protocol can know its new transport first.</li>
     * </ul>
     * Reading is on in the TLS transport whatever it was in the plain one (the handshake must read).
     *
     * @param transport a connection made by {@link #listen} or {@link #connect} (not TLS already)
     * @param config the TLS side and settings; its handshake deadline starts now
     * @return the TLS transport once the handshake finished; fails with the engine's {@code SSLException} (its
     *         message names the reason), {@link dev.iocp.transport.tls.TlsHandshakeTimeoutException}, or what ended
     *         the connection; with {@link TransportClosedException} if the connection was already closing
     * @throws IllegalArgumentException if {@code transport} is not a plain transport of this library
     */
    public static Future<Transport> startTls(Transport transport, TlsConfig config) {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(config, "config");
        if (!(transport instanceof IocpConnection connection)) {
            throw new IllegalArgumentException("startTls needs a plain transport made by Transports.listen/connect, got "
                    + transport.getClass().getName());
        }
        IocpEventLoop loop = transport.loop();
        Promise<Transport> promise = loop.newPromise();
        if (loop.inEventLoop()) {
            TlsConnection.startTls(connection, config, promise);
        } else {
            try {
                loop.execute(() -> TlsConnection.startTls(connection, config, promise));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                throw new TransportClosedException("the event loop of this transport is shut down");
            }
        }
        return promise;
    }

    /**
     * Listens with TLS from the first byte: each accepted connection's protocol is made (connectionMade, with a
     * {@link TlsTransport}) once its handshake has finished; a connection whose handshake fails or times out is
     * closed without its protocol hearing anything (logged at debug level).
     *
     * @param group the loops
     * @param address a resolved local address (port 0: any free port)
     * @param protocolFactory makes each accepted connection's protocol
     * @param config each accepted connection's settings (its close deadline is also TLS's: see {@link TlsTransport})
     * @param pendingAccepts accepts kept in flight
     * @param tls the server side's TLS settings ({@link TlsConfig#server})
     * @return a future of the listening server
     */
    public static Future<Server> listen(IocpEventLoopGroup group, InetSocketAddress address,
                                        Supplier<? extends Protocol> protocolFactory, TransportConfig config,
                                        int pendingAccepts, TlsConfig tls) {
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(protocolFactory, "protocolFactory");
        if (tls.isClient()) {
            throw new IllegalArgumentException("listen needs a server-side TlsConfig (TlsConfig.server)");
        }
        long closeTimeout = config.closeTimeoutMillis();
        return listen(group, address, () -> TlsConnection.accepted(protocolFactory.get(), tls, closeTimeout).plainSide,
                config, pendingAccepts);
    }

    /**
     * Connects with TLS from the first byte. The future completes once the handshake has finished and the
     * protocol's connectionMade (given a {@link TlsTransport}) has run; it fails as {@link #connect} does, or with
     * the handshake's failure (the engine's {@code SSLException}, {@link dev.iocp.transport.tls.TlsHandshakeTimeoutException}),
     * and then the protocol hears nothing.
     *
     * @param loop the loop the connection will run on
     * @param remote a resolved address to connect to
     * @param protocol the connection's protocol
     * @param config the connection's settings
     * @param tls the client side's TLS settings ({@link TlsConfig#client})
     * @return a future of the TLS transport
     */
    public static Future<Transport> connect(IocpEventLoop loop, InetSocketAddress remote, Protocol protocol,
                                            TransportConfig config, TlsConfig tls) {
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(config, "config");
        if (!tls.isClient()) {
            throw new IllegalArgumentException("connect needs a client-side TlsConfig (TlsConfig.client)");
        }
        Promise<Transport> promise = loop.newPromise();
        TlsConnection layer = TlsConnection.connecting(protocol, tls, config.closeTimeoutMillis(), promise);
        Future<Transport> plain = connect(loop, remote, layer.plainSide, config);
        plain.addListener(f -> {
            if (!f.isSuccess()) {
                promise.tryFailure(f.cause());
            }
        });
        return promise;
    }

    /**
     * {@code "Connection reset by peer (WSAECONNRESET 10054)"} (or {@code "... (ECONNRESET 104)"}) for a packed
     * error ({@link IoError}) — re-exported for users who only depend on the transport.
     *
     * @param error a packed error, or 0
     * @return the text
     */
    public static String describeError(int error) {
        return IoError.describe(error);
    }
}
