package dev.iocp.netty;

import dev.iocp.core.backend.Backends;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A close() asked while a send is in flight waits for that send's packet (IocpSocketChannel.deferClose). Meanwhile
 * the channel is closing, and nothing more reaches its pipeline — as with NIO, whose close() is already done: a
 * peer that answers our close with an RST (it closed with our last bytes unread) must not surface as an exception
 * of a connection the user has ended. Deterministic on the simulated backend: the peer reads nothing and its small
 * receive window keeps the client's send pending; the client closes; the peer aborts.
 */
class CloseWhileSendingTest {
    private EventLoopGroup group;

    @BeforeEach
    void start() {
        group = new MultiThreadIoEventLoopGroup(2, IocpIoHandler.newFactory(Backends.byName("simulated")));
    }

    @AfterEach
    void stop() throws InterruptedException {
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS);
    }

    @Test
    void aResetWhileTheCloseWaitsForTheSendReachesNoHandler() throws Exception {
        CompletableFuture<Channel> accepted = new CompletableFuture<>();
        Channel listener = new ServerBootstrap().group(group).channel(IocpServerSocketChannel.class)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.SO_RCVBUF, 4096)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted.complete(ch);
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        List<Throwable> seen = new CopyOnWriteArrayList<>();
        Channel client = new Bootstrap().group(group).channel(IocpSocketChannel.class)
                .handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        seen.add(cause);
                    }
                })
                .connect(listener.localAddress()).sync().channel();
        Channel server = accepted.get(10, TimeUnit.SECONDS);
        ChannelFuture write = client.writeAndFlush(Unpooled.wrappedBuffer(new byte[4 << 20]));
        ChannelFuture closing = client.close();
        assertFalse(closing.isDone(), "the close waits for the send in flight (the peer reads nothing)");
        server.config().setOption(ChannelOption.SO_LINGER, 0);
        server.close().sync(); // RST to a client that has asked to close

        assertTrue(closing.await(10, TimeUnit.SECONDS), "the client's close completed");
        assertTrue(write.await(10, TimeUnit.SECONDS), "the write's promise completed");
        assertFalse(write.isSuccess(), "the write did not all go out: its promise says so");
        assertEquals(List.of(), seen, "nothing reached the pipeline of a channel asked to close");
        listener.close().sync();
    }
}
