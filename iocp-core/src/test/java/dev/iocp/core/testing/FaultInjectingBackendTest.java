package dev.iocp.core.testing;

import dev.iocp.core.backend.CompletionHandler;
import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.IoException;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpSlab;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.backend.sim.SimPeer;
import dev.iocp.core.backend.sim.SimulatedBackend;
import dev.iocp.core.backend.sim.SimulatedNetwork;
import dev.iocp.core.testing.FaultInjectingBackend.Call;
import dev.iocp.core.testing.FaultInjectingBackend.Faults;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fault-injection kit itself, over the simulated backend: what it fails, what it counts, what it never drops. */
class FaultInjectingBackendTest {
    private static final CompletionHandler NONE = (op, bytes, error) -> {};
    private final SimulatedNetwork net = new SimulatedNetwork();
    private final Faults faults = new Faults(11);
    private final FaultInjectingBackend backend = new FaultInjectingBackend(new SimulatedBackend(net), faults);
    private final OpSlab slab = new OpSlab();

    record Seen(Op op, int bytes, int error) {}

    @AfterEach
    void tearDown() {
        slab.close();
        backend.close();
    }

    private long listener() throws IoException {
        long l = backend.openTcpSocket(false);
        backend.bind(l, new InetSocketAddress(LoopTesting.LOOPBACK_V4, 0));
        backend.listen(l, 16);
        return l;
    }

    private List<Seen> poll() {
        List<Seen> seen = new ArrayList<>();
        backend.poll(slab, (op, bytes, error) -> {
            op.markCompleted();
            seen.add(new Seen(op, bytes, error));
        }, 0);
        return seen;
    }

    @Test
    void aFailedSubmitReturnsTheErrorLeavesTheOpOwnedAndNeverReachesTheDelegate() throws Exception {
        long l = listener();
        faults.failNext(Call.SUBMIT_ACCEPT, ErrorCode.NO_DESCRIPTORS, 2);
        Op op = slab.acquire().prepare(OpType.ACCEPT, l, NONE);
        // On the simulated backend, which simulates Windows, the code comes with Winsock's number for it.
        assertEquals("WSAEMFILE (10024)", IoError.describe(backend.submitAccept(op)));
        assertEquals(ErrorCode.NO_DESCRIPTORS, IoError.code(backend.submitAccept(op)));
        assertEquals(Op.State.OWNED, op.state());
        assertEquals(0, slab.inFlight());
        assertEquals(0, backend.submitAccept(op), "the third passes");
        assertEquals(Op.State.IN_FLIGHT, op.state());
        assertEquals(3, faults.calls(Call.SUBMIT_ACCEPT));
        assertEquals(2, faults.injected(Call.SUBMIT_ACCEPT));
        backend.close(l, false);
        assertTrue(IoError.isAborted(poll().get(0).error()));
        op.release();
    }

    @Test
    void aFailedPacketIsStillDeliveredWithItsAcceptedSocketForTheOwner() throws Exception {
        long l = listener();
        Op op = slab.acquire().prepare(OpType.ACCEPT, l, NONE);
        assertEquals(0, backend.submitAccept(op));
        faults.failOnce(Call.ACCEPT_PACKET, ErrorCode.RESET);
        SimPeer peer = net.connectPeer(backend.localAddress(l));
        List<Seen> seen = poll();
        assertEquals(1, seen.size(), "the packet is delivered, not dropped");
        assertEquals("Connection reset by peer (WSAECONNRESET 10054)", IoError.describe(seen.get(0).error()));
        long accepted = op.acceptSocket();
        assertNotEquals(0, accepted, "the accepted socket stays recorded, for the owner to close");
        backend.close(accepted, true);
        backend.close(accepted, true);
        assertEquals(2, faults.closes(accepted), "closes are counted per handle, repeats included");
        assertEquals(1, faults.calls(Call.ACCEPT_PACKET));
        peer.close();
        op.release();
        backend.close(l, false);
    }

    @Test
    void callsFailWithANamedInjectedErrorAndAProbabilityRuleIsReproducibleFromItsSeed() throws Exception {
        long l = listener();
        faults.failOnce(Call.SET_OPTION, ErrorCode.NO_BUFFERS);
        IoException e = assertThrows(IoException.class,
                () -> backend.setOption(l, dev.iocp.core.backend.SocketOpt.SO_RCVBUF, 4096));
        assertEquals(ErrorCode.NO_BUFFERS, e.code());
        assertEquals("setsockopt SO_RCVBUF (injected): WSAENOBUFS (10055)", e.getMessage());
        backend.setOption(l, dev.iocp.core.backend.SocketOpt.SO_RCVBUF, 4096); // once only
        backend.close(l, false);

        List<ErrorCode> a = draws(new Faults(99));
        List<ErrorCode> b = draws(new Faults(99));
        assertEquals(a, b, "same seed, same faults");
        long failed = a.stream().filter(x -> x != null).count();
        assertTrue(failed > 20 && failed < 80, "about half of 100 failed: " + failed);
    }

    private static List<ErrorCode> draws(Faults f) {
        f.failWithProbability(Call.SUBMIT_RECV, ErrorCode.NO_BUFFERS, 0.5);
        List<ErrorCode> out = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            out.add(f.next(Call.SUBMIT_RECV));
        }
        return out;
    }
}
