package dev.iocp.transport.sim;

import dev.iocp.core.backend.ProvidedBuffers;
import dev.iocp.core.backend.sim.SimPeer;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.core.testing.LoopTesting;
import dev.iocp.transport.ReceiveMode;
import dev.iocp.transport.RetainedBuffer;
import dev.iocp.transport.Server;
import dev.iocp.transport.Transport;
import dev.iocp.transport.TransportConfig;
import dev.iocp.transport.TransportCounters;
import dev.iocp.transport.Transports;
import dev.iocp.transport.testing.ProtocolContract;
import dev.iocp.transport.testing.RecordingProtocol;
import dev.iocp.transport.testing.SimulatedEnv;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static dev.iocp.core.testing.LoopTesting.onLoop;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link ReceiveMode#PROVIDED} on the simulated backend's provided buffers, step by step: a receive held while paused
 * keeps its pool buffer until resume; paused connections hold at most half the pool (the rest is moved out); an
 * empty pool sends the receive to readiness and loses nothing; a buffer a protocol retains is out of the pool until
 * released — and one never released is caught by the check every suite's tear-down makes.
 */
class ProvidedReceiveTest {
    private static final long T = 20_000;
    private static final TransportConfig PROVIDED = TransportConfig.DEFAULT.withReceiveMode(ReceiveMode.PROVIDED);

    private SimulatedEnv env;
    private IocpEventLoopGroup group;
    private IocpEventLoop loop;
    private Server server;
    private final LinkedBlockingQueue<RecordingProtocol> accepted = new LinkedBlockingQueue<>();
    private final List<SimPeer> peers = new ArrayList<>();

    private void start(int buffers, int size) throws Exception {
        ProtocolContract.clearViolations();
        env = new SimulatedEnv(buffers, size);
        group = env.newGroup(1);
        loop = (IocpEventLoop) group.next();
        server = Transports.listen(group, env.bindAddress(), () -> {
            RecordingProtocol p = new RecordingProtocol();
            accepted.add(p);
            return p;
        }, PROVIDED, 1).get(T, TimeUnit.MILLISECONDS);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (group == null) {
            return;
        }
        server.close().await(T);
        LoopTesting.assertOpsDrained(loop); // and every provided buffer back
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(T);
        assertEquals(List.of(), ProtocolContract.violations(), "Protocol contract violations");
    }

    /** A connection whose receive into a provided buffer is armed and waiting. */
    private record Conn(SimPeer peer, RecordingProtocol protocol, Transport transport) {}

    private Conn connect() throws Exception {
        SimPeer peer = env.network().connectPeer(server.localAddress());
        peers.add(peer);
        RecordingProtocol p = accepted.poll(T, TimeUnit.MILLISECONDS);
        Transport t = p.transport();
        onLoop(loop, () -> null); // connectionMade returned and the receive is armed
        return new Conn(peer, p, t);
    }

    private ProvidedBuffers pool() {
        return loop.backend().providedBuffers();
    }

    private int outstanding() {
        return onLoop(loop, () -> pool().outstanding());
    }

    private static TransportCounters counters(Conn c) {
        return c.transport().counters();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private void closeAll(Conn... conns) throws Exception {
        for (Conn c : conns) {
            c.transport().close();
            assertEquals(SimPeer.Ending.FIN, c.peer().awaitEnding(T, TimeUnit.MILLISECONDS));
            c.peer().close();
            c.protocol().awaitEvent("lost", T);
        }
    }

    @Test
    void aReceiveHeldWhilePausedKeepsItsPoolBufferUntilResumeThenGivesItBack() throws Exception {
        start(4, 64);
        Conn c = connect();
        assertEquals(0, outstanding(), "a waiting receive pins no buffer");
        onLoop(loop, () -> c.transport().pauseReading());
        c.peer().write(ascii("abc"));
        LoopTesting.await("held", () -> onLoop(loop, () -> counters(c).held()) == 1);
        assertEquals(1, outstanding(), "the held receive's bytes are in its pool buffer: no copy");
        assertEquals(List.of("made"), c.protocol().events());
        c.transport().resumeReading();
        c.protocol().awaitReceived(3, T);
        assertArrayEquals(ascii("abc"), c.protocol().received());
        LoopTesting.await("buffer back after delivery", () -> outstanding() == 0);
        assertEquals(0, onLoop(loop, () -> counters(c).heldMovedOutOfRing()));
        closeAll(c);
    }

    /**
     * A pool of 4: the first two paused connections keep their held receives in their pool buffers; the third finds
     * half the pool held already, so its bytes move to a buffer of the loop's own pool and its pool buffer comes back.
     * On resume each gets exactly its bytes.
     */
    @Test
    void pausedConnectionsHoldAtMostHalfThePoolAndTheRestIsMovedOutLosingNothing() throws Exception {
        start(4, 64);
        Conn[] cs = {connect(), connect(), connect()};
        for (Conn c : cs) {
            onLoop(loop, () -> c.transport().pauseReading());
        }
        for (int i = 0; i < cs.length; i++) {
            Conn c = cs[i];
            c.peer().write(ascii("msg" + i));
            LoopTesting.await("held " + i, () -> onLoop(loop, () -> counters(c).held()) == 1);
        }
        assertEquals(2, outstanding(), "half the pool, no more, is held by paused connections");
        assertEquals(0, onLoop(loop, () -> counters(cs[0]).heldMovedOutOfRing()));
        assertEquals(0, onLoop(loop, () -> counters(cs[1]).heldMovedOutOfRing()));
        assertEquals(1, onLoop(loop, () -> counters(cs[2]).heldMovedOutOfRing()));
        for (int i = 0; i < cs.length; i++) {
            cs[i].transport().resumeReading();
            cs[i].protocol().awaitReceived(4, T);
            assertArrayEquals(ascii("msg" + i), cs[i].protocol().received());
        }
        LoopTesting.await("every buffer back", () -> outstanding() == 0);
        closeAll(cs);
    }

    /**
     * A pool of 1 that connection B's protocol keeps (retained): connection A's receive, armed while the buffer was
     * free, finds the pool empty when A's bytes arrive (NO_BUFFERS, nothing consumed) and A takes them with a
     * readiness receive instead; while the pool stays empty A waits for readiness without asking the pool; once B
     * releases the buffer, A's receives take pool buffers again.
     */
    @Test
    void anEmptyPoolSendsTheReceiveToReadinessAndLosesNothing() throws Exception {
        start(1, 64);
        Conn a = connect();
        Conn b = connect();
        AtomicReference<RetainedBuffer> kept = new AtomicReference<>();
        b.protocol().onData = d -> kept.set(b.transport().retainReceived());
        b.peer().write(ascii("bee"));
        b.protocol().awaitReceived(3, T);
        assertEquals(1, outstanding(), "B's retained buffer is out of the pool");
        a.peer().write(ascii("ay"));
        a.protocol().awaitReceived(2, T);
        assertArrayEquals(ascii("ay"), a.protocol().received());
        assertEquals(1, onLoop(loop, () -> counters(a).noProvidedBuffer()));
        a.peer().write(ascii("-more"));
        a.protocol().awaitReceived(7, T);
        assertEquals(1, onLoop(loop, () -> counters(a).noProvidedBuffer()),
                "with the pool known to be empty, A waited for readiness without asking it");
        b.protocol().onData = null;
        kept.get().release();
        LoopTesting.await("B's buffer back", () -> outstanding() == 0);
        // The receive armed while the pool was empty is a readiness receive; the one after it takes a pool buffer.
        a.peer().write(ascii("!"));
        a.protocol().awaitReceived(8, T);
        AtomicReference<RetainedBuffer> keptByA = new AtomicReference<>();
        a.protocol().onData = d -> keptByA.set(a.transport().retainReceived());
        a.peer().write(ascii("?"));
        a.protocol().awaitReceived(9, T);
        assertEquals(1, outstanding(), "A's receive took the pool buffer again");
        keptByA.get().release();
        assertArrayEquals(ascii("ay-more!?"), a.protocol().received());
        assertArrayEquals(ascii("bee"), b.protocol().received());
        closeAll(a, b);
    }

    /**
     * The negative control of the tear-down's "every provided buffer back" check: a protocol that retains a buffer
     * and never releases it leaves it out after its connection is gone, and the check sees it.
     */
    @Test
    void aRetainedBufferNeverReleasedIsCaughtByTheTearDownsCheck() throws Exception {
        start(2, 64);
        Conn c = connect();
        AtomicReference<RetainedBuffer> kept = new AtomicReference<>();
        c.protocol().onData = d -> kept.set(c.transport().retainReceived());
        c.peer().write(ascii("leak"));
        c.protocol().awaitReceived(4, T);
        closeAll(c);
        assertEquals(1, outstanding());
        AssertionErrorHolder.expectFailure(() -> LoopTesting.await("provided buffers to come back", 100,
                TimeUnit.MILLISECONDS, () -> outstanding() == 0));
        kept.get().release();
        assertThrows(IllegalStateException.class, () -> kept.get().release(), "released twice");
        LoopTesting.assertProvidedBuffersBack(loop);
    }

    /** assertThrows for an AssertionFailedError (an Error, which assertThrows handles as any Throwable). */
    private static final class AssertionErrorHolder {
        static void expectFailure(org.junit.jupiter.api.function.Executable e) {
            assertThrows(org.opentest4j.AssertionFailedError.class, e);
        }
    }
}
