package dev.iocp.core.loop;

import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.backend.sim.SimulatedBackend;
import dev.iocp.core.backend.sim.SimulatedNetwork;
import dev.iocp.core.testing.LoopTesting;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The loop with a backend in skip-on-success mode: an op completed inline is dispatched by the loop exactly once,
 * and a loop that shuts down with inline completions queued still hands them out and drains to nothing in flight
 * (it never leaks the slab waiting for a packet the port will not bring).
 */
class InlineCompletionLoopTest {
    @Test
    void aLoopShuttingDownWithInlineCompletionsQueuedDispatchesThemAndDrains() throws Exception {
        SimulatedNetwork net = new SimulatedNetwork();
        IocpEventLoopGroup group = new IocpEventLoopGroup(1, () -> new SimulatedBackend(net, 64, true));
        IocpEventLoop loop = group.next();
        AtomicInteger completions = new AtomicInteger();
        long buffer = PlatformDependent.allocateMemory(8);
        int[] inFlightAfterSubmit = {-1};
        int[] waitingAfterSubmit = {-1};
        LoopTesting.onLoop(loop, () -> {
            SimulatedBackend b = (SimulatedBackend) loop.backend();
            long l = b.openTcpSocket(false);
            b.bind(l, new InetSocketAddress(LoopTesting.LOOPBACK_V4, 0));
            b.listen(l, 4);
            long c = b.openTcpSocket(false);
            Op connect = loop.acquireOp().prepare(OpType.CONNECT, c, (op, n, e) -> {
                completions.incrementAndGet();
                // Connected (inline): a send with window completes inline too; then the loop is told to stop at once,
                // with the send's completion still queued.
                Op send = loop.acquireOp().prepare(OpType.SEND, c, (s, bytes, err) -> {
                    completions.incrementAndGet();
                    s.release();
                    b.close(c, true);
                    b.close(l, false);
                }).addBuffer(buffer, 8);
                assertEquals(0, b.submitSend(send));
                inFlightAfterSubmit[0] = loop.opsInFlight();
                waitingAfterSubmit[0] = b.inlineCompletionsWaiting();
                op.release();
                loop.parent().shutdownGracefully(0, 5, TimeUnit.SECONDS);
            });
            assertEquals(0, b.submitConnect(connect, b.localAddress(l)));
        });
        assertTrue(group.terminationFuture().await(20, TimeUnit.SECONDS), "the loop terminated");
        assertEquals(1, inFlightAfterSubmit[0], "the inline send was in flight (the backend's) until dispatched");
        assertEquals(1, waitingAfterSubmit[0], "its completion waited in the inline queue");
        assertEquals(2, completions.get(), "the connect and the send each dispatched exactly once");
        assertEquals(0, loop.opsInFlight(), "nothing left in flight: the slab was freed, not abandoned");
        PlatformDependent.freeMemory(buffer);
    }
}
