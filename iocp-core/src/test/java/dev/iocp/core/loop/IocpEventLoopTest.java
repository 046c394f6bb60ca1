package dev.iocp.core.loop;

import dev.iocp.core.backend.CancelResult;
import dev.iocp.core.backend.CompletionHandler;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.backend.sim.SimPeer;
import dev.iocp.core.backend.sim.SimulatedBackend;
import dev.iocp.core.backend.sim.SimulatedNetwork;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static dev.iocp.core.testing.LoopTesting.TIMEOUT_SECONDS;
import static dev.iocp.core.testing.LoopTesting.assertOpsDrained;
import static dev.iocp.core.testing.LoopTesting.onLoop;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The loop on the simulated backend: wake-ups, timers, dispatch, the cancel race, shutdown. */
class IocpEventLoopTest {
    private SimulatedNetwork net;
    private IocpEventLoopGroup group;
    private IocpEventLoop loop;
    private SimulatedBackend sim;
    private final List<Long> buffers = new ArrayList<>();

    @BeforeEach
    void start() {
        net = new SimulatedNetwork();
        group = new IocpEventLoopGroup(1, () -> new SimulatedBackend(net));
        loop = group.next();
        sim = (SimulatedBackend) onLoop(loop, loop::backend);
        loopThread = threadOf(loop);
    }

    private Thread loopThread;

    @AfterEach
    void stop() throws Exception {
        if (!loop.isShuttingDown()) {
            assertOpsDrained(loop);
        }
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertTrue(group.isTerminated(), "group terminated");
        buffers.forEach(PlatformDependent::freeMemory);
    }

    /** A completion handler that records packets and, for receives, the bytes that landed in the buffer. */
    static final class Recorder implements CompletionHandler {
        record Seen(Op op, int bytes, int error, byte[] data) {}

        final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
        final BlockingQueue<Throwable> failures = new LinkedBlockingQueue<>();
        volatile boolean throwOnCompletion;
        volatile boolean release = true;

        @Override
        public void onCompletion(Op op, int bytes, int error) {
            byte[] data = new byte[bytes];
            if (op.type() == OpType.RECV && bytes > 0) {
                PlatformDependent.copyMemory(op.bufferAddress(0), data, 0, bytes);
            }
            seen.add(new Seen(op, bytes, error, data));
            if (throwOnCompletion) {
                throw new IllegalStateException("handler blew up on " + op);
            }
            if (release) {
                op.release();
            }
        }

        @Override
        public void onDispatchFailure(Op op, Throwable cause) {
            failures.add(cause);
            if (op.state() == Op.State.OWNED) {
                op.release();
            }
        }

        Seen next() throws InterruptedException {
            Seen s = seen.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(s, "expected a packet");
            return s;
        }
    }

    private long buffer(int size) {
        long a = PlatformDependent.allocateMemory(size);
        buffers.add(a);
        return a;
    }

    /** Opens a socket on the loop and connects it to a test-driven peer. */
    private record Conn(long socket, SimPeer peer) {}

    private Conn connect() throws Exception {
        SimulatedNetwork.PeerListener listener = net.listenPeer(
                new InetSocketAddress(dev.iocp.core.testing.LoopTesting.LOOPBACK_V4, 0));
        Recorder connectRecorder = new Recorder();
        long socket = onLoop(loop, () -> {
            long s = sim.openTcpSocket(false);
            Op op = loop.acquireOp().prepare(OpType.CONNECT, s, connectRecorder);
            assertEquals(0, sim.submitConnect(op, listener.address()));
            return s;
        });
        assertEquals(0, connectRecorder.next().error());
        SimPeer peer = listener.awaitPeer(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        listener.close();
        return new Conn(socket, peer);
    }

    private Op submitRecv(long socket, CompletionHandler handler, int size) {
        long buf = buffer(size);
        return onLoop(loop, () -> {
            Op op = loop.acquireOp().prepare(OpType.RECV, socket, handler).addBuffer(buf, size);
            assertEquals(0, sim.submitRecv(op));
            return op;
        });
    }

    @Test
    void taskFromAnotherThreadWakesABlockedLoopWithOneWakeUp() throws Exception {
        // Let the loop go to sleep: no tasks, no timers.
        onLoop(loop, () -> null);
        dev.iocp.core.testing.LoopTesting.await("loop asleep", () -> sleeping(loop));
        long wakeupsBefore = loop.wakeupsPosted();
        CountDownLatch ran = new CountDownLatch(1);
        loop.execute(ran::countDown);
        assertTrue(ran.await(TIMEOUT_SECONDS, TimeUnit.SECONDS), "task ran on the blocked loop");
        assertEquals(1, loop.wakeupsPosted() - wakeupsBefore, "one wake-up for one task into a sleeping loop");
    }

    @Test
    void tasksSubmittedWhileTheLoopIsBusyPostNoWakeUp() throws Exception {
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        loop.execute(() -> {
            busy.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(busy.await(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        long wakeupsBefore = loop.wakeupsPosted();
        AtomicInteger ran = new AtomicInteger();
        for (int i = 0; i < 100; i++) {
            loop.execute(ran::incrementAndGet);
        }
        release.countDown();
        dev.iocp.core.testing.LoopTesting.await("100 tasks ran", () -> ran.get() == 100);
        assertEquals(0, loop.wakeupsPosted() - wakeupsBefore, "an awake loop needs no wake-up");
    }

    @Test
    void manyConcurrentSubmittersIntoASleepingLoopPostAtMostOneWakeUpPerSleep() throws Exception {
        onLoop(loop, () -> null);
        dev.iocp.core.testing.LoopTesting.await("loop asleep", () -> sleeping(loop));
        long pollsBefore = onLoop(loop, loop::polls);
        long wakeupsBefore = loop.wakeupsPosted();
        int threads = 4;
        int perThread = 250;
        AtomicInteger ran = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> submitters = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perThread; i++) {
                    loop.execute(ran::incrementAndGet);
                }
            });
            th.start();
            submitters.add(th);
        }
        go.countDown();
        for (Thread th : submitters) {
            th.join();
        }
        dev.iocp.core.testing.LoopTesting.await("all tasks ran", () -> ran.get() == threads * perThread);
        long polls = onLoop(loop, loop::polls) - pollsBefore;
        long wakeups = loop.wakeupsPosted() - wakeupsBefore;
        assertTrue(wakeups >= 1, "the sleeping loop was woken");
        assertTrue(wakeups <= polls + 1, "at most one wake-up per sleep: " + wakeups + " wake-ups, " + polls + " polls");
        assertTrue(wakeups < threads * perThread / 10, "wake-ups are not posted per task: " + wakeups);
    }

    @Test
    void scheduledTaskFiresAtItsDeadlineWithoutBusyPolling() throws Exception {
        onLoop(loop, () -> null);
        long pollsBefore = onLoop(loop, loop::polls);
        long start = System.nanoTime();
        AtomicLong firedAt = new AtomicLong();
        CountDownLatch fired = new CountDownLatch(1);
        loop.schedule(() -> {
            firedAt.set(System.nanoTime());
            fired.countDown();
        }, 200, TimeUnit.MILLISECONDS);
        assertTrue(fired.await(TIMEOUT_SECONDS, TimeUnit.SECONDS), "scheduled task fired");
        assertTrue(firedAt.get() - start >= TimeUnit.MILLISECONDS.toNanos(200), "not before its deadline");
        long polls = onLoop(loop, loop::polls) - pollsBefore;
        // A busy loop would poll thousands of times in 200 ms; a sleeping one a handful (wake-up, timer, our tasks).
        assertTrue(polls <= 6, "polled " + polls + " times while waiting 200 ms");
    }

    @Test
    void aScheduledTaskEarlierThanTheCurrentSleepWakesTheLoop() throws Exception {
        CountDownLatch late = new CountDownLatch(1);
        loop.schedule(late::countDown, 1, TimeUnit.HOURS);
        onLoop(loop, () -> null);
        dev.iocp.core.testing.LoopTesting.await("loop asleep", () -> sleeping(loop));
        CountDownLatch early = new CountDownLatch(1);
        loop.schedule(early::countDown, 10, TimeUnit.MILLISECONDS);
        assertTrue(early.await(TIMEOUT_SECONDS, TimeUnit.SECONDS), "the earlier timer fired");
        assertEquals(1, late.getCount());
    }

    @Test
    void aPacketForAnOpWhoseCancelReturnedNotFoundDeliversItsData() throws Exception {
        Conn c = connect();
        Recorder r = new Recorder();
        sim.holdPackets(true);
        Op op = submitRecv(c.socket(), r, 64);
        c.peer().write("late data".getBytes(StandardCharsets.US_ASCII));
        sim.awaitHeld(1, TIMEOUT_SECONDS, TimeUnit.SECONDS);
        // The op completed but its packet is still in the port: exactly where CPython dropped data.
        assertEquals(CancelResult.NOT_FOUND, onLoop(loop, () -> sim.cancel(op)));
        sim.holdPackets(false);
        Recorder.Seen seen = r.next();
        assertEquals(0, seen.error());
        assertArrayEquals("late data".getBytes(StandardCharsets.US_ASCII), seen.data());
        assertTrue(seen.op().cancelRequested(), "the op knows a cancel was requested");
        closeSocket(c.socket());
    }

    @Test
    void aCancelRequestedOnAnIdleReceiveCompletesAsAborted() throws Exception {
        Conn c = connect();
        Recorder r = new Recorder();
        Op op = submitRecv(c.socket(), r, 64);
        assertEquals(CancelResult.REQUESTED, onLoop(loop, () -> sim.cancel(op)));
        Recorder.Seen seen = r.next();
        assertTrue(IoError.isAborted(seen.error()), () -> IoError.describe(seen.error()));
        assertEquals(0, seen.bytes());
        // The socket stays usable: a new receive gets the next bytes.
        Op again = submitRecv(c.socket(), r, 64);
        c.peer().write(new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, r.next().data());
        assertNotNull(again);
        closeSocket(c.socket());
    }

    @Test
    void aCancelRequestedThatLosesToTheDataStillDeliversTheData() throws Exception {
        Conn c = connect();
        Recorder r = new Recorder();
        Op op = submitRecv(c.socket(), r, 64);
        sim.scriptNextCancel(SimulatedBackend.CancelScript.REQUESTED_BUT_COMPLETES_LATER);
        assertEquals(CancelResult.REQUESTED, onLoop(loop, () -> sim.cancel(op)));
        c.peer().write(new byte[] {42});
        Recorder.Seen seen = r.next();
        assertEquals(0, seen.error(), "the packet, not the cancel, is the truth");
        assertArrayEquals(new byte[] {42}, seen.data());
        closeSocket(c.socket());
    }

    @Test
    void packetsOfSeveralSocketsLeaveThePortInOneBatchInTheScriptedOrder() throws Exception {
        Conn a = connect();
        Conn b = connect();
        Conn d = connect();
        Recorder r = new Recorder();
        sim.holdPackets(true);
        Op ra = submitRecv(a.socket(), r, 16);
        Op rb = submitRecv(b.socket(), r, 16);
        Op rd = submitRecv(d.socket(), r, 16);
        a.peer().write(new byte[] {'a'});
        b.peer().write(new byte[] {'b'});
        d.peer().write(new byte[] {'d'});
        List<SimulatedBackend.Packet> held = sim.awaitHeld(3, TIMEOUT_SECONDS, TimeUnit.SECONDS);
        long dispatchedBefore = onLoop(loop, loop::packetsDispatched);
        long pollsBefore = onLoop(loop, loop::polls);
        // Release in the order d, a, b: the loop must dispatch in port order, all in one poll.
        sim.releasePackets(List.of(held.get(2), held.get(0), held.get(1)));
        assertEquals(rd, r.next().op());
        assertEquals(ra, r.next().op());
        assertEquals(rb, r.next().op());
        assertEquals(3, onLoop(loop, loop::packetsDispatched) - dispatchedBefore);
        long polls = onLoop(loop, loop::polls) - pollsBefore;
        assertTrue(polls <= 3, "one poll took the batch (plus the task wake-ups of this check): " + polls);
        sim.holdPackets(false);
        closeSocket(a.socket());
        closeSocket(b.socket());
        closeSocket(d.socket());
    }

    @Test
    void aThrowingHandlerIsReportedToItsOwnerAndTheLoopCarriesOn() throws Exception {
        Conn a = connect();
        Conn b = connect();
        Recorder bad = new Recorder();
        bad.throwOnCompletion = true;
        bad.release = false;
        Recorder good = new Recorder();
        sim.holdPackets(true);
        submitRecv(a.socket(), bad, 16);
        submitRecv(b.socket(), good, 16);
        a.peer().write(new byte[] {1});
        b.peer().write(new byte[] {2});
        sim.awaitHeld(2, TIMEOUT_SECONDS, TimeUnit.SECONDS);
        sim.holdPackets(false); // both in one batch: the bad one first
        assertEquals(1, bad.next().bytes());
        Throwable failure = bad.failures.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(failure, "owner told of its handler's exception");
        assertTrue(failure.getMessage().contains("blew up"));
        assertArrayEquals(new byte[] {2}, good.next().data(), "the next packet of the batch was dispatched");
        assertEquals(1L, (long) onLoop(loop, loop::dispatchFailures));
        assertEquals("still alive", onLoop(loop, () -> "still alive"));
        closeSocket(a.socket());
        closeSocket(b.socket());
    }

    @Test
    void shutdownWithOpsInFlightEndsOnlyAfterTheirPackets() throws Exception {
        Conn c = connect();
        Recorder r = new Recorder();
        submitRecv(c.socket(), r, 16);
        onLoop(loop, () -> loop.register(() -> sim.close(c.socket(), true)));
        sim.holdPackets(true); // the kernel is slow to hand back the aborted packet
        assertEquals(1, (int) onLoop(loop, loop::opsInFlight));
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS);
        sim.awaitHeld(1, TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertFalse(loop.awaitTermination(300, TimeUnit.MILLISECONDS),
                "the loop must not end (and free op memory) while an op is in flight");
        sim.holdPackets(false);
        assertTrue(loop.awaitTermination(TIMEOUT_SECONDS, TimeUnit.SECONDS), "loop ended after the packet");
        Recorder.Seen seen = r.next();
        assertTrue(IoError.isAborted(seen.error()), () -> IoError.describe(seen.error()));
    }

    @Test
    void anOpCannotBeReleasedWhileTheKernelOwnsIt() throws Exception {
        Conn c = connect();
        Recorder r = new Recorder();
        Op op = submitRecv(c.socket(), r, 16);
        AtomicReference<Throwable> refused = new AtomicReference<>();
        onLoop(loop, () -> {
            try {
                op.release();
            } catch (IllegalStateException e) {
                refused.set(e);
            }
        });
        assertNotNull(refused.get());
        assertTrue(refused.get().getMessage().contains("in flight"));
        closeSocket(c.socket());
        assertTrue(IoError.isAborted(r.next().error()));
    }

    private void closeSocket(long socket) {
        onLoop(loop, () -> sim.close(socket, false));
    }

    /** True while the loop thread is blocked in its backend (a parked thread with no runnable work). */
    private boolean sleeping(IocpEventLoop loop) {
        Thread.State s = loopThread.getState();
        return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
    }

    private static Thread threadOf(IocpEventLoop loop) {
        AtomicReference<Thread> t = new AtomicReference<>();
        onLoop(loop, () -> t.set(Thread.currentThread()));
        return t.get();
    }
}
