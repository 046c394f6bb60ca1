package dev.iocp.netty;

import dev.iocp.core.backend.Backends;
import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoException;
import dev.iocp.core.testing.FaultInjectingBackend;
import dev.iocp.core.testing.FaultInjectingBackend.Call;
import dev.iocp.core.testing.FaultInjectingBackend.Faults;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A submit that fails at once — Windows fails a WSARecv posted on a reset socket with WSAECONNRESET without any
 * packet, and Wine 10 does the same — is handled as its packet would be: later, from the loop, never inside the call
 * that submitted it. Callbacks never nest, so a handler that reads again from channelReadComplete (auto-read does)
 * cannot drive the channel into a submit → fail → deliver → read → submit recursion that kills the loop thread.
 * The client runs on the simulated backend behind {@link FaultInjectingBackend}, which fails the chosen submits as
 * the real call would; the server on the plain simulated backend (the same simulated network).
 */
class SubmitFailsAtOnceTest {
    private EventLoopGroup serverGroup;
    private EventLoopGroup clientGroup;
    private final Faults faults = new Faults();
    private Channel server;

    @BeforeEach
    void start() throws InterruptedException {
        serverGroup = new MultiThreadIoEventLoopGroup(1, IocpIoHandler.newFactory(Backends.byName("simulated")));
        clientGroup = new MultiThreadIoEventLoopGroup(1,
                IocpIoHandler.newFactory(FaultInjectingBackend.wrap(Backends.byName("simulated"), faults)));
        server = new ServerBootstrap().group(serverGroup).channel(IocpServerSocketChannel.class)
                .childHandler(new ChannelInboundHandlerAdapter())
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    @AfterEach
    void stop() throws InterruptedException {
        server.close().sync();
        clientGroup.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS);
        serverGroup.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS);
    }

    /** What the client's pipeline saw, in order, and whether a callback came inside the handler's own read(). */
    private static final class Recorder extends ChannelInboundHandlerAdapter {
        final List<Object> events = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch unregistered = new CountDownLatch(1);
        final boolean readInActive;
        volatile boolean insideRead;
        volatile boolean nested;

        Recorder(boolean readInActive) {
            this.readInActive = readInActive;
        }

        private void record(Object event) {
            if (insideRead) {
                nested = true;
            }
            events.add(event);
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            record("active");
            if (readInActive) {
                read(ctx);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            record("readComplete");
            read(ctx); // as a handler that asks for more in channelReadComplete does (and auto-read after it)
        }

        private void read(ChannelHandlerContext ctx) {
            insideRead = true;
            try {
                ctx.read();
            } finally {
                insideRead = false;
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            record(cause);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            record("inactive");
        }

        @Override
        public void channelUnregistered(ChannelHandlerContext ctx) {
            unregistered.countDown();
        }

        /** The events for a failure message: the first 20 and the count (a recursion records thousands). */
        @Override
        public String toString() {
            synchronized (events) {
                return events.size() <= 20 ? events.toString()
                        : events.subList(0, 20) + "... (" + events.size() + " events)";
            }
        }

        long count(Class<?> type) {
            synchronized (events) {
                return events.stream().filter(type::isInstance).count();
            }
        }

        int indexOf(Object event) {
            synchronized (events) {
                for (int i = 0; i < events.size(); i++) {
                    if (event instanceof Class<?> c ? c.isInstance(events.get(i)) : event.equals(events.get(i))) {
                        return i;
                    }
                }
                return -1;
            }
        }
    }

    /** Waits until the channel is unregistered, then for one more loop turn, so every event posted has run. */
    private void awaitGone(Channel ch, Recorder recorder) throws Exception {
        assertTrue(ch.closeFuture().await(10, TimeUnit.SECONDS), "the channel closed; events: " + recorder);
        assertTrue(recorder.unregistered.await(10, TimeUnit.SECONDS), "unregistered; events: " + recorder);
        assertEquals(1, ch.eventLoop().submit(() -> 1).get(10, TimeUnit.SECONDS), "the loop thread still runs");
    }

    /** Exactly one exceptionCaught (the reset, not a StackOverflowError), then one channelInactive: NIO's order. */
    private static void assertOneResetThenInactive(Recorder r) {
        assertEquals(1, r.count(Throwable.class), "one exceptionCaught: " + r);
        Throwable cause = (Throwable) r.events.get(r.indexOf(Throwable.class));
        IoException io = assertInstanceOf(IoException.class, cause, "the cause is the reset: " + cause);
        assertEquals(ErrorCode.RESET, io.code());
        // The words frameworks match, the native name and number kept (the simulated backend speaks Win32's).
        assertEquals("receive: Connection reset by peer (WSAECONNRESET 10054)", io.getMessage());
        assertEquals(1, r.events.stream().filter("inactive"::equals).count(), "one channelInactive: " + r);
        assertTrue(r.indexOf(Throwable.class) < r.indexOf("inactive"), "exceptionCaught before channelInactive: "
                + r);
    }

    @ParameterizedTest(name = "readiness receives: {0}")
    @ValueSource(booleans = {true, false})
    void aReceiveSubmitFailingAtOnceWithAutoReadOnClosesTheChannelWithoutRecursing(boolean readiness)
            throws Exception {
        faults.failAlways(Call.SUBMIT_RECV, ErrorCode.RESET);
        Recorder recorder = new Recorder(false);
        Channel ch = new Bootstrap().group(clientGroup).channel(IocpSocketChannel.class)
                .option(IocpChannelOption.READINESS_RECEIVES, readiness)
                .handler(recorder)
                .connect(server.localAddress()).sync().channel();
        awaitGone(ch, recorder);
        assertOneResetThenInactive(recorder);
        // Once the reset is delivered nothing re-arms: the failed submit, and at most the one auto-read asked for
        // before the reset was known.
        assertTrue(faults.calls(Call.SUBMIT_RECV) <= 2, "receive submits: " + faults.calls(Call.SUBMIT_RECV));
    }

    @Test
    void aReceiveSubmitFailingAtOnceIsNotReportedInsideTheReadThatSubmittedIt() throws Exception {
        faults.failAlways(Call.SUBMIT_RECV, ErrorCode.RESET);
        Recorder recorder = new Recorder(true);
        Channel ch = new Bootstrap().group(clientGroup).channel(IocpSocketChannel.class)
                .option(ChannelOption.AUTO_READ, false)
                .handler(recorder)
                .connect(server.localAddress()).sync().channel();
        awaitGone(ch, recorder);
        assertFalse(recorder.nested, "a callback ran inside the handler's own read(): " + recorder);
        assertOneResetThenInactive(recorder);
    }

    @Test
    void aSendSubmitFailingAtOnceFailsTheWriteAndClosesTheChannel() throws Exception {
        Recorder recorder = new Recorder(false);
        Channel ch = new Bootstrap().group(clientGroup).channel(IocpSocketChannel.class)
                .handler(recorder)
                .connect(server.localAddress()).sync().channel();
        faults.failAlways(Call.SUBMIT_SEND, ErrorCode.RESET);
        List<Throwable> writeFailures = Collections.synchronizedList(new ArrayList<>());
        // A handler that writes again whenever a write fails, as a retrying one would: the retry must meet a closed
        // channel (or the flush in progress), not another submit inside this one.
        ChannelFuture first = ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {1}));
        first.addListener(f -> {
            writeFailures.add(f.cause());
            if (writeFailures.size() < 1000) {
                ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {2})).addListener(g -> writeFailures.add(g.cause()));
            }
        });
        assertTrue(first.await(10, TimeUnit.SECONDS), "the write completed");
        awaitGone(ch, recorder);
        IoException io = assertInstanceOf(IoException.class, first.cause(), "the write failed: " + first.cause());
        assertEquals(ErrorCode.RESET, io.code());
        assertEquals(1, faults.calls(Call.SUBMIT_SEND), "one send submitted");
        assertEquals(2, writeFailures.size(), "the write and its one retry failed: " + writeFailures);
        assertEquals(1, recorder.events.stream().filter("inactive"::equals).count(), "one channelInactive");
    }

    @Test
    void aConnectSubmitFailingAtOnceFailsTheConnectAndClosesTheChannel() throws Exception {
        faults.failOnce(Call.SUBMIT_CONNECT, ErrorCode.REFUSED);
        Recorder recorder = new Recorder(false);
        ChannelFuture f = new Bootstrap().group(clientGroup).channel(IocpSocketChannel.class)
                .handler(recorder)
                .connect(server.localAddress());
        assertTrue(f.await(10, TimeUnit.SECONDS), "the connect completed");
        assertInstanceOf(ConnectException.class, f.cause(), "cause: " + f.cause());
        assertTrue(f.channel().closeFuture().await(10, TimeUnit.SECONDS), "the channel closed");
        assertEquals(1, f.channel().eventLoop().submit(() -> 1).get(10, TimeUnit.SECONDS), "the loop still runs");
        assertEquals(0, recorder.count(Throwable.class), "no exceptionCaught for a failed connect: " + recorder);
    }
}
