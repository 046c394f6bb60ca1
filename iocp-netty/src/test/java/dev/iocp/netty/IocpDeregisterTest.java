package dev.iocp.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What deregister does (AbstractIocpChannel's class comment): it stops the channel's I/O without losing what
 * arrives meanwhile, the channel may be registered again with the same loop and carries on, and registering it with
 * another loop is refused, because a completion port association is permanent.
 */
class IocpDeregisterTest {
    private EventLoopGroup group;

    @AfterEach
    void shutdown() throws InterruptedException {
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS);
    }

    @Test
    void deregisteredThenRegisteredWithTheSameLoopLosesNothingAnotherLoopIsRefused() throws Exception {
        group = new MultiThreadIoEventLoopGroup(2, IocpIoHandler.newFactory());
        LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
        Channel server = new ServerBootstrap().group(group).channel(IocpServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted.add(ch);
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        Channel client = new Bootstrap().group(group).channel(IocpSocketChannel.class)
                .handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ByteBuf buf = (ByteBuf) msg;
                        received.add(buf.toString(StandardCharsets.US_ASCII));
                        buf.release();
                    }
                })
                .connect(server.localAddress()).sync().channel();
        Channel child = accepted.poll(10, TimeUnit.SECONDS);
        assertNotNull(child, "accepted");
        EventLoop home = client.eventLoop();

        client.deregister().sync();
        child.writeAndFlush(Unpooled.copiedBuffer("while away", StandardCharsets.US_ASCII)).sync();
        assertNull(received.poll(200, TimeUnit.MILLISECONDS), "nothing is delivered while deregistered");

        EventLoop other = null;
        for (io.netty.util.concurrent.EventExecutor e : group) {
            if (e != home) {
                other = (EventLoop) e;
            }
        }
        ChannelFuture elsewhere = other.register(client).await();
        assertInstanceOf(IllegalStateException.class, elsewhere.cause(), "another loop refused: " + elsewhere.cause());
        assertTrue(client.isOpen(), "the refused register left the channel as it was");

        home.register(client).sync();
        client.read();
        assertEquals("while away", received.poll(10, TimeUnit.SECONDS), "held while deregistered, delivered after");
        child.writeAndFlush(Unpooled.copiedBuffer("after", StandardCharsets.US_ASCII)).sync();
        assertEquals("after", received.poll(10, TimeUnit.SECONDS), "the channel carries on");
        client.close().sync();
        server.close().sync();
    }
}
