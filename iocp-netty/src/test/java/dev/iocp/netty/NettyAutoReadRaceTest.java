package dev.iocp.netty;

import dev.iocp.core.backend.BackendFactory;
import dev.iocp.core.backend.Backends;
import dev.iocp.race.StreamPattern;
import dev.iocp.race.StreamVerifier;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bpo-33694 through Netty: a Netty echo server on iocp channels, and an iocp client that sends the race stream
 * (2000 packets of 16 KiB, every byte a function of its position) while a timer on its loop turns auto-read off and on
 * every 1–5 ms. Every byte that comes back is verified: nothing lost, duplicated or reordered, and the race window
 * (a receive completing while auto-read is off, held) was hit.
 *
 * <p>The negative control runs the same exchange with {@link LossyCancelOnPauseChannel} — a client that cancels its
 * receive on auto-read off, as CPython did — on the simulated backend, and the verifier must catch it losing data.
 */
public class NettyAutoReadRaceTest {
    private static final int PACKET = 16 * 1024;
    private static final int PACKETS = 2000;
    private static final long TOTAL = (long) PACKET * PACKETS;

    private EventLoopGroup group;

    @AfterEach
    void shutdown() throws InterruptedException {
        if (group != null) {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS);
        }
    }

    /**
     * The real channel, on the platform's backend (io_uring here, a completion port on Windows) and simulated, with
     * readiness receives (the default: the buffer is taken when the socket is readable) and with buffered ones.
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"default, readiness", "default, buffered", "simulated, readiness", "simulated, buffered"})
    void everyByteComesBackWhileAutoReadToggles(String backend, String receives) throws Exception {
        Outcome o = run(factoryFor(backend), receives.equals("readiness"), IocpSocketChannel::new);
        System.out.println("netty race window [" + backend + ", " + receives + " receives]: " + o);
        assertTrue(o.verifier.clean(), "stream damaged: " + o.verifier);
        assertEquals(TOTAL, o.verifier.verified(), "bytes verified");
        assertTrue(o.toggles > 0, "auto-read was toggled");
        assertTrue(o.receivesHeld > 0, "the race window was never hit (no receive completed while auto-read was off):"
                + " this run proves nothing; " + o);
    }

    /**
     * The negative control: the cancelling variant loses data, and the same check catches it. With buffered
     * receives, as CPython's were: a readiness receive holds no data, so cancelling one would lose nothing.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"simulated"})
    void theCancellingVariantIsCaughtLosingData(String backend) throws Exception {
        AtomicReference<LossyCancelOnPauseChannel> client = new AtomicReference<>();
        Outcome o = run(factoryFor(backend), false, () -> {
            LossyCancelOnPauseChannel c = new LossyCancelOnPauseChannel();
            client.set(c);
            return c;
        });
        System.out.println("netty race negative control [" + backend + "]: " + o + " dropped="
                + client.get().receivesDropped);
        assertTrue(client.get().receivesDropped > 0, "the lossy variant never dropped a receive: " + o);
        assertTrue(!o.verifier.clean() || o.verifier.verified() < TOTAL,
                "the verifier missed the data the lossy variant dropped: " + o);
    }

    /** Something already went wrong (unlike {@link StreamVerifier#clean()}, true before the stream is complete). */
    static boolean damaged(StreamVerifier v) {
        return v.firstBadOffset() >= 0 || v.lost() > 0 || v.duplicated() > 0 || v.reordered() > 0 || v.corrupt() > 0;
    }

    private static BackendFactory factoryFor(String backend) {
        return backend.equals("default") ? Backends.defaultFactory() : Backends.byName(backend);
    }

    private static final class Outcome {
        StreamVerifier verifier;
        long toggles;
        long receivesHeld;

        @Override
        public String toString() {
            return verifier + " toggles=" + toggles + " held=" + receivesHeld;
        }
    }

    private Outcome run(BackendFactory backend, boolean readinessReceives,
                        ChannelFactory<? extends IocpSocketChannel> clientChannels) throws Exception {
        group = new MultiThreadIoEventLoopGroup(2, IocpIoHandler.newFactory(backend));
        Channel server = new ServerBootstrap().group(group).channel(IocpServerSocketChannel.class)
                .childOption(IocpChannelOption.READINESS_RECEIVES, readinessReceives)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new EchoHandler());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();

        StreamPattern pattern = new StreamPattern(PACKET);
        Outcome outcome = new Outcome();
        outcome.verifier = new StreamVerifier(pattern, TOTAL);
        CountDownLatch finished = new CountDownLatch(1);
        Client handler = new Client(pattern, outcome, finished);
        Channel client = new Bootstrap().group(group).channelFactory(clientChannels)
                .option(IocpChannelOption.READINESS_RECEIVES, readinessReceives)
                .handler(handler)
                .connect(server.localAddress()).sync().channel();
        try {
            assertTrue(finished.await(60, TimeUnit.SECONDS), "the exchange did not end in 60 s: " + outcome);
            client.eventLoop().submit(() -> {
                handler.stopToggling = true;
                outcome.receivesHeld = ((IocpSocketChannel) client).receivesHeld();
            }).sync();
        } finally {
            client.close().sync();
            server.close().sync();
        }
        return outcome;
    }

    /** Echoes, under write flow control: reading pauses while the outbound buffer is above its high-water mark. */
    private static final class EchoHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
            if (!ctx.channel().isWritable()) {
                ctx.flush();
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(true);
            }
        }
    }

    /** Sends the stream as fast as writability allows, verifies what comes back, and toggles auto-read. */
    private static final class Client extends ChannelInboundHandlerAdapter {
        private final StreamPattern pattern;
        private final Outcome outcome;
        private final CountDownLatch finished;
        private final byte[] chunk = new byte[PACKET];
        private long sent;
        volatile boolean stopToggling;

        Client(StreamPattern pattern, Outcome outcome, CountDownLatch finished) {
            this.pattern = pattern;
            this.outcome = outcome;
            this.finished = finished;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            send(ctx);
            scheduleToggle(ctx);
        }

        private void send(ChannelHandlerContext ctx) {
            while (sent < TOTAL && ctx.channel().isWritable()) {
                pattern.fill(sent, chunk, 0, PACKET);
                ctx.write(ctx.alloc().directBuffer(PACKET).writeBytes(chunk));
                sent += PACKET;
            }
            ctx.flush();
        }

        private void scheduleToggle(ChannelHandlerContext ctx) {
            ctx.executor().schedule(() -> {
                if (stopToggling || !ctx.channel().isActive()) {
                    return;
                }
                outcome.toggles++;
                ctx.channel().config().setAutoRead(!ctx.channel().config().isAutoRead());
                scheduleToggle(ctx);
            }, ThreadLocalRandom.current().nextInt(1, 6), TimeUnit.MILLISECONDS);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                send(ctx);
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                outcome.verifier.update(buf.nioBuffer());
            } finally {
                buf.release();
            }
            if (outcome.verifier.received() >= TOTAL || damaged(outcome.verifier)) {
                stopToggling = true;
                ctx.channel().config().setAutoRead(true);
                finished.countDown();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            finished.countDown();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            cause.printStackTrace();
            ctx.close();
        }
    }
}
