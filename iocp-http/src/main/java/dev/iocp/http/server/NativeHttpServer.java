package dev.iocp.http.server;

import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.http.HttpServerConfig;
import dev.iocp.http.RunningHttpServer;
import dev.iocp.transport.Protocol;
import dev.iocp.transport.Server;
import dev.iocp.transport.Transports;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The HTTP server on iocp's own Transport: one {@link HttpConnection} per accepted connection, spread over the
 * group's loops.
 *
 * <pre>{@code
 * IocpEventLoopGroup group = new IocpEventLoopGroup();
 * RunningHttpServer server = NativeHttpServer.start(group, new InetSocketAddress(address, 8080), HttpServerConfig.DEFAULT);
 * }</pre>
 */
public final class NativeHttpServer implements RunningHttpServer {
    private final Server server;

    private NativeHttpServer(Server server) {
        this.server = server;
    }

    /** Listens on {@code address}; waits at most 30 s for the listener. */
    public static NativeHttpServer start(IocpEventLoopGroup group, InetSocketAddress address, HttpServerConfig config)
            throws Exception {
        return start(group, address, config, connection -> connection);
    }

    /**
     * As above, each connection's protocol being what {@code around} makes of its {@link HttpConnection} (the tests
     * keep the connection to look at its transport, and wrap it in a contract checker).
     */
    static NativeHttpServer start(IocpEventLoopGroup group, InetSocketAddress address, HttpServerConfig config,
                                  Function<HttpConnection, Protocol> around) throws Exception {
        Server server = Transports.listen(group, address, () -> around.apply(new HttpConnection(config)))
                .get(30, TimeUnit.SECONDS);
        return new NativeHttpServer(server);
    }

    /** The transport's listener, e.g. for {@link Server#onAcceptError}. */
    public Server server() {
        return server;
    }

    @Override
    public InetSocketAddress localAddress() {
        return server.localAddress();
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
