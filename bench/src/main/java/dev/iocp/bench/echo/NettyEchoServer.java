package dev.iocp.bench.echo;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * Shared body of the Netty 4.2 echo servers ({@link NettyEpollEchoServer}, {@link NettyIoUringEchoServer}): what a
 * competent Netty user writes, the canonical Netty echo example plus flow control.
 *
 * <ul>
 *   <li>One {@link MultiThreadIoEventLoopGroup} of {@code threads} loops with the transport's {@code IoHandler}; the
 *       same group accepts (parent) and serves (child), so — like the NIO server's loop 0 — no extra acceptor
 *       thread. Every loop thread is created by a recording {@link ThreadFactory} and started eagerly, so all of
 *       them are charged to the server.</li>
 *   <li>{@link PooledByteBufAllocator} with direct buffers (Netty's adaptive receive-buffer sizing): nothing is
 *       allocated per message on the heap.</li>
 *   <li>Echo: {@code channelRead} writes the received buffer back as is (no copy; Netty releases it when written),
 *       {@code channelReadComplete} flushes once per read batch (so several reads coalesce into one send).</li>
 *   <li>Flow control: when the channel turns unwritable (outbound buffer above the high-water mark, 64 KiB) it stops
 *       reading ({@code autoRead=false}) until it is writable again.</li>
 *   <li>TCP_NODELAY on accepted sockets; SO_REUSEADDR and a 4096 backlog on the listener.</li>
 * </ul>
 */
abstract class NettyEchoServer implements EchoServer {
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private EventLoopGroup group;
    private Channel listener;

    abstract IoHandlerFactory ioHandlerFactory();

    abstract Class<? extends ServerChannel> serverChannelClass();

    /** Options only this transport has (none by default). */
    void configure(ServerBootstrap bootstrap) {
    }

    @Override
    public List<Thread> serverThreads() {
        return threads;
    }

    @Override
    public InetSocketAddress start(InetSocketAddress bind, int nThreads) throws IOException {
        if (nThreads < 1) throw new IllegalArgumentException("threads must be >= 1");
        DefaultThreadFactory base = new DefaultThreadFactory(name() + "-echo", true);
        ThreadFactory recording = r -> {
            Thread t = base.newThread(r);
            threads.add(t);
            return t;
        };
        group = new MultiThreadIoEventLoopGroup(nThreads, recording, ioHandlerFactory());
        try {
            for (EventExecutor loop : group) loop.submit(() -> { }).get(10, TimeUnit.SECONDS); // start every thread now
            ServerBootstrap b = new ServerBootstrap()
                    .group(group, group)
                    .channel(serverChannelClass())
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                    .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 64 * 1024))
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(EchoHandler.INSTANCE);
                        }
                    });
            configure(b);
            ChannelFuture f = b.bind(bind).syncUninterruptibly();
            listener = f.channel();
        } catch (Exception e) {
            close();
            throw new IOException(name() + " echo server failed to start: " + e, e);
        }
        return (InetSocketAddress) listener.localAddress();
    }

    @Override
    public void close() {
        if (listener != null) {
            listener.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
            listener = null;
        }
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(20, TimeUnit.SECONDS);
            group = null;
        }
    }

    /** Stateless, so one instance serves every connection. */
    @ChannelHandler.Sharable
    static final class EchoHandler extends ChannelInboundHandlerAdapter {
        static final EchoHandler INSTANCE = new EchoHandler();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
            if (!ctx.channel().isWritable()) ctx.channel().config().setAutoRead(false);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            ctx.channel().config().setAutoRead(ctx.channel().isWritable());
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // peer resets at the end of a run are expected
        }
    }
}
