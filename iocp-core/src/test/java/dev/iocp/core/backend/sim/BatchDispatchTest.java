package dev.iocp.core.backend.sim;

import dev.iocp.core.backend.CompletionSink;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpSlab;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.testing.LoopTesting;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A batch, once taken out of the port, exists nowhere else: an Error thrown while one packet is handed over must
 * not lose the packets after it (their ops would stay in flight forever, their memory unreleasable).
 */
class BatchDispatchTest {
    @Test
    void anErrorWhileHandingOverOnePacketStillHandsOverTheRestOfTheBatch() throws Exception {
        SimulatedBackend backend = new SimulatedBackend(new SimulatedNetwork());
        OpSlab slab = new OpSlab();
        try {
            long listener = backend.openTcpSocket(false);
            backend.bind(listener, new InetSocketAddress(LoopTesting.LOOPBACK_V4, 0));
            backend.listen(listener, 8);
            InetSocketAddress address = backend.localAddress(listener);
            List<Op> submitted = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Op accept = slab.acquire().prepare(OpType.ACCEPT, listener, null);
                assertEquals(0, backend.submitAccept(accept));
                submitted.add(accept);
                Op connect = slab.acquire().prepare(OpType.CONNECT, backend.openTcpSocket(false), null);
                assertEquals(0, backend.submitConnect(connect, address));
                submitted.add(connect);
            }
            OutOfMemoryError injected = new OutOfMemoryError("injected while handing over a packet");
            List<Op> handedOver = new ArrayList<>();
            CompletionSink sink = (op, bytes, error) -> {
                op.markCompleted();
                handedOver.add(op);
                if (handedOver.size() == 1) {
                    throw injected;
                }
            };
            OutOfMemoryError thrown = assertThrows(OutOfMemoryError.class, () -> backend.poll(slab, sink, 0));
            assertSame(injected, thrown, "the first failure is rethrown once the batch is out");
            assertEquals(submitted.size(), handedOver.size(), "every packet of the batch was handed over");
            assertEquals(0, slab.inFlight());
        } finally {
            backend.close();
        }
    }
}
