package dev.iocp.core.loop;

import dev.iocp.core.backend.CompletionHandler;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.backend.sim.SimulatedBackend;
import dev.iocp.core.backend.sim.SimulatedNetwork;
import dev.iocp.core.testing.FaultInjectingBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static dev.iocp.core.testing.LoopTesting.LOOPBACK_V4;
import static dev.iocp.core.testing.LoopTesting.TIMEOUT_SECONDS;
import static dev.iocp.core.testing.LoopTesting.await;
import static dev.iocp.core.testing.LoopTesting.onLoop;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The loop thread does not die of what its handlers, its tasks or its own logging throw, Errors included — the
 * failure seen in a process out of descriptors: the first accept failure was logged, java.util.logging's formatter
 * needed the time-zone database, {@code NoClassDefFoundError} escaped every catch block (each logged again) and the
 * loop thread was gone. Here the logging back-end throws that Error on demand (a java.util.logging handler: the test
 * JVM logs through java.util.logging, as the CLI does).
 */
class LoopSurvivalTest {
    /** What the handlers and tasks throw. */
    enum Kind {
        NO_CLASS_DEF(() -> new NoClassDefFoundError("Could not initialize class sun.util.calendar.ZoneInfoFile")),
        STACK_OVERFLOW(LoopSurvivalTest::overflowTheStack),
        OUT_OF_MEMORY(() -> new OutOfMemoryError("Direct buffer memory")),
        RUNTIME(() -> new IllegalStateException("a handler's bug"));

        final Supplier<Throwable> make;

        Kind(Supplier<Throwable> make) {
            this.make = make;
        }
    }

    /** A java.util.logging handler that throws while armed, as a formatter that cannot open tzdb.dat does. */
    static final class BrokenLogging extends Handler {
        volatile boolean armed;
        volatile int thrown;

        @Override
        public void publish(LogRecord record) {
            if (armed) {
                thrown++;
                throw new NoClassDefFoundError("Could not initialize class sun.util.calendar.ZoneInfoFile");
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    private final BrokenLogging brokenLogging = new BrokenLogging();
    private IocpEventLoopGroup group;
    private IocpEventLoop loop;
    private SimulatedNetwork net;

    @BeforeEach
    void start() {
        Logger.getLogger("").addHandler(brokenLogging);
        net = new SimulatedNetwork();
        group = new IocpEventLoopGroup(1, () -> new SimulatedBackend(net));
        loop = group.next();
    }

    @AfterEach
    void stop() throws Exception {
        brokenLogging.armed = false;
        Logger.getLogger("").removeHandler(brokenLogging);
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertTrue(group.isTerminated(), "group terminated");
    }

    private static Throwable overflowTheStack() {
        try {
            recurse(0);
        } catch (StackOverflowError e) {
            return e;
        }
        throw new AssertionError("no stack overflow");
    }

    private static int recurse(int depth) {
        return recurse(depth + 1) + 1;
    }

    /** Completes one op (a connect) whose handler throws what {@code kind} makes, from deep in the stack for SOE. */
    private BlockingQueue<Throwable> dispatchThrowingHandler(Kind kind) throws Exception {
        SimulatedNetwork.PeerListener listener = net.listenPeer(new java.net.InetSocketAddress(LOOPBACK_V4, 0));
        BlockingQueue<Throwable> toldOwner = new LinkedBlockingQueue<>();
        CompletionHandler handler = new CompletionHandler() {
            @Override
            public void onCompletion(Op op, int bytes, int error) {
                if (kind == Kind.STACK_OVERFLOW) {
                    recurse(0); // a real overflow, thrown from the bottom of the stack
                }
                Throwable t = kind.make.get();
                if (t instanceof Error) {
                    throw (Error) t;
                }
                throw (RuntimeException) t;
            }

            @Override
            public void onDispatchFailure(Op op, Throwable cause) {
                toldOwner.add(cause);
                if (op.state() == Op.State.OWNED) {
                    op.release();
                }
                throw new NoClassDefFoundError("the owner's clean-up fails too");
            }
        };
        long socket = onLoop(loop, () -> {
            SimulatedBackend sim = (SimulatedBackend) loop.backend();
            long s = sim.openTcpSocket(false);
            Op op = loop.acquireOp().prepare(OpType.CONNECT, s, handler);
            assertEquals(0, sim.submitConnect(op, listener.address()));
            return s;
        });
        assertNotNull(listener.awaitPeer(TIMEOUT_SECONDS, TimeUnit.SECONDS), "the peer saw the connect");
        listener.close();
        sockets.add(socket);
        return toldOwner;
    }

    private final java.util.List<Long> sockets = new java.util.ArrayList<>();

    private void assertTheLoopServes() {
        assertEquals("still serving", onLoop(loop, () -> "still serving"));
        CountDownLatch fired = new CountDownLatch(1);
        loop.schedule(fired::countDown, 1, TimeUnit.MILLISECONDS);
        try {
            assertTrue(fired.await(TIMEOUT_SECONDS, TimeUnit.SECONDS), "a timer still fires");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertNull(loop.failure());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aHandlerThatThrowsWhileLoggingThrowsTooLeavesTheLoopServing(Kind kind) throws Exception {
        long lostBefore = NeverThrowingLogger.linesLost();
        brokenLogging.armed = true;
        BlockingQueue<Throwable> told = dispatchThrowingHandler(kind);
        Throwable cause = told.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(cause, "the op's owner was told (its connection aborts itself)");
        assertSame(kind.make.get().getClass(), cause.getClass());
        assertTheLoopServes();
        assertTrue(brokenLogging.thrown > 0, "the logging really threw");
        assertTrue(NeverThrowingLogger.linesLost() > lostBefore, "the lost log lines are counted");
        for (long s : sockets) {
            onLoop(loop, () -> loop.backend().close(s, true));
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aTaskThatThrowsWhileLoggingThrowsTooLeavesTheLoopServing(Kind kind) throws Exception {
        brokenLogging.armed = true;
        CountDownLatch ran = new CountDownLatch(1);
        loop.execute(() -> {
            ran.countDown();
            if (kind == Kind.STACK_OVERFLOW) {
                recurse(0);
            }
            Throwable t = kind.make.get();
            if (t instanceof Error) {
                throw (Error) t;
            }
            throw (RuntimeException) t;
        });
        assertTrue(ran.await(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        assertTheLoopServes();
        // Netty's task runner logs the task's failure; that log call threw, and the loop caught it.
        assertTrue(brokenLogging.thrown > 0, "the logging really threw");
        assertTrue(onLoop(loop, loop::loopFailures) >= 1, "the escape was counted");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aBackendPollThatThrowsLeavesTheLoopServing(Kind kind) throws Exception {
        FaultInjectingBackend.Faults faults = new FaultInjectingBackend.Faults();
        IocpEventLoopGroup faulty = new IocpEventLoopGroup(1,
                FaultInjectingBackend.wrap(() -> new SimulatedBackend(net), faults));
        try {
            brokenLogging.armed = true;
            IocpEventLoop l = faulty.next();
            onLoop(l, () -> faults.throwFromNextPoll(kind.make.get()));
            await("the poll threw", () -> !faults.pollThrowPending());
            assertEquals("still serving", onLoop(l, () -> "still serving"));
            assertNull(l.failure());
            assertTrue(faulty.loopFailures().isEmpty());
        } finally {
            faulty.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }

    @Test
    @SuppressWarnings({"deprecation", "removal"})
    void aLoopThreadEndedByThreadDeathIsReportedByTheGroupAndTheLoop() throws Exception {
        FaultInjectingBackend.Faults faults = new FaultInjectingBackend.Faults();
        IocpEventLoopGroup faulty = new IocpEventLoopGroup(1,
                FaultInjectingBackend.wrap(() -> new SimulatedBackend(net), faults));
        try {
            IocpEventLoop l = faulty.next();
            BlockingQueue<Throwable> told = new LinkedBlockingQueue<>();
            AtomicReference<IocpEventLoop> whichLoop = new AtomicReference<>();
            faulty.onLoopFailure((failed, cause) -> {
                whichLoop.set(failed);
                told.add(cause);
            });
            ThreadDeath death = new ThreadDeath();
            onLoop(l, () -> faults.throwFromNextPoll(death));
            Throwable cause = told.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertSame(death, cause, "the group's hook was told what ended the loop");
            assertSame(l, whichLoop.get());
            assertSame(death, l.failure());
            assertEquals(java.util.List.of(death), faulty.loopFailures());
            // A handler set later hears of it too.
            BlockingQueue<Throwable> toldLate = new LinkedBlockingQueue<>();
            faulty.onLoopFailure((failed, c) -> toldLate.add(c));
            assertSame(death, toldLate.poll());
            await("the dead loop terminated", l::isTerminated);
        } finally {
            faulty.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }
}
