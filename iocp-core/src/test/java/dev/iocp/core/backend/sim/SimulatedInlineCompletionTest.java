package dev.iocp.core.backend.sim;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.InlineCompletionContractTest;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpSlab;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.testing.LoopTesting;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The inline-completion contract on the simulated backend in skip-on-success mode, plus what only it can show. */
class SimulatedInlineCompletionTest extends InlineCompletionContractTest {
    private SimulatedBackend sim() {
        return (SimulatedBackend) backend;
    }

    @Override
    protected Backend newBackend() {
        return new SimulatedBackend(new SimulatedNetwork(), 64, true);
    }

    @Override
    protected long inlineCompletions() {
        return sim().inlineCompletions();
    }

    @Override
    protected int inlineCompletionsWaiting() {
        return sim().inlineCompletionsWaiting();
    }

    @Override
    protected long portReads() {
        return sim().portReads();
    }

    @Override
    protected void awaitBytesWaiting(long socket, int n) throws Exception {
        assertTrue(backend.bytesAvailable(socket) >= n, "the simulated network delivers at once");
    }

    @Override
    protected void awaitCompletedInKernel(Op op) {
        // The simulated network completes an op at the moment its cause happens: the packet is in the port already.
    }

    /** An inline completion never reaches the port: while packets are held, none is held for it. */
    @Test
    void anInlineCompletionPostsNoPortPacket() throws Exception {
        SimulatedBackend b = sim();
        OpSlab slab = new OpSlab();
        long l = b.openTcpSocket(false);
        b.bind(l, new InetSocketAddress(LoopTesting.LOOPBACK_V4, 0));
        b.listen(l, 4);
        long c = b.openTcpSocket(false);
        Op connect = slab.acquire().prepare(OpType.CONNECT, c, (op, bytes, error) -> {});
        b.holdPackets(true);
        assertEquals(0, b.submitConnect(connect, b.localAddress(l)));
        assertEquals(1, b.inlineCompletionsWaiting(), "a connect to a listener succeeds inside its submit here");
        long buf = PlatformDependent.allocateMemory(8);
        Op send = slab.acquire().prepare(OpType.SEND, c, (op, bytes, error) -> {}).addBuffer(buf, 8);
        assertEquals(0, b.submitSend(send));
        assertEquals(2, b.inlineCompletionsWaiting());
        assertTrue(b.heldPackets().isEmpty(), "no port packet for either: " + b.heldPackets());
        b.holdPackets(false);
        int[] n = {0};
        b.poll(slab, (op, bytes, error) -> {
            op.markCompleted();
            n[0]++;
        }, 0);
        assertEquals(2, n[0]);
        b.close(c, true);
        b.close(l, false);
        connect.release();
        send.release();
        slab.close();
        PlatformDependent.freeMemory(buf);
    }

    /** Off (the default), the same submits complete through the port: every poll is a port read. */
    @Test
    void withTheModeOffEverySuccessComesThroughThePort() throws Exception {
        SimulatedBackend b = new SimulatedBackend(new SimulatedNetwork(), 64, false);
        OpSlab slab = new OpSlab();
        long l = b.openTcpSocket(false);
        b.bind(l, new InetSocketAddress(LoopTesting.LOOPBACK_V4, 0));
        b.listen(l, 4);
        long c = b.openTcpSocket(false);
        Op connect = slab.acquire().prepare(OpType.CONNECT, c, (op, bytes, error) -> {});
        b.holdPackets(true);
        assertEquals(0, b.submitConnect(connect, b.localAddress(l)));
        assertEquals(0, b.inlineCompletionsWaiting());
        assertEquals(1, b.heldPackets().size());
        b.holdPackets(false);
        b.poll(slab, (op, bytes, error) -> op.markCompleted(), 0);
        assertEquals(Op.State.OWNED, connect.state());
        assertEquals(1, b.portReads());
        assertEquals(0, b.inlineCompletions());
        b.close(c, true);
        b.close(l, false);
        connect.release();
        slab.close();
        b.close();
    }
}
