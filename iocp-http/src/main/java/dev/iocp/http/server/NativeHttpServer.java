package dev.iocp.http.server;

import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.http.HttpServerConfig;
import dev.iocp.http.RunningHttpServer;
import dev.iocp.transport.Server;
import dev.iocp.transport.Transports;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

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
        return start(group, address, config, connection -> {});
    }

    /** As above, telling {@code made} of each connection (the tests look at their transports). */
    static NativeHttpServer start(IocpEventLoopGroup group, InetSocketAddress address, HttpServerConfig config,
                                  Consumer<HttpConnection> made) throws Exception {
        Server server = Transports.listen(group, address, () -> {
            HttpConnection connection = new HttpConnection(config);
            made.accept(connection);
            return connection;
        }).get(30, TimeUnit.SECONDS);
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
