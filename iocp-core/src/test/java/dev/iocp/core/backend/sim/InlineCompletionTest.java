package dev.iocp.core.backend.sim;

import dev.iocp.core.backend.CancelResult;
import dev.iocp.core.backend.CompletionHandler;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpSlab;
import dev.iocp.core.backend.OpType;
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
 * Skip-on-success mode on the simulated backend, op by op: what completes inline, that it is delivered exactly once
 * and only by a poll, what a cancel, a close or a throwing sink do to a queued inline completion, and that inline
 * completions never starve the port. The same rules hold on Win32 ({@code InlineCompletions} is shared); the Win32
 * contract suite runs in the mode under Wine.
 */
class InlineCompletionTest {
    private static final CompletionHandler NO_HANDLER = (op, bytes, error) -> {};

    private SimulatedBackend backend;
    private OpSlab slab;
    private final List<Long> memory = new ArrayList<>();
    private final List<Long> sockets = new ArrayList<>();
    /** Packets seen by {@link #poll}, in order: the op and {bytes, error}. */
    private final List<Object[]> seen = new ArrayList<>();

    @BeforeEach
    void setUp() {
        backend = new SimulatedBackend(new SimulatedNetwork(), 64, true);
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
        assertEquals(0, backend.inlineCompletionsWaiting());
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
        // The connection waits in the backlog: this accept succeeds inside its submit, on the listener.
        Op accept = slab.acquire().prepare(OpType.ACCEPT, l, NO_HANDLER);
        long before = backend.inlineCompletions();
        assertEquals(0, backend.submitAccept(accept));
        assertEquals(before + 1, backend.inlineCompletions(), "the accept completed inline");
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

    @Test
    void aReceiveWhoseBytesAreThereCompletesInlineAndIsDeliveredExactlyOnceByThePoll() throws Exception {
        long[] p = connectedPair();
        Op s = send(p[2], "ping");
        backend.holdPackets(true); // anything reaching the port from here on is held, and would show
        long buf = buffer("");
        Op r = slab.acquire().prepare(OpType.RECV, p[1], NO_HANDLER).addBuffer(buf, 64);
        long inlineBefore = backend.inlineCompletions();
        assertEquals(0, backend.submitRecv(r));
        assertEquals(Op.State.IN_FLIGHT, r.state(), "the submit does not complete the op: the poll does");
        assertEquals(inlineBefore + 1, backend.inlineCompletions());
        assertTrue(backend.heldPackets().isEmpty(), "no port packet for an inline completion: " + backend.heldPackets());
        assertTrue(seen.isEmpty());

        poll(-1); // would block forever without the inline completions: they are ready, so it must not
        int[] got = only(r);
        assertEquals(IoError.SUCCESS, got[1]);
        assertEquals("ping", read(buf, got[0]));
        assertEquals(1, packetsFor(s), "the send had completed inline as well");

        backend.holdPackets(false);
        assertEquals(0, poll(0));
        assertEquals(0, poll(0));
        assertEquals(1, packetsFor(r), "delivered exactly once");
        r.release();
        s.release();
    }

    @Test
    void aCancelOfAQueuedInlineReceiveFindsNothingAndTheDataIsDelivered() throws Exception {
        long[] p = connectedPair();
        Op s = send(p[2], "late");
        long buf = buffer("");
        Op r = slab.acquire().prepare(OpType.RECV, p[1], NO_HANDLER).addBuffer(buf, 64);
        assertEquals(0, backend.submitRecv(r));
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
            poll(0);
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
        assertEquals(2, backend.inlineCompletionsWaiting());
        backend.close(p[2], true);
        sockets.remove(p[2]);
        assertEquals(Op.State.IN_FLIGHT, s1.state(), "still the backend's until its packet: not releasable");
        assertThrows(IllegalStateException.class, s1::release);
        poll(0);
        assertEquals(3, only(s1)[0], "the send had completed: its packet says so, close or not");
        assertEquals(3, only(s2)[0]);
        assertEquals(0, slab.inFlight());
        s1.release();
        s2.release();
    }

    @Test
    void aReadinessReceiveWithBytesWaitingCompletesInlineWithZeroBytesAndConsumesNothing() throws Exception {
        long[] p = connectedPair();
        Op s = send(p[2], "ready");
        Op r = slab.acquire().prepare(OpType.RECV, p[1], NO_HANDLER);
        assertEquals(0, backend.submitRecv(r));
        assertEquals(1 + 1, backend.inlineCompletionsWaiting(), "the send's and the readiness receive's");
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
        backend.holdPackets(true);
        Op r = slab.acquire().prepare(OpType.RECV, p[1], NO_HANDLER).addBuffer(buffer(""), 64);
        assertEquals(0, backend.submitRecv(r));
        assertEquals(0, backend.inlineCompletionsWaiting());
        Op s = send(p[2], "later");
        assertEquals(1, backend.heldPackets().size(), "the receive that waited completed through the port");
        assertEquals(r, backend.heldPackets().get(0).op());
        backend.holdPackets(false);
        poll(0);
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
        assertTrue(backend.inlineCompletionsWaiting() >= 2, "the flood's first send and s2 completed inline");
        long portReadsBefore = backend.portReads();
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
            assertTrue(backend.inlineCompletionsWaiting() >= 1, "the flood goes on");
        }
        assertTrue(pollOfWaiting[0] >= 1 && pollOfWaiting[0] <= 2,
                "the port's packet came within two polls of inline completions: poll " + pollOfWaiting[0]);
        assertEquals(3, backend.portReads() - portReadsBefore, "every second poll reads the port, the others don't");
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
