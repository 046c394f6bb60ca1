package dev.iocp.transport;

import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.transport.testing.Peer;
import dev.iocp.transport.testing.ProtocolContract;
import dev.iocp.transport.testing.RecordingProtocol;
import dev.iocp.transport.testing.SimulatedEnv;
import dev.iocp.transport.testing.SocketPeer;
import dev.iocp.transport.testing.TlsPeer;
import dev.iocp.transport.testing.TlsTesting;
import dev.iocp.transport.testing.TransportEnv;
import dev.iocp.transport.tls.TlsConfig;
import dev.iocp.transport.tls.TlsContexts;
import dev.iocp.transport.tls.TlsHandshakeTimeoutException;
import dev.iocp.transport.tls.TlsTransport;
import dev.iocp.transport.tls.TlsTruncatedException;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import static dev.iocp.core.testing.LoopTesting.assertOpsDrained;
import static dev.iocp.core.testing.LoopTesting.await;
import static dev.iocp.core.testing.LoopTesting.onLoop;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS over the transport, against a peer driven step by step (the JDK's SSLEngine over raw bytes, {@link TlsPeer}):
 * the handshake with its flights cut into segments at every byte, records right behind the last flight, pausing at
 * each step, startTls both sides (asyncio's test_start_tls_server_1, adapted), and every way a TLS connection ends
 * (close_notify both ways, crossing data, a peer that never answers, FIN without close_notify, a bad record, a
 * failed or timed-out handshake, abort, TLS 1.3 half-close). Every user protocol runs under the Protocol contract
 * checker; every loop's ops drain.
 *
 * <p>Runs on the simulated backend ({@code SimulatedTlsTest}, deterministic) and over real loopback sockets on
 * io_uring and on Win32 under Wine (win-tests). Segments are cut by writing a piece and waiting until the TLS layer
 * has received it ({@link TlsConnection#encryptedBytesReceived()}), so they stay apart on real sockets too.
 */
public abstract class TlsBehaviourTest {
    protected static final long T = 20_000;
    private static final byte[] PING = "ping".getBytes(StandardCharsets.US_ASCII);

    protected TransportEnv env;
    protected IocpEventLoopGroup group;
    private final List<Server> servers = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    protected abstract TransportEnv newEnv() throws Exception;

    @BeforeEach
    void setUpTls() throws Exception {
        ProtocolContract.clearViolations();
        env = newEnv();
        group = env.newGroup(1);
    }

    @AfterEach
    void tearDownTls() throws Exception {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
        for (Server s : servers) {
            s.close().await(T);
        }
        for (var e : group) {
            assertOpsDrained((IocpEventLoop) e);
        }
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(T);
        env.close();
        assertEquals(List.of(), ProtocolContract.violations(), "Protocol contract violations");
    }

    protected IocpEventLoop loop() {
        return (IocpEventLoop) group.next();
    }

    // ------------------------------------------------------------------ set-ups

    /** Our TLS server with one accepted connection, and the peer (a TLS client, not yet handshaken). */
    protected final class ServerCase {
        final RecordingProtocol app = new RecordingProtocol();
        final AtomicReference<TlsConnection> layer = new AtomicReference<>();
        TlsPeer peer;
        Peer raw;

        ServerCase(TransportConfig cfg, TlsConfig tls, String... peerProtocols) throws Exception {
            Server s = Transports.listen(group, env.bindAddress(), () -> {
                TlsConnection l = TlsConnection.accepted(app, tls, cfg.closeTimeoutMillis());
                layer.set(l);
                return l.plainSide;
            }, cfg, 1).get(T, TimeUnit.MILLISECONDS);
            servers.add(s);
            raw = env.connectPeer(s.localAddress());
            closeables.add(raw);
            peer = new TlsPeer(TlsTesting.peerEngine(true, peerProtocols), link(raw));
        }

        TlsTransport transport() {
            return (TlsTransport) app.transport();
        }
    }

    /** Our TLS client connecting to a peer that is a TLS server. */
    protected final class ClientCase {
        final RecordingProtocol app = new RecordingProtocol();
        final TlsConnection layer;
        final io.netty.util.concurrent.Promise<Transport> connected;
        final TlsPeer peer;
        final Peer raw;

        ClientCase(TransportConfig cfg, TlsConfig tls, String... peerProtocols) throws Exception {
            TransportEnv.PeerServer ps = env.listenPeer();
            closeables.add(ps);
            IocpEventLoop loop = loop();
            connected = loop.newPromise();
            layer = TlsConnection.connecting(app, tls, cfg.closeTimeoutMillis(), connected);
            Transports.connect(loop, ps.address(), layer.plainSide, cfg);
            raw = ps.accept(T);
            closeables.add(raw);
            peer = new TlsPeer(TlsTesting.peerEngine(false, peerProtocols), link(raw));
        }

        TlsTransport transport() throws Exception {
            return (TlsTransport) connected.get(T, TimeUnit.MILLISECONDS);
        }
    }

    static TlsPeer.Link link(Peer p) throws Exception {
        if (p instanceof SimulatedEnv.Sim sim) {
            return TlsPeer.link(sim.peer);
        }
        return TlsPeer.link(((SocketPeer) p).socket());
    }

    /** Writes each burst one byte per segment: each byte is received by the layer before the next is written. */
    static Consumer<byte[]> oneByteAtATime(TlsPeer.Link link, AtomicReference<TlsConnection> layer) {
        return bytes -> {
            for (byte b : bytes) {
                writeAndAwait(link, layer, new byte[] {b});
            }
        };
    }

    static void writeAndAwait(TlsPeer.Link link, AtomicReference<TlsConnection> layer, byte[] piece) {
        await("the TLS layer to exist", () -> layer.get() != null);
        long before = layer.get().encryptedBytesReceived();
        try {
            link.write(piece);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        await("the layer to receive " + piece.length + " more bytes",
                () -> layer.get().encryptedBytesReceived() >= before + piece.length);
    }

    /**
     * The peer saw our RST — or, where {@code Platform.abortMayReachThePeerAsFin()}, a FIN without close_notify,
     * which still proves no close_notify was sent.
     */
    static void assertReset(TlsPeer.End end, String... why) {
        if (end == TlsPeer.End.FIN_WITHOUT_CLOSE_NOTIFY && dev.iocp.core.testing.Platform.abortMayReachThePeerAsFin()) {
            return;
        }
        assertEquals(TlsPeer.End.RESET, end, why.length > 0 ? why[0] : "RST");
    }

    static List<String> withoutWriteFlow(List<String> events) {
        return events.stream().filter(e -> !e.equals("pauseWriting") && !e.equals("resumeWriting")).toList();
    }

    static TransportConfig cfg() {
        return TransportConfig.DEFAULT;
    }

    // ------------------------------------------------------------------ handshakes, cut up

    @Test
    void serverHandshakeWithEveryPeerFlightCutIntoOneByteSegments() throws Exception {
        ServerCase c = new ServerCase(cfg(), TlsTesting.server());
        c.app.echo = true;
        c.peer.segmenter = oneByteAtATime(c.peer.link(), c.layer);
        c.peer.handshake(T);
        c.app.awaitEvent("made", T);
        c.peer.segmenter = null;
        c.peer.send(PING);
        assertArrayEquals(PING, c.peer.readPlain(4, T));
        c.peer.sendCloseNotify();
        assertEquals(TlsPeer.End.CLOSE_NOTIFY, c.peer.awaitEnd(T));
        assertEquals(TlsPeer.End.FIN_WITHOUT_CLOSE_NOTIFY, c.peer.awaitLinkEnd(T), "then FIN (not RST)");
        c.raw.close(); // as a real peer does after the exchange (our side lingers until its FIN)
        assertNull(c.app.awaitLost(T));
        assertTrue(c.transport().closeNotifyReceived());
        assertEquals(List.of("made", "data:4", "eof", "lost:null"), c.app.events());
    }

    @Test
    void clientHandshakeWithEveryPeerFlightCutIntoOneByteSegments() throws Exception {
        ClientCase c = new ClientCase(cfg(), TlsTesting.client());
        AtomicReference<TlsConnection> layer = new AtomicReference<>(c.layer);
        c.peer.segmenter = oneByteAtATime(c.peer.link(), layer);
        c.peer.handshake(T);
        TlsTransport t = c.transport();
        assertEquals("TLSv1.3", t.session().getProtocol());
        c.peer.segmenter = null;
        t.write(PING);
        assertArrayEquals(PING, c.peer.readPlain(4, T));
        t.close();
        assertEquals(TlsPeer.End.CLOSE_NOTIFY, c.peer.awaitEnd(T));
        c.peer.sendCloseNotify();
        assertEquals(TlsPeer.End.FIN_WITHOUT_CLOSE_NOTIFY, c.peer.awaitLinkEnd(T), "then FIN (not RST)");
        c.raw.close();
        assertNull(c.app.awaitLost(T));
    }

    /**
     * The ClientHello cut in two at every byte boundary, one connection per cut: a partial record at every
     * offset of the first flight, header included.
     */
    @Test
    void clientHelloCutInTwoAtEveryByteBoundary() throws Exception {
        int length = Integer.MAX_VALUE;
        for (int k = 1; k < length; k++) {
            ServerCase c = new ServerCase(cfg(), TlsTesting.server());
            c.app.echo = true;
            int cut = k;
            int[] flight = {0};
            int[] firstLength = {0};
            c.peer.segmenter = bytes -> {
                try {
                    if (flight[0]++ == 0) {
                        firstLength[0] = bytes.length;
                        writeAndAwait(c.peer.link(), c.layer, java.util.Arrays.copyOfRange(bytes, 0, cut));
                        writeAndAwait(c.peer.link(), c.layer, java.util.Arrays.copyOfRange(bytes, cut, bytes.length));
                    } else {
                        c.peer.link().write(bytes);
                    }
                } catch (Exception e) {
                    throw new AssertionError("cut at " + cut, e);
                }
            };
            c.peer.handshake(T);
            c.peer.segmenter = null;
            c.peer.send(PING);
            assertArrayEquals(PING, c.peer.readPlain(4, T), "cut at " + cut);
            c.transport().abort();
            assertNull(c.app.awaitLost(T), "cut at " + cut);
            length = firstLength[0];
            c.raw.close();
        }
        assertTrue(length > 100, "the ClientHello was cut at every one of its " + length + " boundaries");
    }

    /** TLS 1.3: the peer's last flight (Finished) and its first records in one segment. */
    @Test
    void recordsInTheSameSegmentAsTheClientsLastFlightAreDeliveredAfterConnectionMade() throws Exception {
        ServerCase c = new ServerCase(cfg(), TlsTesting.server());
        ByteArrayOutputStream stash = new ByteArrayOutputStream();
        int[] flight = {0};
        c.peer.segmenter = bytes -> {
            try {
                if (flight[0]++ == 0) {
                    c.peer.link().write(bytes);
                } else {
                    stash.writeBytes(bytes); // the last flight, held back
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        };
        c.peer.handshake(T);
        c.peer.segmenter = null;
        byte[] data = new byte[40_000];
        new java.util.Random(7).nextBytes(data);
        stash.writeBytes(c.peer.records(data));
        c.peer.link().write(stash.toByteArray());
        c.app.awaitReceived(data.length, T);
        assertArrayEquals(data, c.app.received());
        assertEquals("made", c.app.events().get(0));
        c.transport().abort();
        c.app.awaitLost(T);
    }

    /** TLS 1.2, our client: the server's last flight (ChangeCipherSpec, Finished) and its first records in one segment. */
    @Test
    void tls12RecordsInTheSameSegmentAsTheServersLastFlight() throws Exception {
        ClientCase c = new ClientCase(cfg(), TlsTesting.client(), "TLSv1.2");
        ByteArrayOutputStream stash = new ByteArrayOutputStream();
        int[] flight = {0};
        c.peer.segmenter = bytes -> {
            try {
                if (flight[0]++ == 0) {
                    c.peer.link().write(bytes);
                } else {
                    stash.writeBytes(bytes);
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        };
        c.peer.handshake(T);
        c.peer.segmenter = null;
        stash.writeBytes(c.peer.records(PING));
        c.peer.link().write(stash.toByteArray());
        TlsTransport t = c.transport();
        assertEquals("TLSv1.2", t.session().getProtocol());
        c.app.awaitReceived(4, T);
        assertArrayEquals(PING, c.app.received());
        assertThrows(UnsupportedOperationException.class, t::writeEof, "TLS 1.2 has no half-close");
        t.close();
        assertEquals(TlsPeer.End.CLOSE_NOTIFY, c.peer.awaitEnd(T));
        c.peer.sendCloseNotify();
        c.raw.close();
        assertNull(c.app.awaitLost(T));
    }

    // ------------------------------------------------------------------ pausing

    /**
     * 64 records in one segment, the user pausing inside every dataReceived and resuming from a later loop task:
     * every byte in order, nothing delivered while paused (the contract checker), and the held records are
     * delivered on resume.
     */
    @Test
    void pausingInsideEveryDeliveryHoldsTheRestAndResumeDeliversItInOrder() throws Exception {
        ServerCase c = new ServerCase(cfg(), TlsTesting.server());
        AtomicInteger deliveries = new AtomicInteger();
        c.app.onData = b -> {
            deliveries.incrementAndGet();
            Transport t = c.app.transport();
            t.pauseReading();
            assertFalse(t.isReading());
            t.loop().schedule(t::resumeReading, 1, TimeUnit.MILLISECONDS);
        };
        c.peer.handshake(T);
        c.app.awaitEvent("made", T);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] records = new byte[0];
        for (int i = 0; i < 64; i++) {
            byte[] d = new byte[1000];
            java.util.Arrays.fill(d, (byte) i);
            all.writeBytes(d);
            ByteArrayOutputStream r = new ByteArrayOutputStream();
            r.writeBytes(records);
            r.writeBytes(c.peer.records(d));
            records = r.toByteArray();
        }
        c.peer.link().write(records);
        c.app.awaitReceived(64_000, T);
        assertArrayEquals(all.toByteArray(), c.app.received());
        assertTrue(deliveries.get() > 1, "the pause held records back: " + deliveries.get() + " deliveries");
        c.transport().abort();
        c.app.awaitLost(T);
    }

    /** Paused before the records come: they wait (encrypted) and the plain transport holds its receive. */
    @Test
    void recordsThatArriveWhilePausedAreHeldAndDeliveredOnResume() throws Exception {
        ServerCase c = new ServerCase(cfg(), TlsTesting.server());
        c.peer.handshake(T);
        TlsTransport t = c.transport();
        onLoop(t.loop(), t::pauseReading);
        long heldBefore = onLoop(t.loop(), () -> t.counters().held());
        c.peer.send(PING);
        await("the plain transport to hold the receive", () -> onLoop(t.loop(), () -> t.counters().held()) > heldBefore
                || onLoop(t.loop(), () -> c.layer.get().heldEncryptedBytes()) > 0);
        assertEquals(0, c.app.receivedCount(), "nothing delivered while paused");
        // pause, resume, pause in one loop turn: still nothing
        onLoop(t.loop(), () -> {
            t.resumeReading();
            t.pauseReading();
        });
        onLoop(t.loop(), () -> { });
        assertEquals(0, c.app.receivedCount());
        t.resumeReading(); // from this (foreign) thread
        c.app.awaitReceived(4, T);
        assertArrayEquals(PING, c.app.received());
        t.abort();
        c.app.awaitLost(T);
    }

    // ------------------------------------------------------------------ startTls

    /**
     * asyncio's test_start_tls_server_1, adapted: the server writes a plaintext hello (more than the water mark, so
     * it is still queued), upgrades at once; the client reads the plaintext, upgrades, sends "ping" right behind its
     * handshake; the server answers "pong" on the new transport; the client closes TLS with close_notify.
     */
    @Test
    void startTlsServerSideWhileThePlaintextIsStillQueued() throws Exception {
        byte[] hello = new byte[100 * 1024];
        java.util.Arrays.fill(hello, (byte) '1');
        RecordingProtocol app = new RecordingProtocol();
        AtomicReference<Future<Transport>> upgraded = new AtomicReference<>();
        app.onMade = t -> {
            t.write(hello);
            upgraded.set(Transports.startTls(t, TlsTesting.server()));
        };
        AtomicReference<Transport> tls = new AtomicReference<>();
        app.onData = b -> {
            tls.get().write("pong".getBytes(StandardCharsets.US_ASCII));
        };
        Server s = Transports.listen(group, env.bindAddress(), () -> app, cfg(), 1).get(T, TimeUnit.MILLISECONDS);
        servers.add(s);
        Peer raw = env.connectPeer(s.localAddress());
        closeables.add(raw);
        assertArrayEquals(hello, raw.readExactly(hello.length, T));
        await("startTls called", () -> upgraded.get() != null);
        upgraded.get().addListener(f -> tls.set((Transport) f.getNow()));
        TlsPeer peer = new TlsPeer(TlsTesting.peerEngine(true), link(raw));
        peer.handshake(T);
        peer.send(PING);
        assertArrayEquals("pong".getBytes(StandardCharsets.US_ASCII), peer.readPlain(4, T));
        assertInstanceOf(TlsTransport.class, upgraded.get().get(T, TimeUnit.MILLISECONDS));
        assertArrayEquals(PING, app.received());
        peer.sendCloseNotify();
        assertEquals(TlsPeer.End.CLOSE_NOTIFY, peer.awaitEnd(T));
        raw.close();
        assertNull(app.awaitLost(T));
        assertEquals(List.of("made", "pauseWriting", "resumeWriting", "data:4", "eof", "lost:null"), app.events(),
                "the plaintext hello crossed the water mark; the resume came through the TLS layer");
    }

    /**
     * The negotiating plaintext ("STARTTLS\n") and the ClientHello right behind it in one segment: the protocol
     * consumes its line and calls startTls inside dataReceived; the rest of that buffer is the TLS layer's first
     * bytes (bpo-33674's loss, the other way round).
     */
    @Test
    void startTlsInsideDataReceivedTakesTheClientHelloBehindThePlaintextInTheSameSegment() throws Exception {
        RecordingProtocol app = new RecordingProtocol();
        AtomicReference<Future<Transport>> upgraded = new AtomicReference<>();
        app.echo = false;
        app.onData = b -> {
            if (upgraded.get() == null) {
                String line = "STARTTLS\n";
                for (int i = 0; i < line.length(); i++) {
                    assertEquals(line.charAt(i), (char) b.get()); // consumed: the position moves past it
                }
                Transport plain = app.transport();
                upgraded.set(Transports.startTls(plain, TlsTesting.server()));
                upgraded.get().addListener(f -> ((Transport) f.getNow()).write(PING));
            }
        };
        Server s = Transports.listen(group, env.bindAddress(), () -> app, cfg(), 1).get(T, TimeUnit.MILLISECONDS);
        servers.add(s);
        Peer raw = env.connectPeer(s.localAddress());
        closeables.add(raw);
        TlsPeer peer = new TlsPeer(TlsTesting.peerEngine(true), link(raw));
        int[] flight = {0};
        peer.segmenter = bytes -> {
            try {
                if (flight[0]++ == 0) {
                    ByteArrayOutputStream b = new ByteArrayOutputStream();
                    b.writeBytes("STARTTLS\n".getBytes(StandardCharsets.US_ASCII));
                    b.writeBytes(bytes);
                    raw.write(b.toByteArray());
                } else {
                    raw.write(bytes);
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        };
        peer.handshake(T);
        assertArrayEquals(PING, peer.readPlain(4, T));
        Transport t = upgraded.get().get(T, TimeUnit.MILLISECONDS);
        t.close();
        assertEquals(TlsPeer.End.CLOSE_NOTIFY, peer.awaitEnd(T));
        peer.sendCloseNotify();
        raw.close();
        assertNull(app.awaitLost(T));
        assertEquals("STARTTLS\n", new String(app.received(), 0, 9, StandardCharsets.US_ASCII));
        assertEquals(1, app.events().stream().filter(e -> e.startsWith("data:")).count(),
                "one plaintext delivery; the rest of its buffer went to TLS");
    }

    /** The user paused the plain transport; the ClientHello is held in it; startTls from a task takes it. */
    @Test
    void startTlsAfterPausingTakesTheHeldClientHello() throws Exception {
        RecordingProtocol app = new RecordingProtocol();
        app.onMade = Transport::pauseReading;
        Server s = Transports.listen(group, env.bindAddress(), () -> app, cfg(), 1).get(T, TimeUnit.MILLISECONDS);
        servers.add(s);
        Peer raw = env.connectPeer(s.localAddress());
        closeables.add(raw);
        Transport plain = app.transport();
        TlsPeer peer = new TlsPeer(TlsTesting.peerEngine(true), link(raw));
        Thread handshaker = new Thread(() -> {
            try {
                peer.handshake(T);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        handshaker.start();
        await("the ClientHello held by the paused plain transport",
                () -> onLoop(plain.loop(), () -> plain.counters().held()) > 0 || peer.wrote.size() > 0);
        Future<Transport> upgraded = Transports.startTls(plain, TlsTesting.server()); // from this thread: hops
        Transport t = upgraded.get(T, TimeUnit.MILLISECONDS);
        handshaker.join(T);
        t.write(PING);
        assertArrayEquals(PING, peer.readPlain(4, T));
        t.abort();
        app.awaitLost(T);
    }

    @Test
    void startTlsClientSide() throws Exception {
        TransportEnv.PeerServer ps = env.listenPeer();
        closeables.add(ps);
        RecordingProtocol app = new RecordingProtocol();
        Transport plain = Transports.connect(loop(), ps.address(), app, cfg()).get(T, TimeUnit.MILLISECONDS);
        Peer raw = ps.accept(T);
        closeables.add(raw);
        plain.write("hello\n".getBytes(StandardCharsets.US_ASCII));
        assertArrayEquals("hello\n".getBytes(StandardCharsets.US_ASCII), raw.readExactly(6, T));
        Future<Transport> upgraded = Transports.startTls(plain, TlsTesting.client());
        TlsPeer peer = new TlsPeer(TlsTesting.peerEngine(false), link(raw));
        peer.handshake(T);
        Transport t = upgraded.get(T, TimeUnit.MILLISECONDS);
        peer.send(PING);
        app.awaitReceived(4, T);
        assertArrayEquals(PING, app.received());
        assertThrows(IllegalArgumentException.class, () -> Transports.startTls(t, TlsTesting.client()));
        t.close();
        assertEquals(TlsPeer.End.CLOSE_NOTIFY, peer.awaitEnd(T));
        peer.sendCloseNotify();
        raw.close();
        assertNull(app.awaitLost(T));
    }

    // ------------------------------------------------------------------ ending

    @Test
    void closeSendsCloseNotifyAndWaitsForThePeersBeforeFin() throws Exception {
        ServerCase c = new ServerCase(cfg(), TlsTesting.server());
        c.peer.handshake(T);
        TlsTransport t = c.transport();
        byte[] last = new byte[200_000];
        new java.util.Random(3).nextBytes(last);
        onLoop(t.loop(), () -> {
            t.write(last);
            t.close();
        });
        assertArrayEquals(last, c.peer.readPlain(last.length, T), "everything queued went out before close_notify");
        assertEquals(TlsPeer.End.CLOSE_NOTIFY, c.peer.awaitEnd(T));
        assertEquals(TlsPeer.End.NOTHING, c.peer.awaitLinkEnd(100), "no FIN before the peer's close_notify");
        assertEquals(0, c.app.lostCalls());
        c.peer.sendCloseNotify();
        assertEquals(TlsPeer.End.FIN_WITHOUT_CLOSE_NOTIFY, c.peer.awaitLinkEnd(T), "FIN after the exchange");
        c.raw.close();
        assertNull(c.app.awaitLost(T));
        assertTrue(t.closeNotifyReceived());
    }

    /** Our close crosses the peer's data: what arrives after close() is dropped; its close_notify ends it cleanly. */
    @Test
    void closeNotifyCrossingThePeersData() throws Exception {
        ServerCase c = new ServerCase(cfg(), TlsTesting.server());
        c.peer.handshake(T);
        TlsTransport t = c.transport();
        onLoop(t.loop(), t::close); // in effect before any of the peer's records below can arrive
        for (int i = 0; i < 20; i++) {
            c.peer.send(new byte[5000]);
        }
        assertEquals(TlsPeer.End.CLOSE_NOTIFY, c.peer.awaitEnd(T));
        c.peer.sendCloseNotify();
        c.raw.close();
        assertNull(c.app.awaitLost(T));
        assertEquals(List.of("made", "lost:null"), c.app.events(), "nothing delivered after close()");
    }

    /** The peer's close_notify crosses our data: eofReceived; returning false closes after our queue is sent. */
    @Test
    void peersCloseNotifyIsEofReceivedAndOurQueueStillGoesOut() throws Exception {
        ServerCase c = new ServerCase(cfg(), TlsTesting.server());
        c.peer.handshake(T);
        TlsTransport t = c.transport();
        byte[] data = new byte[300_000];
        new java.util.Random(5).nextBytes(data);
        onLoop(t.loop(), () -> t.write(data)); // queued (more than the socket takes at once)...
        c.peer.sendCloseNotify();              // ...when the peer's close_notify arrives
        assertArrayEquals(data, c.peer.readPlain(data.length, T));
        assertEquals(TlsPeer.End.CLOSE_NOTIFY, c.peer.awaitEnd(T));
        c.raw.close();
        assertNull(c.app.awaitLost(T));
        assertEquals(List.of("made", "eof", "lost:null"), withoutWriteFlow(c.app.events()));
    }

    /** The seed scenario: a peer that never answers close_notify. Our close ends at the deadline, with an abort. */
    @Test
    void aPeerThatNeverAnswersCloseNotifyIsAbortedAtTheCloseDeadline() throws Exception {
        ServerCase c = new ServerCase(cfg().withCloseTimeoutMillis(300), TlsTesting.server());
        c.peer.handshake(T);
        TlsTransport t = c.transport();
        t.close();
        assertEquals(TlsPeer.End.CLOSE_NOTIFY, c.peer.awaitEnd(T));
        Throwable cause = c.app.awaitLost(T);
        assertInstanceOf(CloseTimeoutException.class, cause);
        assertTrue(cause.getMessage().contains("no close_notify"), cause.getMessage());
        assertReset(c.peer.awaitLinkEnd(T), "aborted: RST");
    }

    /** After our close_notify, the peer's FIN alone also ends the close (cleanly); closeNotifyReceived says which. */
    @Test
    void afterOurCloseNotifyThePeersFinAloneEndsIt() throws Exception {
        ServerCase c = new ServerCase(cfg(), TlsTesting.server());
        c.peer.handshake(T);
        TlsTransport t = c.transport();
        t.close();
        assertEquals(TlsPeer.End.CLOSE_NOTIFY, c.peer.awaitEnd(T));
        c.raw.close(); // FIN, without close_notify
        assertNull(c.app.awaitLost(T));
        assertFalse(t.closeNotifyReceived());
    }

    @Test
    void aFinWithoutCloseNotifyIsTruncationNotEof() throws Exception {
        ServerCase c = new ServerCase(cfg(), TlsTesting.server());
        c.peer.handshake(T);
        c.peer.send(PING);
        c.app.awaitReceived(4, T);
        c.raw.shutdownOutput();
        c.peer.awaitEnd(T); // our alert / close, then FIN
        c.raw.close();
        Throwable cause = c.app.awaitLost(T);
        assertInstanceOf(TlsTruncatedException.class, cause);
        assertFalse(c.app.events().contains("eof"), "not an EOF: " + c.app.events());
    }

    @Test
    void aBadRecordEndsTheConnectionWithTheEnginesReason() throws Exception {
        ServerCase c = new ServerCase(cfg(), TlsTesting.server());
        c.peer.handshake(T);
        c.app.awaitEvent("made", T);
        byte[] garbage = new byte[5 + 40];
        garbage[0] = 23; // application_data
        garbage[1] = 3;
        garbage[2] = 3;
        garbage[4] = 40;
        c.peer.writeRaw(garbage);
        c.peer.awaitEnd(T); // our alert, then FIN
        c.raw.close();
        Throwable cause = c.app.awaitLost(T);
        assertInstanceOf(SSLException.class, cause);
        assertTrue(cause.getMessage() != null && !cause.getMessage().isEmpty());
        System.out.println("bad record: " + cause);
    }

    @Test
    void anUntrustedCertificateFailsTheConnectWithTheEnginesReason() throws Exception {
        TlsConfig distrusting = TlsConfig.client(TlsContexts.trusting(TlsTesting.otherCertificate().certificate(), null));
        ClientCase c = new ClientCase(cfg(), distrusting);
        assertThrows(Throwable.class, () -> c.peer.handshake(T));
        ExecutionException e = assertThrows(ExecutionException.class, () -> c.connected.get(T, TimeUnit.MILLISECONDS));
        assertInstanceOf(SSLHandshakeException.class, e.getCause());
        System.out.println("untrusted: " + e.getCause());
        assertTrue(e.getCause().getMessage().toLowerCase().contains("path") || e.getCause().getMessage().contains("certif"),
                e.getCause().getMessage());
        assertEquals(List.of(), c.app.events(), "the protocol heard nothing");
    }

    @Test
    void aHandshakeThatDoesNotFinishInTimeIsAborted() throws Exception {
        ClientCase c = new ClientCase(cfg(), TlsTesting.client().withHandshakeTimeoutMillis(300));
        ExecutionException e = assertThrows(ExecutionException.class, () -> c.connected.get(T, TimeUnit.MILLISECONDS));
        assertInstanceOf(TlsHandshakeTimeoutException.class, e.getCause());
        assertEquals(List.of(), c.app.events());
        assertReset(new TlsPeer(TlsTesting.peerEngine(false), link(c.raw)).awaitLinkEnd(T));
    }

    @Test
    void aServerHandshakeTimeoutClosesTheConnectionUnheard() throws Exception {
        ServerCase c = new ServerCase(cfg(), TlsTesting.server().withHandshakeTimeoutMillis(300));
        assertReset(c.peer.awaitLinkEnd(T));
        assertEquals(List.of(), c.app.events());
    }

    @Test
    void abortResetsWithoutCloseNotify() throws Exception {
        ServerCase c = new ServerCase(cfg(), TlsTesting.server());
        c.peer.handshake(T);
        c.transport().abort();
        assertReset(c.peer.awaitEnd(T));
        assertNull(c.app.awaitLost(T));
    }

    /** TLS 1.3: writeEof is close_notify then FIN; reading goes on until the peer's close_notify. */
    @Test
    void writeEofOnTls13HalfClosesAndKeepsReading() throws Exception {
        ServerCase c = new ServerCase(cfg(), TlsTesting.server());
        c.peer.handshake(T);
        TlsTransport t = c.transport();
        t.write("bye".getBytes(StandardCharsets.US_ASCII));
        t.writeEof();
        assertThrows(TransportClosedException.class, () -> t.write(PING));
        assertArrayEquals("bye".getBytes(StandardCharsets.US_ASCII), c.peer.readPlain(3, T));
        assertEquals(TlsPeer.End.CLOSE_NOTIFY, c.peer.awaitEnd(T));
        assertEquals(TlsPeer.End.FIN_WITHOUT_CLOSE_NOTIFY, c.peer.awaitLinkEnd(T), "FIN after close_notify");
        c.peer.send(PING);
        c.app.awaitReceived(4, T);
        c.peer.sendCloseNotify();
        c.raw.close();
        assertNull(c.app.awaitLost(T));
        assertEquals(List.of("made", "data:4", "eof", "lost:null"), c.app.events());
    }

    // ------------------------------------------------------------------ writing

    /** Water marks count what is queued; a peer that stops reading pauses the writer, reading again resumes it. */
    @Test
    void waterMarksPauseAndResumeTheWriter() throws Exception {
        ServerCase c = new ServerCase(cfg(), TlsTesting.server());
        c.peer.handshake(T);
        TlsTransport t = c.transport();
        byte[] piece = new byte[16 * 1024];
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        long[] atPause = {-1};
        onLoop(t.loop(), () -> {
            for (int i = 0; i < 400 && !c.app.events().contains("pauseWriting"); i++) {
                java.util.Arrays.fill(piece, (byte) i);
                t.write(piece);
                sent.writeBytes(piece);
            }
            atPause[0] = t.writeBufferSize();
        });
        assertTrue(c.app.events().contains("pauseWriting"), "paused: " + c.app.events());
        assertTrue(atPause[0] > t.writeBufferHigh(), "queued " + atPause[0] + " > high " + t.writeBufferHigh());
        assertArrayEquals(sent.toByteArray(), c.peer.readPlain(sent.size(), T));
        c.app.awaitEvent("resumeWriting", T);
        t.abort();
        c.app.awaitLost(T);
    }

    @Test
    void writesFromAnotherThreadKeepTheirOrderAndOwnedBuffersAreReleasedOnce() throws Exception {
        ServerCase c = new ServerCase(cfg(), TlsTesting.server());
        c.peer.handshake(T);
        TlsTransport t = c.transport();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        AtomicInteger releases = new AtomicInteger();
        for (int i = 0; i < 200; i++) {
            byte[] d = new byte[777];
            java.util.Arrays.fill(d, (byte) i);
            expected.writeBytes(d);
            if (i % 2 == 0) {
                t.write(d);
            } else {
                ByteBuffer owned = ByteBuffer.allocateDirect(d.length).put(d).flip();
                t.writeOwned(owned, releases::incrementAndGet);
            }
        }
        assertArrayEquals(expected.toByteArray(), c.peer.readPlain(expected.size(), T));
        await("every owned buffer released", () -> releases.get() == 100);
        t.abort();
        c.app.awaitLost(T);
        assertEquals(100, releases.get(), "released exactly once each");
    }

    @Test
    void retainReceivedKeepsTheDecryptedBuffer() throws Exception {
        ServerCase c = new ServerCase(cfg(), TlsTesting.server());
        List<RetainedBuffer> kept = new ArrayList<>();
        c.app.onData = b -> kept.add(c.app.transport().retainReceived());
        c.peer.handshake(T);
        c.app.awaitEvent("made", T);
        c.peer.send("first".getBytes(StandardCharsets.US_ASCII));
        c.app.awaitReceived(5, T);
        c.peer.send("second".getBytes(StandardCharsets.US_ASCII));
        c.app.awaitReceived(11, T);
        assertEquals("first", StandardCharsets.US_ASCII.decode(kept.get(0).buffer().duplicate()).toString(),
                "the first buffer was not reused for the second delivery");
        for (RetainedBuffer r : kept) {
            r.release();
        }
        c.transport().abort();
        c.app.awaitLost(T);
    }
}
