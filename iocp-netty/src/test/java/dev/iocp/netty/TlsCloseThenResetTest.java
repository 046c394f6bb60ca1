package dev.iocp.netty;

import dev.iocp.core.backend.Backends;
import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoException;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A TLS client whose peer's close_notify is followed by an RST instead of a FIN — what a client meets when its
 * close_notify reply reaches a server socket already closed (Netty's SocketSslEchoTest, NIO server × iocp client,
 * under Wine 10: the server's RST overtook the FIN the client had not read yet). Deterministic here, on the simulated
 * backend: the server sends close_notify, waits until the client has read it, then closes with SO_LINGER 0.
 *
 * <p>What the client reports is decided by what Netty's NIO, epoll and io_uring clients get, and why: the transport
 * reports the reset as an IOException, as all of them do — on Windows NIO's client gets the same reset whenever the
 * RST wins the same race, only with a narrower window — and {@link SslHandler}, which alone knows that close_notify
 * was read, swallows an IOException whose message reads as a reset or broken pipe once its close is done
 * ({@code SslHandler.ignoreException}: "connection.*(reset|closed|abort|broken)|broken.*pipe", case-insensitive).
 * Our reset used to read {@code receive: WSAECONNRESET (10054)}, which that pattern does not match, so it reached
 * the application; in the words frameworks match it is the normal end of a TLS connection, as with NIO. A reset
 * before close_notify is still reported: that is a truncation (the negative control).
 */
class TlsCloseThenResetTest {
    private EventLoopGroup group;
    private SslContext serverContext;
    private SslContext clientContext;

    @BeforeEach
    void start() throws Exception {
        group = new MultiThreadIoEventLoopGroup(2, IocpIoHandler.newFactory(Backends.byName("simulated")));
        SelfSignedCertificate cert = new SelfSignedCertificate("localhost");
        serverContext = SslContextBuilder.forServer(cert.certificate(), cert.privateKey()).build();
        clientContext = SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS);
    }

    /** Records what reaches it: before the SslHandler, what the transport reported; after it, what the app sees. */
    private static final class Seen extends ChannelInboundHandlerAdapter {
        final List<Throwable> exceptions = new CopyOnWriteArrayList<>();
        final CompletableFuture<Void> closeNotifyRead = new CompletableFuture<>();

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            exceptions.add(cause);
            ctx.fireExceptionCaught(cause);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslCloseCompletionEvent && ((SslCloseCompletionEvent) evt).isSuccess()) {
                closeNotifyRead.complete(null);
            }
            ctx.fireUserEventTriggered(evt);
        }
    }

    private record Pair(Channel client, Channel server, Seen transport, Seen application) {}

    /** A TLS connection, handshaken on both sides. */
    private Pair connect() throws Exception {
        CompletableFuture<Channel> accepted = new CompletableFuture<>();
        Channel listener = new ServerBootstrap().group(group).channel(IocpServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SslHandler ssl = serverContext.newHandler(ch.alloc());
                        ch.pipeline().addLast(ssl);
                        ssl.handshakeFuture().addListener(f -> accepted.complete(ch));
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        Seen transport = new Seen();
        Seen application = new Seen();
        Channel client = new Bootstrap().group(group).channel(IocpSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(transport, clientContext.newHandler(ch.alloc()), application);
                    }
                })
                .connect(listener.localAddress()).sync().channel();
        assertTrue(client.pipeline().get(SslHandler.class).handshakeFuture().await(10, TimeUnit.SECONDS));
        Channel server = accepted.get(10, TimeUnit.SECONDS);
        listener.close().sync();
        return new Pair(client, server, transport, application);
    }

    @Test
    void aResetAfterTheClientReadCloseNotifyEndsTheConnectionWithoutAnError() throws Exception {
        Pair p = connect();
        p.server.pipeline().get(SslHandler.class).closeOutbound().sync(); // close_notify, no FIN
        p.application.closeNotifyRead.get(10, TimeUnit.SECONDS);
        assertTrue(p.client.isActive(), "the client is still connected when the reset comes");
        p.server.config().setOption(ChannelOption.SO_LINGER, 0);
        p.server.close().sync(); // RST instead of the FIN

        assertTrue(p.client.closeFuture().await(10, TimeUnit.SECONDS), "the client closed");
        assertEquals(1, p.transport.exceptions.size(), "the transport reported the reset: " + p.transport.exceptions);
        IoException reset = assertInstanceOf(IoException.class, p.transport.exceptions.get(0));
        assertEquals(ErrorCode.RESET, reset.code());
        assertEquals(List.of(), p.application.exceptions, "after close_notify a reset is the normal end");
    }

    @Test
    void aResetBeforeCloseNotifyIsReportedAsATruncation() throws Exception {
        Pair p = connect();
        p.server.pipeline().remove(SslHandler.class); // no close_notify: the connection is cut
        p.server.config().setOption(ChannelOption.SO_LINGER, 0);
        p.server.close().sync();

        assertTrue(p.client.closeFuture().await(10, TimeUnit.SECONDS), "the client closed");
        assertEquals(1, p.application.exceptions.size(), "the reset reached the application: "
                + p.application.exceptions);
        IoException reset = assertInstanceOf(IoException.class, p.application.exceptions.get(0));
        assertEquals(ErrorCode.RESET, reset.code());
        assertTrue(!p.application.closeNotifyRead.isDone(), "no close_notify was read");
    }
}
