package dev.iocp.core.backend;

import dev.iocp.core.testing.LoopTesting;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Skip-on-success mode, op by op, the same on every backend that has it (a short subclass each:
 * {@code SimulatedInlineCompletionTest} here, {@code Win32InlineCompletionTest} under Wine in win-tests): what
 * completes inline, that it is delivered exactly once and only by a poll, what a cancel or a close does to a queued
 * inline completion, and that inline completions never starve the port ({@link InlineCompletions}).
 */
public abstract class InlineCompletionContractTest {
    private static final CompletionHandler NO_HANDLER = (op, bytes, error) -> {};

    protected Backend backend;
    private OpSlab slab;
    private final List<Long> memory = new ArrayList<>();
    private final List<Long> sockets = new ArrayList<>();
    /** Packets seen by {@link #poll}, in order: the op and {bytes, error}. */
    private final List<Object[]> seen = new ArrayList<>();

    /** A new backend of the kind under test, in skip-on-success mode. */
    protected abstract Backend newBackend() throws Exception;

    /** {@return the backend's inline completions so far} */
    protected abstract long inlineCompletions();

    /** {@return inline completions waiting for a poll} */
    protected abstract int inlineCompletionsWaiting();

    /** {@return the backend's polls that read the port so far} */
    protected abstract long portReads();

    /** Waits until {@code n} received bytes wait in the socket, so that a receive submitted now completes inside it. */
    protected abstract void awaitBytesWaiting(long socket, int n) throws Exception;

    /** Waits, without polling, until the op has completed in the kernel: its packet is in the port. */
    protected abstract void awaitCompletedInKernel(Op op) throws Exception;

    @BeforeEach
    void setUp() throws Exception {
        backend = newBackend();
        slab = new OpSlab();
    }

    @AfterEach
    void tearDown() {
        for (long s : sockets) {
            backend.close(s, true);
        }
        for (int i = 0; i < 100 && slab.inFlight() > 0; i++) {
            poll(TimeUnit.MILLISECONDS.toNanos(10));
        }
        assertEquals(0, slab.inFlight(), "ops in flight at the end of the test");
        assertEquals(0, inlineCompletionsWaiting());
        slab.close();
        memory.forEach(PlatformDependent::freeMemory);
        backend.close();
    }

    private int poll(long timeoutNanos) {
        return backend.poll(slab, (op, bytes, error) -> {
            op.markCompleted();
            seen.add(new Object[] {op, bytes, error});
        }, timeoutNanos);
    }

    private int packetsFor(Op op) {
        int n = 0;
        for (Object[] p : seen) {
            n += p[0] == op ? 1 : 0;
        }
        return n;
    }

    private int[] only(Op op) {
        assertEquals(1, packetsFor(op), () -> "packets for " + op);
        for (Object[] p : seen) {
            if (p[0] == op) {
                return new int[] {(Integer) p[1], (Integer) p[2]};
            }
        }
        throw new AssertionError();
    }

    private long buffer(String text) {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        long m = PlatformDependent.allocateMemory(Math.max(64, b.length));
        PlatformDependent.copyMemory(b, 0, m, b.length);
        memory.add(m);
        return m;
    }

    private static String read(long address, int n) {
        byte[] b = new byte[n];
        PlatformDependent.copyMemory(address, b, 0, n);
        return new String(b, StandardCharsets.US_ASCII);
    }

    /** {listener, accepted side, connecting side}, all through the SPI; the set-up's packets are consumed. */
    private long[] connectedPair() throws Exception {
        long l = backend.openTcpSocket(false);
        sockets.add(l);
        backend.bind(l, new InetSocketAddress(LoopTesting.LOOPBACK_V4, 0));
        backend.listen(l, 8);
        long client = backend.openTcpSocket(false);
        sockets.add(client);
        Op connect = slab.acquire().prepare(OpType.CONNECT, client, NO_HANDLER);
        assertEquals(0, backend.submitConnect(connect, backend.localAddress(l)));
        // Wherever the connection is by now (in the backlog: the accept may succeed inside its submit), the accept
        // and the connect each yield one packet.
        Op accept = slab.acquire().prepare(OpType.ACCEPT, l, NO_HANDLER);
        assertEquals(0, backend.submitAccept(accept));
        while (accept.state() == Op.State.IN_FLIGHT || connect.state() == Op.State.IN_FLIGHT) {
            poll(TimeUnit.SECONDS.toNanos(1));
        }
        assertEquals(IoError.SUCCESS, only(accept)[1]);
        assertEquals(IoError.SUCCESS, only(connect)[1]);
        long server = backend.finishAccept(accept);
        backend.register(server);
        sockets.add(server);
        accept.release();
        connect.release();
        seen.clear();
        return new long[] {l, server, client};
    }

    private Op send(long socket, String text) {
        Op op = slab.acquire().prepare(OpType.SEND, socket, NO_HANDLER).addBuffer(buffer(text), text.length());
        assertEquals(0, backend.submitSend(op));
        return op;
    }

    /** A send with room in the socket's buffer succeeds inside its submit: inline, with its byte count. */
    @Test
    void aSendWithRoomCompletesInlineWithItsByteCount() throws Exception {
        long[] p = connectedPair();
        long before = inlineCompletions();
        Op s = send(p[2], "twelve bytes");
        assertEquals(Op.State.IN_FLIGHT, s.state(), "the submit does not complete the op: the poll does");
        assertEquals(before + 1, inlineCompletions(), "the send completed inline");
        poll(-1); // would block forever if the inline completion were not handed out: it must not block
        int[] got = only(s);
        assertEquals(IoError.SUCCESS, got[1]);
        assertEquals(12, got[0]);
        s.release();
    }

    @Test
    void aReceiveWhoseBytesAreThereCompletesInlineAndIsDeliveredExactlyOnceByThePoll() throws Exception {
        long[] p = connectedPair();
        Op s = send(p[2], "ping");
        awaitBytesWaiting(p[1], 4);
        long buf = buffer("");
        Op r = slab.acquire().prepare(OpType.RECV, p[1], NO_HANDLER).addBuffer(buf, 64);
        long inlineBefore = inlineCompletions();
        assertEquals(0, backend.submitRecv(r));
        assertEquals(Op.State.IN_FLIGHT, r.state(), "the submit does not complete the op: the poll does");
        assertEquals(inlineBefore + 1, inlineCompletions(), "the receive completed inline");
        assertTrue(seen.isEmpty());

        poll(-1); // would block forever without the inline completions: they are ready, so it must not
        int[] got = only(r);
        assertEquals(IoError.SUCCESS, got[1]);
        assertEquals("ping", read(buf, got[0]));
        assertEquals(1, packetsFor(s), "the send had completed inline as well");

        for (int i = 0; i < 3; i++) {
            assertEquals(0, poll(TimeUnit.MILLISECONDS.toNanos(20)));
        }
        assertEquals(1, packetsFor(r), "delivered exactly once");
        r.release();
        s.release();
    }

    @Test
    void aCancelOfAQueuedInlineReceiveFindsNothingAndTheDataIsDelivered() throws Exception {
        long[] p = connectedPair();
        Op s = send(p[2], "late");
        awaitBytesWaiting(p[1], 4);
        long buf = buffer("");
        Op r = slab.acquire().prepare(OpType.RECV, p[1], NO_HANDLER).addBuffer(buf, 64);
        long before = inlineCompletions();
        assertEquals(0, backend.submitRecv(r));
        assertEquals(before + 1, inlineCompletions(), "the receive completed inline");
        assertEquals(CancelResult.NOT_FOUND, backend.cancel(r), "nothing of it is left to cancel");
        assertTrue(r.cancelRequested());
        assertEquals(Op.State.IN_FLIGHT, r.state(), "a cancel's answer never completes the op (invariant 1)");
        while (r.state() == Op.State.IN_FLIGHT) {
            poll(0);
        }
        int[] got = only(r);
        assertEquals(IoError.SUCCESS, got[1]);
        assertEquals("late", read(buf, got[0]));
        for (int i = 0; i < 3; i++) {
            poll(TimeUnit.MILLISECONDS.toNanos(20));
        }
        assertEquals(1, packetsFor(r));
        r.release();
        s.release();
    }

    @Test
    void closingASocketWithInlineCompletionsQueuedKeepsTheirResultsAndEveryOpDrains() throws Exception {
        long[] p = connectedPair();
        Op s1 = send(p[2], "one");
        Op s2 = send(p[2], "two");
        assertEquals(2, inlineCompletionsWaiting());
        backend.close(p[2], true);
        sockets.remove(p[2]);
        assertEquals(Op.State.IN_FLIGHT, s1.state(), "still the backend's until its packet: not releasable");
        assertThrows(IllegalStateException.class, s1::release);
        poll(0);
        assertEquals(IoError.SUCCESS, only(s1)[1], "the send had completed: its packet says so, close or not");
        assertEquals(3, only(s1)[0]);
        assertEquals(3, only(s2)[0]);
        assertEquals(0, slab.inFlight());
        s1.release();
        s2.release();
    }

    @Test
    void aReadinessReceiveWithBytesWaitingCompletesInlineWithZeroBytesAndConsumesNothing() throws Exception {
        long[] p = connectedPair();
        Op s = send(p[2], "ready");
        awaitBytesWaiting(p[1], 5);
        Op r = slab.acquire().prepare(OpType.RECV, p[1], NO_HANDLER);
        long before = inlineCompletions();
        assertEquals(0, backend.submitRecv(r));
        assertEquals(before + 1, inlineCompletions(), "the readiness receive completed inline");
        poll(0);
        assertEquals(0, only(r)[0]);
        assertEquals(IoError.SUCCESS, only(r)[1]);
        long buf = buffer("");
        assertEquals(5, backend.receiveNow(p[1], buf, 64));
        assertEquals("ready", read(buf, 5));
        r.release();
        s.release();
    }

    @Test
    void aReceiveThatWaitsCompletesThroughThePortAsBefore() throws Exception {
        long[] p = connectedPair();
        Op r = slab.acquire().prepare(OpType.RECV, p[1], NO_HANDLER).addBuffer(buffer(""), 64);
        long before = inlineCompletions();
        assertEquals(0, backend.submitRecv(r));
        assertEquals(before, inlineCompletions(), "nothing to receive yet: it waits");
        Op s = send(p[2], "later");
        awaitCompletedInKernel(r);
        assertEquals(before + 1, inlineCompletions(), "only the send completed inline");
        long portReadsBefore = portReads();
        while (r.state() == Op.State.IN_FLIGHT) {
            poll(TimeUnit.SECONDS.toNanos(1));
        }
        assertTrue(portReads() > portReadsBefore, "the receive that waited came through the port");
        assertEquals(5, only(r)[0]);
        assertEquals(1, packetsFor(s));
        r.release();
        s.release();
    }

    /**
     * Fairness: a handler that resubmits an op which completes inline every time never keeps the port from being
     * read — a port packet waiting is delivered within two polls, and each poll that reads the port is one kernel
     * call while each poll served from the inline queue alone is none.
     */
    @Test
    void inlineCompletionsThatKeepComingNeverStarveThePort() throws Exception {
        long[] p = connectedPair();
        long[] p2 = connectedPair();
        // A receive that waits on the second connection, then completes through the port.
        Op waiting = slab.acquire().prepare(OpType.RECV, p2[1], NO_HANDLER).addBuffer(buffer(""), 64);
        assertEquals(0, backend.submitRecv(waiting));
        Op s2 = send(p2[2], "port");
        awaitCompletedInKernel(waiting);
        // An endless source of inline completions: each send's handler submits the next.
        long chunk = buffer("x");
        int[] floodPackets = {0};
        boolean[] stop = {false};
        CompletionHandler resubmit = new CompletionHandler() {
            @Override
            public void onCompletion(Op op, int bytes, int error) {
                floodPackets[0]++;
                if (!stop[0]) {
                    op.prepare(OpType.SEND, p[2], this).addBuffer(chunk, 1);
                    assertEquals(0, backend.submitSend(op));
                }
            }
        };
        Op flood = slab.acquire().prepare(OpType.SEND, p[2], resubmit).addBuffer(chunk, 1);
        assertEquals(0, backend.submitSend(flood));
        assertTrue(inlineCompletionsWaiting() >= 2, "the flood's first send and s2 completed inline");
        long portReadsBefore = portReads();
        int[] pollOfWaiting = {-1};
        for (int i = 1; i <= 6; i++) {
            int poll = i;
            backend.poll(slab, (op, bytes, error) -> {
                op.markCompleted();
                if (op == waiting) {
                    pollOfWaiting[0] = poll;
                }
                if (op == flood) {
                    op.handler().onCompletion(op, bytes, error);
                }
            }, -1); // never blocks: there is always an inline completion waiting
            assertTrue(inlineCompletionsWaiting() >= 1, "the flood goes on");
        }
        assertTrue(pollOfWaiting[0] >= 1 && pollOfWaiting[0] <= 2,
                "the port's packet came within two polls of inline completions: poll " + pollOfWaiting[0]);
        assertEquals(3, portReads() - portReadsBefore, "every second poll reads the port, the others don't");
        assertEquals(6, floodPackets[0], "one inline completion of the flood per poll: each poll hands out only "
                + "what was queued when it started");
        stop[0] = true;
        while (flood.state() == Op.State.IN_FLIGHT) {
            backend.poll(slab, (op, bytes, error) -> op.markCompleted(), 0);
        }
        flood.release();
        waiting.release();
        s2.release();
    }
}
