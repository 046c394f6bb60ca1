package dev.iocp.wintests.race;

import dev.iocp.core.backend.CancelResult;
import dev.iocp.core.backend.CompletionHandler;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.backend.sim.SimPeer;
import dev.iocp.core.backend.sim.SimulatedBackend;
import dev.iocp.core.backend.sim.SimulatedNetwork;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.race.RaceHarness;
import dev.iocp.race.RaceResult;
import dev.iocp.race.StreamPattern;
import dev.iocp.race.StreamVerifier;
import dev.iocp.transport.Protocol;
import dev.iocp.transport.Transport;
import dev.iocp.transport.Transports;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import dev.iocp.transport.ReceiveMode;
import dev.iocp.transport.TransportConfig;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.iocp.core.testing.LoopTesting.assertOpsDrained;
import static dev.iocp.core.testing.LoopTesting.await;
import static dev.iocp.core.testing.LoopTesting.onLoop;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the race checks can fail. The bpo-33694 interleaving is forced on the simulated backend: the receive in
 * flight completes with a packet of data (held off the port), then the reader pauses — so a cancel can only come too
 * late (NOT_FOUND) — then the packet is released. A naive reader that cancels on pause and drops the cancelled
 * completion loses exactly that packet, and the verifier says where; iocp's Transport, under the very same
 * interleaving, loses nothing.
 */
class NaiveReaderNegativeControlTest {
    static final int S = 1024;          // packet size
    static final int N = 8;             // packets
    static final int RACED = 2;         // the packet whose receive races with the pause
    static final long T = 20_000;

    SimulatedNetwork net;
    IocpEventLoopGroup group;
    IocpEventLoop loop;
    SimulatedBackend sim;
    SimulatedNetwork.PeerListener listener;
    final StreamPattern pattern = new StreamPattern(S);

    @BeforeEach
    void setUp() throws Exception {
        net = new SimulatedNetwork();
        group = new IocpEventLoopGroup(1, () -> new SimulatedBackend(net));
        loop = group.next();
        sim = onLoop(loop, () -> (SimulatedBackend) loop.backend());
        listener = net.listenPeer(new InetSocketAddress(RaceHarness.LOOPBACK_V4, 0));
    }

    @AfterEach
    void tearDown() throws Exception {
        listener.close();
        assertOpsDrained(loop);
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(T);
    }

    private byte[] packets(int from, int to) {
        byte[] b = new byte[(to - from) * S];
        pattern.fill((long) from * S, b, 0, b.length);
        return b;
    }

    /** Connects a raw socket through the backend SPI (as Transports.connect does, without a transport). */
    private long connectRaw() throws Exception {
        CompletableFuture<Long> connected = new CompletableFuture<>();
        onLoop(loop, () -> {
            long socket = sim.openTcpSocket(false);
            Op op = loop.acquireOp();
            op.prepare(OpType.CONNECT, socket, new CompletionHandler() {
                @Override
                public void onCompletion(Op done, int bytes, int error) {
                    done.release();
                    try {
                        if (error != 0) {
                            throw new AssertionError("connect failed: " + error);
                        }
                        sim.finishConnect(done);
                        connected.complete(socket);
                    } catch (Throwable t) {
                        connected.completeExceptionally(t);
                    }
                }

                @Override
                public void onDispatchFailure(Op done, Throwable cause) {
                    connected.completeExceptionally(cause);
                }
            });
            assertEquals(0, sim.submitConnect(op, listener.address()));
        });
        return connected.get(T, TimeUnit.MILLISECONDS);
    }

    @Test
    void aNaiveReaderThatCancelsOnPauseAndDropsTheNotFoundCompletionIsCaughtLosingData() throws Exception {
        StreamVerifier verifier = new StreamVerifier(pattern, (long) N * S);
        long socket = connectRaw();
        SimPeer peer = listener.awaitPeer(T, TimeUnit.MILLISECONDS);
        NaiveReader reader = new NaiveReader(loop, socket, verifier);
        onLoop(loop, reader::start);

        peer.write(packets(0, RACED));
        await("first packets delivered", () -> onLoop(loop, verifier::received) == (long) RACED * S);

        // The race: the pending receive completes with packet RACED; its packet exists but is not dequeued yet.
        sim.holdPackets(true);
        peer.write(packets(RACED, RACED + 1));
        List<SimulatedBackend.Packet> held = sim.awaitHeld(1, T, TimeUnit.MILLISECONDS);
        assertEquals(S, held.get(0).bytes(), "the raced receive carries the whole packet");
        onLoop(loop, reader::pause); // cancel → too late
        sim.holdPackets(false);
        onLoop(loop, () -> { }); // let the loop dispatch the released packet
        await("raced completion dispatched", () -> onLoop(loop, () -> reader.droppedBytes) == S);
        onLoop(loop, reader::resume);

        peer.write(packets(RACED + 1, N));
        peer.shutdownOutput();
        await("reader saw EOF", () -> onLoop(loop, reader::ended));
        assertEquals(List.of(CancelResult.NOT_FOUND), onLoop(loop, () -> List.copyOf(reader.cancelResults)));

        RaceResult r = summary(verifier, reader.droppedBytes);
        System.out.println("negative control (naive reader): " + verifier);
        System.out.println("negative control (naive reader): " + r.toSummaryLine());
        assertTrue(verifier.lost() > 0, "the check must catch the loss: " + verifier);
        assertEquals(S, verifier.lost(), verifier.toString());
        assertEquals((long) RACED * S, verifier.firstBadOffset(), verifier.toString());
        assertEquals("first bad offset 2048: expected the header of packet 2, found the header of packet 3",
                verifier.firstBad());
        assertEquals((long) (N - 1) * S, verifier.verified());
        assertFalse(verifier.clean());
        assertFalse(r.ok());
        peer.close();
    }

    /**
     * In both receive modes: BUFFERED holds the raced packet with its bytes; READINESS holds a readiness packet
     * (0 bytes, nothing consumed: the bytes stay in the socket until resume).
     */
    @ParameterizedTest
    @EnumSource(ReceiveMode.class)
    void iocpsTransportUnderTheSameForcedInterleavingLosesNothing(ReceiveMode mode) throws Exception {
        StreamVerifier verifier = new StreamVerifier(pattern, (long) N * S);
        CompletableFuture<Throwable> lost = new CompletableFuture<>();
        Protocol protocol = new Protocol() {
            @Override
            public void dataReceived(ByteBuffer data) {
                verifier.update(data);
            }

            @Override
            public void connectionLost(Throwable cause) {
                verifier.finish();
                lost.complete(cause);
            }
        };
        Transport t = Transports.connect(loop, listener.address(), protocol,
                TransportConfig.DEFAULT.withReceiveMode(mode)).get(T, TimeUnit.MILLISECONDS);
        SimPeer peer = listener.awaitPeer(T, TimeUnit.MILLISECONDS);

        peer.write(packets(0, RACED));
        await("first packets delivered", () -> onLoop(loop, verifier::received) == (long) RACED * S);

        sim.holdPackets(true);
        peer.write(packets(RACED, RACED + 1));
        List<SimulatedBackend.Packet> held = sim.awaitHeld(1, T, TimeUnit.MILLISECONDS);
        Op raced = held.get(0).op();
        assertEquals(mode == ReceiveMode.BUFFERED ? S : 0, held.get(0).bytes());
        onLoop(loop, t::pauseReading); // same moment as the naive reader's pause
        sim.holdPackets(false);
        onLoop(loop, () -> { });
        await("raced packet dequeued", () -> onLoop(loop, loop::opsInFlight) == 0);
        assertFalse(raced.cancelRequested(), "pauseReading never cancels the receive in flight");
        assertEquals((long) RACED * S, (long) onLoop(loop, verifier::received), "nothing delivered while paused");
        onLoop(loop, t::resumeReading); // the held packet is delivered now, in order

        peer.write(packets(RACED + 1, N));
        peer.shutdownOutput();
        assertNull(lost.get(T, TimeUnit.MILLISECONDS), "clean end");

        RaceResult r = summary(verifier, 0);
        System.out.println("same interleaving, iocp Transport: " + verifier);
        System.out.println("same interleaving, iocp Transport: " + r.toSummaryLine());
        assertEquals(0, verifier.lost());
        assertEquals(-1, verifier.firstBadOffset(), String.valueOf(verifier.firstBad()));
        assertEquals((long) N * S, verifier.verified());
        assertTrue(verifier.clean(), verifier.toString());
        peer.close();
    }

    /** The verifier's counts as a race result (one direction: the peer's stream), for the summary line. */
    private static RaceResult summary(StreamVerifier v, long dropped) {
        return new RaceResult(N, S, 1, (long) N * S, (long) N * S, 0, v.verified(), v.lost(), v.duplicated(),
                v.reordered(), v.corrupt(), 0, 0, 0, 0, 0, (long) N * S, v.firstBad(), 1, 0, List.of(), List.of(),
                0, false, dev.iocp.race.ReadCounts.ZERO, dev.iocp.race.ReadCounts.ZERO, 1);
    }
}
