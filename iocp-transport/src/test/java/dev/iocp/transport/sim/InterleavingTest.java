package dev.iocp.transport.sim;

import dev.iocp.core.backend.sim.SimPeer;
import dev.iocp.core.backend.sim.SimulatedBackend;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.transport.Server;
import dev.iocp.transport.Transport;
import dev.iocp.transport.TransportConfig;
import dev.iocp.transport.Transports;
import dev.iocp.transport.testing.RecordingProtocol;
import dev.iocp.transport.testing.ProtocolContract;
import dev.iocp.transport.testing.SimulatedEnv;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static dev.iocp.core.testing.LoopTesting.assertOpsDrained;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Every interleaving, forced on the simulated backend, of what can happen to a connection's one pending receive (and
 * one pending send) between "the kernel completed it" and "the loop dequeued its packet": the packet is held in the
 * port while the user acts, then released. Each case asserts the exact sequence of callbacks the protocol saw.
 */
class InterleavingTest {
    private static final long T = 20_000;

    private SimulatedEnv env;
    private IocpEventLoopGroup group;
    private Server server;

    @BeforeEach
    void setUp() {
        ProtocolContract.clearViolations();
        env = newEnv();
        group = env.newGroup(1);
    }

    /** The backends the cases run on (subclasses give them provided buffers, or skip-on-success mode). */
    SimulatedEnv newEnv() {
        return new SimulatedEnv();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (server != null) {
            server.close().await(T);
        }
        assertOpsDrained((IocpEventLoop) group.next());
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(T);
        org.junit.jupiter.api.Assertions.assertEquals(List.of(), ProtocolContract.violations(),
                "Protocol contract violations");
    }

    /** What completes the pending receive. */
    enum Completion { DATA, EOF, RESET }

    /** What the user does while that completion's packet waits in the port. */
    enum Action { NONE, PAUSE, PAUSE_RESUME_PAUSE, PAUSE_RESUME, CLOSE, ABORT, CALLBACK_THROWS }

    static Stream<Arguments> receiveCases() {
        List<Arguments> cases = new ArrayList<>();
        for (Completion c : Completion.values()) {
            for (Action a : Action.values()) {
                if (c == Completion.RESET && a == Action.CALLBACK_THROWS) {
                    continue; // no callback runs before connectionLost on a reset
                }
                cases.add(Arguments.of(c, a, expected(c, a)));
            }
        }
        return cases.stream();
    }

    /** The oracle: the callbacks after connectionMade, ending with connectionLost's cause. */
    static List<String> expected(Completion c, Action a) {
        if (a == Action.ABORT) {
            return List.of("lost:null"); // the held result is discarded: the user stopped reading first
        }
        if (a == Action.CLOSE) {
            // Nothing is delivered after close(); but the lingering close still drains, and a reset met while
            // draining is reported (what we flushed may not have reached the peer).
            return List.of(c == Completion.RESET ? "lost:ConnectionResetException" : "lost:null");
        }
        switch (c) {
            case DATA:
                return a == Action.CALLBACK_THROWS
                        ? List.of("data:4", "lost:IllegalStateException")
                        : List.of("data:4", "lost:null");
            case EOF:
                return a == Action.CALLBACK_THROWS
                        ? List.of("eof", "lost:IllegalStateException")
                        : List.of("eof", "lost:null");
            default:
                return List.of("lost:ConnectionResetException");
        }
    }

    /**
     * The counters a case must leave ({@link dev.iocp.transport.TransportCounters}), read on the loop after
     * connectionLost: pauses, pauses that left the receive in flight, resumes, held, and held delivered by kind.
     */
    record Counts(long pauses, long pausesInFlight, long resumes, long held, long heldData, long heldEof,
                  long heldError) {
        static Counts of(Transport t) {
            return dev.iocp.core.testing.LoopTesting.onLoop(t.loop(), () -> {
                var c = t.counters();
                return new Counts(c.pauses(), c.pausesWithReceiveInFlight(), c.resumes(), c.held(), c.heldData(),
                        c.heldEof(), c.heldError());
            });
        }
    }

    /** The counters' oracle. The packet waits in the port while the action runs, so the receive is in flight. */
    static Counts expectedCounts(Completion c, Action a) {
        // Only a pause still in force when the packet is dequeued holds it (the window is hit); the test resumes then.
        boolean held = a == Action.PAUSE || a == Action.PAUSE_RESUME_PAUSE;
        long pauses = switch (a) {
            case PAUSE, PAUSE_RESUME -> 1;
            case PAUSE_RESUME_PAUSE -> 2;
            default -> 0;
        };
        long resumes = switch (a) {
            case PAUSE, PAUSE_RESUME -> 1; // PAUSE: the test's resume after checking nothing was delivered
            case PAUSE_RESUME_PAUSE -> 2;
            default -> 0;
        };
        return new Counts(pauses, pauses, resumes, held ? 1 : 0, held && c == Completion.DATA ? 1 : 0,
                held && c == Completion.EOF ? 1 : 0, held && c == Completion.RESET ? 1 : 0);
    }

    private record Setup(RecordingProtocol protocol, Transport transport, SimPeer peer, SimulatedBackend sim) {}

    private Setup accept() throws Exception {
        AtomicReference<RecordingProtocol> made = new AtomicReference<>();
        server = Transports.listen(group, env.bindAddress(), () -> {
            RecordingProtocol p = new RecordingProtocol();
            made.set(p);
            return p;
        }, TransportConfig.DEFAULT, 1).get(T, TimeUnit.MILLISECONDS);
        SimPeer peer = env.network().connectPeer(server.localAddress());
        dev.iocp.core.testing.LoopTesting.await("accepted", () -> made.get() != null);
        RecordingProtocol p = made.get();
        Transport t = p.transport();
        SimulatedBackend sim = (SimulatedBackend) t.loop().submit(t.loop()::backend).get();
        // The receive is armed once connectionMade returned: wait until it waits on the network.
        t.loop().submit(() -> null).get();
        return new Setup(p, t, peer, sim);
    }

    @ParameterizedTest(name = "{0} completes the receive, then {1} before its packet is dequeued")
    @MethodSource("receiveCases")
    void aHeldReceivePacketMeetsAUserAction(Completion completion, Action action, List<String> expected)
            throws Exception {
        Setup s = accept();
        RuntimeException boom = new IllegalStateException("callback bug");
        if (action == Action.CALLBACK_THROWS) {
            s.protocol().onData = d -> {
                throw boom;
            };
            s.protocol().onEof = () -> {
                throw boom;
            };
        }
        s.sim().holdPackets(true);
        switch (completion) {
            case DATA -> s.peer().write(new byte[] {'d', 'a', 't', 'a'});
            case EOF -> s.peer().shutdownOutput();
            case RESET -> s.peer().reset();
        }
        s.sim().awaitHeld(1, T, TimeUnit.MILLISECONDS); // the receive completed; its packet waits in the port
        Transport t = s.transport();
        t.loop().submit(() -> {
            switch (action) {
                case PAUSE -> t.pauseReading();
                case PAUSE_RESUME_PAUSE -> {
                    t.pauseReading();
                    t.resumeReading();
                    t.pauseReading();
                }
                case PAUSE_RESUME -> {
                    t.pauseReading();
                    t.resumeReading();
                }
                case CLOSE -> t.close();
                case ABORT -> t.abort();
                default -> { }
            }
        }).get(T, TimeUnit.MILLISECONDS);
        s.sim().holdPackets(false);
        t.loop().submit(() -> null).get(T, TimeUnit.MILLISECONDS);
        if (action == Action.PAUSE || action == Action.PAUSE_RESUME_PAUSE) {
            // The released packet reaches the loop when it next dequeues, which may be after the task above: wait
            // until it was dispatched (and held), or the resume below could come first and nothing would be held.
            dev.iocp.core.testing.LoopTesting.await("the packet was dequeued while paused, and held",
                    () -> Counts.of(t).held() == 1);
            assertEquals(List.of("made"), s.protocol().events(), "nothing is delivered while paused");
            t.resumeReading();
        }
        if (expected.equals(List.of("data:4", "lost:null"))) {
            // The connection is still open after the data: end it ourselves, cleanly.
            s.protocol().awaitEvent("data:4", T);
            t.close();
        }
        if (completion == Completion.DATA && (action == Action.CLOSE || expected.equals(List.of("data:4", "lost:null")))) {
            finAndCloseFromPeer(s.peer()); // the lingering close ends at the peer's FIN
        }
        s.protocol().awaitEvent("lost", T);
        List<String> seen = s.protocol().events();
        assertEquals("made", seen.get(0));
        assertEquals(expected, seen.subList(1, seen.size()));
        if (completion == Completion.DATA && expected.contains("data:4")) {
            assertArrayEquals(new byte[] {'d', 'a', 't', 'a'}, s.protocol().received());
        }
        assertEquals(1, s.protocol().lostCalls());
        assertEquals(expectedCounts(completion, action), Counts.of(t), "counters");
    }

    @org.junit.jupiter.api.Test
    void aHeldReceiveDiscardedByCloseIsCountedHeldButNotDelivered() throws Exception {
        Setup s = accept();
        Transport t = s.transport();
        t.loop().submit(t::pauseReading).get(T, TimeUnit.MILLISECONDS);
        s.peer().write(new byte[] {1, 2, 3});
        dev.iocp.core.testing.LoopTesting.await("the receive completed while paused and was held",
                () -> Counts.of(t).held() == 1);
        t.close();
        finAndCloseFromPeer(s.peer());
        s.protocol().awaitEvent("lost", T);
        assertEquals(List.of("made", "lost:null"), s.protocol().events());
        assertEquals(new Counts(1, 1, 0, 1, 0, 0, 0), Counts.of(t));
        assertEquals(1, dev.iocp.core.testing.LoopTesting.onLoop(t.loop(), () -> t.counters().heldUndelivered()));
    }

    @org.junit.jupiter.api.Test
    void aPauseInsideDataReceivedLeavesNothingInFlightSoNothingIsHeld() throws Exception {
        Setup s = accept();
        Transport t = s.transport();
        s.protocol().onData = d -> t.pauseReading();
        s.peer().write(new byte[] {1});
        s.protocol().awaitReceived(1, T);
        s.protocol().onData = null;
        s.peer().write(new byte[] {2, 3}); // arrives while paused, but no receive is in flight to complete
        t.loop().submit(() -> null).get(T, TimeUnit.MILLISECONDS);
        assertEquals(new Counts(1, 0, 0, 0, 0, 0, 0), Counts.of(t));
        t.resumeReading();
        s.protocol().awaitReceived(3, T);
        t.close();
        finAndCloseFromPeer(s.peer());
        s.protocol().awaitEvent("lost", T);
        assertEquals(new Counts(1, 0, 1, 0, 0, 0, 0), Counts.of(t));
    }

    /** What ends a connection while its send's packet waits in the port. */
    enum SendEnding { CLOSE, ABORT, PEER_RESET }

    @ParameterizedTest(name = "a send in flight, then {0}: connectionLost waits for the send's packet")
    @org.junit.jupiter.params.provider.EnumSource(SendEnding.class)
    void connectionLostWaitsForThePendingSendsPacket(SendEnding ending) throws Exception {
        Setup s = accept();
        Transport t = s.transport();
        int[] inlineWaitingAtLost = {-1};
        if (s.sim().skipCompletionPortOnSuccess()) {
            // The send succeeds inside its submit: its one packet waits in the backend's inline queue, not in the
            // port, until the loop's next poll. End the connection in the same loop task, before that poll.
            s.protocol().onLost = () -> inlineWaitingAtLost[0] = s.sim().inlineCompletionsWaiting();
            t.loop().submit(() -> {
                t.write(new byte[] {1, 2, 3});
                assertEquals(1, s.sim().inlineCompletionsWaiting(), "the send completed inline");
                end(ending, s);
                return null;
            }).get(T, TimeUnit.MILLISECONDS);
        } else {
            s.sim().holdPackets(true);
            t.write(new byte[] {1, 2, 3});
            s.sim().awaitHeld(1, T, TimeUnit.MILLISECONDS); // the send completed in the kernel; packet held
            end(ending, s);
            t.loop().submit(() -> null).get(T, TimeUnit.MILLISECONDS);
            assertFalse(s.protocol().events().stream().anyMatch(e -> e.startsWith("lost")),
                    "connectionLost before every op of the socket had its packet: " + s.protocol().events());
            s.sim().holdPackets(false);
        }
        if (ending == SendEnding.CLOSE) {
            assertArrayEquals(new byte[] {1, 2, 3}, s.peer().readExactly(3, T, TimeUnit.MILLISECONDS));
            finAndCloseFromPeer(s.peer());
        }
        s.protocol().awaitEvent("lost", T);
        if (s.sim().skipCompletionPortOnSuccess()) {
            assertEquals(0, inlineWaitingAtLost[0], "connectionLost came after the send's inline packet");
        }
        String lost = s.protocol().events().get(s.protocol().events().size() - 1);
        switch (ending) {
            case CLOSE, ABORT -> assertEquals("lost:null", lost);
            case PEER_RESET -> assertEquals("lost:ConnectionResetException", lost);
        }
        if (ending == SendEnding.ABORT) {
            assertEquals(SimPeer.Ending.RESET, s.peer().awaitEnding(T, TimeUnit.MILLISECONDS));
        }
    }

    private static void end(SendEnding ending, Setup s) {
        switch (ending) {
            case CLOSE -> s.transport().close();
            case ABORT -> s.transport().abort();
            case PEER_RESET -> s.peer().reset();
        }
    }

    @org.junit.jupiter.api.Test
    void resumingInsideAnotherCallbackDeliversTheHeldDataAfterItNotInsideIt() throws Exception {
        Setup s = accept();
        Transport t = s.transport();
        java.util.concurrent.atomic.AtomicBoolean insideResumeWriting = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicBoolean nested = new java.util.concurrent.atomic.AtomicBoolean();
        // A protocol that resumes reading from inside resumeWriting (as a flow-controlled echo does).
        s.protocol().onData = d -> nested.compareAndSet(false, insideResumeWriting.get());
        t.loop().submit(() -> {
            t.pauseReading();
            t.setWriteBufferLimits(0, 0);
        }).get(T, TimeUnit.MILLISECONDS);
        s.peer().write(new byte[] {7});
        t.loop().submit(() -> null).get(T, TimeUnit.MILLISECONDS); // the packet is dispatched: held
        RecordingProtocolHook.install(s.protocol(), () -> {
            insideResumeWriting.set(true);
            t.resumeReading();
            insideResumeWriting.set(false);
        });
        t.write(new byte[] {1}); // above the high-water mark 0: pauseWriting; its send completes: resumeWriting
        s.protocol().awaitReceived(1, T);
        assertFalse(nested.get(), "dataReceived ran inside resumeWriting");
        assertEquals(List.of("made", "pauseWriting", "resumeWriting", "data:1"), s.protocol().events());
        t.close();
        finAndCloseFromPeer(s.peer());
        s.protocol().awaitEvent("lost", T);
    }

    /** The peer's side of our graceful close: it reads FIN, then closes in turn. */
    private static void finAndCloseFromPeer(SimPeer peer) throws InterruptedException {
        assertEquals(SimPeer.Ending.FIN, peer.awaitEnding(T, TimeUnit.MILLISECONDS));
        peer.close();
    }

    /** Lets a test run code inside RecordingProtocol.resumeWriting. */
    static final class RecordingProtocolHook {
        static void install(RecordingProtocol p, Runnable onResumeWriting) {
            p.onResumeWriting = onResumeWriting;
        }
    }
}
