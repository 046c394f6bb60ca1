package dev.iocp.wintests.scenarios;

import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.race.RaceHarness;
import dev.iocp.race.StreamPattern;
import dev.iocp.race.StreamVerifier;
import dev.iocp.transport.CloseTimeoutException;
import dev.iocp.transport.ConnectionResetException;
import dev.iocp.transport.Protocol;
import dev.iocp.transport.Server;
import dev.iocp.transport.Transport;
import dev.iocp.transport.TransportConfig;
import dev.iocp.transport.Transports;
import dev.iocp.transport.testing.Peer;
import dev.iocp.transport.testing.RecordingProtocol;
import dev.iocp.transport.testing.SocketPeer;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static dev.iocp.core.testing.LoopTesting.assertOpsDrained;
import static dev.iocp.core.testing.LoopTesting.await;
import static dev.iocp.core.testing.LoopTesting.onLoop;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed scenarios, as a user meets them, on real loopback sockets, on every real backend (a subclass per backend:
 * {@code Win32SeedScenariosTest}, {@code IoUringSeedScenariosTest}). The peers are plain blocking
 * {@code java.net.Socket}s: code that shares nothing with ours.
 */
public abstract class SeedScenariosTest {
    /** The real backend the scenarios run on. */
    protected abstract dev.iocp.core.backend.BackendFactory backendFactory();

    static final long T = 20_000;

    IocpEventLoopGroup group;
    IocpEventLoop loop;
    final List<Server> servers = new ArrayList<>();
    final List<Socket> sockets = new ArrayList<>();

    @BeforeEach
    void setUp() {
        group = new IocpEventLoopGroup(1, backendFactory());
        loop = group.next();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Socket s : sockets) {
            s.close();
        }
        for (Server s : servers) {
            s.close().await(T);
        }
        for (EventExecutor e : group) {
            assertOpsDrained((IocpEventLoop) e);
        }
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(T);
    }

    private <P extends Protocol> BlockingQueue<P> serve(Supplier<P> factory, TransportConfig config,
                                                        InetSocketAddress[] address) throws Exception {
        BlockingQueue<P> made = new LinkedBlockingQueue<>();
        Server s = Transports.listen(group, new InetSocketAddress(RaceHarness.LOOPBACK_V4, 0), () -> {
            P p = factory.get();
            made.add(p);
            return p;
        }, config, 4).get(T, TimeUnit.MILLISECONDS);
        servers.add(s);
        address[0] = s.localAddress();
        return made;
    }

    /** How a plain-socket peer saw our abort: a reset (a FIN only where {@code Platform.abortMayReachThePeerAsFin()}). */
    private static void assertAbortSeen(Peer.Ending ending, String what) {
        if (ending == Peer.Ending.FIN && dev.iocp.core.testing.Platform.abortMayReachThePeerAsFin()) {
            System.out.println("[wine] " + what + ": the plain-socket peer read a FIN for our abort (Wine fact 9)");
            return;
        }
        assertEquals(Peer.Ending.RESET, ending, what);
    }

    /** A peer with a modest fixed receive window (set before connect), so a peer that stops reading stops us soon. */
    private SocketPeer connect(InetSocketAddress address) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(64 * 1024);
        s.connect(address, 10_000);
        sockets.add(s);
        return new SocketPeer(s);
    }

    private static <P> P next(BlockingQueue<P> q) throws InterruptedException {
        P p = q.poll(T, TimeUnit.MILLISECONDS);
        assertNotNull(p, "no connection accepted");
        return p;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    // ------------------------------------------------------------------------------------------------------------

    @Test
    void finVersusRstIsToldApartByTheReceivingSide() throws Exception {
        InetSocketAddress[] at = new InetSocketAddress[1];
        BlockingQueue<RecordingProtocol> made = serve(RecordingProtocol::new, TransportConfig.DEFAULT, at);
        assertAll(
                () -> { // our close: the peer reads everything, then a clean EOF
                    SocketPeer peer = connect(at[0]);
                    RecordingProtocol p = next(made);
                    p.transport().write(ascii("goodbye"));
                    p.transport().close();
                    Peer.Drained d = peer.drainToEnd(T);
                    assertEquals(new Peer.Drained(7, Peer.Ending.FIN), d, "close() is FIN after the data");
                    peer.close(); // our lingering close ends at the peer's FIN
                    assertNull(p.awaitLost(T));
                },
                () -> { // our abort: the peer sees a reset
                    SocketPeer peer = connect(at[0]);
                    RecordingProtocol p = next(made);
                    p.transport().write(ascii("cut"));
                    p.transport().abort();
                    assertAbortSeen(peer.drainToEnd(T).ending(),
                            "abort() must be RST, never a clean FIN");
                    assertNull(p.awaitLost(T), "our own abort is not an error for us");
                },
                () -> { // the peer's FIN: eofReceived, a clean end, not an error
                    SocketPeer peer = connect(at[0]);
                    RecordingProtocol p = next(made);
                    peer.write(ascii("last words"));
                    peer.shutdownOutput();
                    p.awaitEvent("eof", T);
                    assertNull(p.awaitLost(T), "a FIN is not an error");
                    assertEquals("last words", new String(p.received(), StandardCharsets.US_ASCII));
                    assertEquals(Peer.Ending.FIN, peer.drainToEnd(T).ending(), "we close after the peer's EOF");
                },
                () -> { // the peer's RST: ConnectionResetException, no eofReceived
                    SocketPeer peer = connect(at[0]);
                    RecordingProtocol p = next(made);
                    peer.write(ascii("x"));
                    p.awaitReceived(1, T);
                    // Until our next receive is armed, so the RST meets a pending receive (the stricter case).
                    p.transport().loop().submit(() -> null).get(T, java.util.concurrent.TimeUnit.MILLISECONDS);
                    peer.reset();
                    assertInstanceOf(ConnectionResetException.class, p.awaitLost(T), "RST is a reset; events: " + p.events());
                    assertFalse(p.events().contains("eof"), "a reset is not an EOF: " + p.events());
                });
    }

    @Test
    void gracefulCloseWithADeadlineFallsBackToAbortWhileThePeerIsStuck() throws Exception {
        InetSocketAddress[] at = new InetSocketAddress[1];
        long deadlineMs = 500;
        BlockingQueue<FlowWriter> made = serve(FlowWriter::new,
                TransportConfig.DEFAULT.withCloseTimeoutMillis(deadlineMs), at);
        SocketPeer peer = connect(at[0]); // ... and never reads
        FlowWriter w = next(made);
        onLoop(loop, w::start);
        w.awaitStuck();
        long t0 = System.nanoTime();
        w.transport.close();
        Throwable cause = w.awaitLost(loop);
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("stuck peer: wrote " + w.written + " bytes, close deadline " + deadlineMs + " ms, ended after "
                + tookMs + " ms with " + cause);
        assertInstanceOf(CloseTimeoutException.class, cause, "the deadline turned the close into an abort");
        assertTrue(tookMs >= deadlineMs - 50 && tookMs < deadlineMs + 5_000, "bounded by the deadline: " + tookMs);
        Peer.Drained d = peer.drainToEnd(T);
        System.out.println("stuck peer then read " + d);
        assertTrue(d.bytes() < w.written, "the queued rest was discarded, not delivered");
        assertAbortSeen(d.ending(), "a truncated stream must end in RST, never look like a clean FIN");
    }

    @Test
    void writingToAHalfClosedPeerThatStoppedReadingGetsPauseWritingAndABoundedOutcome() throws Exception {
        // yamux #133: the peer half-closes its write side and stops reading; we keep writing.
        InetSocketAddress[] at = new InetSocketAddress[1];
        long deadlineMs = 500;
        BlockingQueue<FlowWriter> made = serve(() -> {
            FlowWriter w = new FlowWriter();
            w.keepOpenOnEof = true;
            w.startOnEof = true;
            return w;
        }, TransportConfig.DEFAULT.withCloseTimeoutMillis(deadlineMs), at);
        SocketPeer peer = connect(at[0]);
        FlowWriter w = next(made);
        peer.write(ascii("request"));
        peer.shutdownOutput(); // half-close, and from now on it reads nothing
        w.awaitStuck();
        assertTrue(w.eof, "eofReceived came first");
        assertTrue(w.pauseWritingCalls > 0, "pauseWriting was called");
        long buffered = onLoop(loop, () -> w.transport.writeBufferSize());
        assertTrue(buffered <= w.transport.writeBufferHigh() + FlowWriter.CHUNK,
                "a writer that honours pauseWriting queues boundedly: " + buffered);
        assertTrue(w.written < FlowWriter.LIMIT, "the writer was held back: wrote " + w.written);
        long t0 = System.nanoTime();
        w.transport.close();
        Throwable cause = w.awaitLost(loop);
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("half-closed stuck peer: wrote " + w.written + ", buffered " + buffered + ", ended after "
                + tookMs + " ms with " + cause);
        assertInstanceOf(CloseTimeoutException.class, cause, "not a hang: the close deadline aborts it");
        assertTrue(tookMs < deadlineMs + 5_000, "bounded: " + tookMs + " ms");
        assertAbortSeen(peer.drainToEnd(T).ending(), "the truncated stream ends in RST");
    }

    @Test
    void aCallbackThatThrowsMidStreamAbortsOnlyItsConnectionWhileOthersKeepEchoingIntact() throws Exception {
        int connections = 4;
        int thrower = 2;
        int size = 16 * 1024;
        int packets = 256; // 4 MiB each way per connection
        long total = (long) size * packets;
        InetSocketAddress[] at = new InetSocketAddress[1];
        int[] index = {0};
        BlockingQueue<VerifyingEcho> made = serve(() -> new VerifyingEcho(index[0]++ == thrower, size, total),
                TransportConfig.DEFAULT, at);
        List<StreamPeer> peers = new ArrayList<>();
        List<VerifyingEcho> echoes = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            StreamPeer p = new StreamPeer(connect(at[0]).socket(), size, total);
            peers.add(p);
            echoes.add(next(made));
        }
        for (StreamPeer p : peers) {
            p.start();
        }
        for (StreamPeer p : peers) {
            p.join(60_000);
        }
        List<Throwable> causes = new ArrayList<>();
        for (VerifyingEcho e : echoes) {
            causes.add(e.lost.get(T, TimeUnit.MILLISECONDS));
        }
        for (int i = 0; i < connections; i++) {
            System.out.println("connection " + i + ": server " + echoes.get(i).verifier + " | client " + peers.get(i)
                    + " | cause " + causes.get(i));
        }
        for (int i = 0; i < connections; i++) {
            assertSame(loop, echoes.get(i).transport.loop(), "all on one loop");
        }
        for (int i = 0; i < connections; i++) {
            if (i == thrower) {
                continue;
            }
            StreamPeer p = peers.get(i);
            assertNull(causes.get(i), "connection " + i + " ended cleanly");
            assertTrue(echoes.get(i).verifier.clean(), "server side of " + i + ": " + echoes.get(i).verifier);
            assertTrue(p.verifier.clean(), "client side of " + i + ": " + p);
            assertEquals(total, p.verifier.verified());
            assertEquals(Peer.Ending.FIN, p.ending);
        }
        Throwable boom = causes.get(thrower);
        assertInstanceOf(IllegalStateException.class, boom, "the thrower's connectionLost gets its exception");
        assertEquals("boom mid-stream", boom.getMessage());
        StreamPeer broken = peers.get(thrower);
        assertEquals(broken.verifier.received(), broken.verifier.verified(), "what it did get was intact: " + broken);
        assertEquals(broken.verifier.received(), broken.verifier.firstBadOffset(),
                "the first anomaly is the early end, nothing before it: " + broken);
        assertTrue(broken.verifier.verified() < total, "it was cut mid-stream: " + broken);
        assertAbortSeen(broken.endingSeenByEitherThread(), "the aborted connection's peer sees a reset");
    }

    /**
     * The narrow form of what the two deadline scenarios above need: an abort while a send is stuck (the peer doesn't
     * read) must still end the connection — every op's packet comes back and connectionLost is called.
     */
    @Test
    void anAbortWhileASendIsStuckOnAPeerThatDoesNotReadStillEndsTheConnection() throws Exception {
        InetSocketAddress[] at = new InetSocketAddress[1];
        BlockingQueue<FlowWriter> made = serve(FlowWriter::new, TransportConfig.DEFAULT, at);
        connect(at[0]); // never reads
        FlowWriter w = next(made);
        onLoop(loop, w::start);
        w.awaitStuck();
        long t0 = System.nanoTime();
        w.transport.abort();
        assertNull(w.awaitLost(loop, 5_000), "our own abort ends the connection without error");
        System.out.println("abort with a stuck send: connectionLost after " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        await("ops drained after abort", 5, TimeUnit.SECONDS, () -> onLoop(loop, loop::opsInFlight) == 4); // 4 accepts
    }

    // ------------------------------------------------------------------------------------------------------------

    /** Writes 64 KiB chunks while not paused (honouring pauseWriting), up to LIMIT. */
    static final class FlowWriter implements Protocol {
        static final int CHUNK = 64 * 1024;
        static final long LIMIT = 512L * 1024 * 1024;
        final byte[] chunk = new byte[CHUNK];
        final CompletableFuture<Throwable> lost = new CompletableFuture<>();
        volatile Transport transport;
        volatile boolean paused;
        volatile boolean eof;
        volatile long written;
        volatile long pausedSinceNanos;
        volatile int pauseWritingCalls;
        boolean keepOpenOnEof;
        boolean startOnEof;

        @Override
        public void connectionMade(Transport t) {
            transport = t;
        }

        void start() {
            pump();
        }

        private void pump() {
            while (!paused && written < LIMIT && !transport.isClosing()) {
                transport.write(chunk);
                written += CHUNK;
            }
        }

        @Override
        public void dataReceived(ByteBuffer data) {}

        @Override
        public boolean eofReceived() {
            eof = true;
            if (startOnEof) {
                pump();
            }
            return keepOpenOnEof;
        }

        @Override
        public void pauseWriting() {
            paused = true;
            pauseWritingCalls++;
            pausedSinceNanos = System.nanoTime();
        }

        @Override
        public void resumeWriting() {
            paused = false;
            pump();
        }

        @Override
        public void connectionLost(Throwable cause) {
            lost.complete(cause);
        }

        /** connectionLost's cause; on timeout, fails saying what is still pending. */
        Throwable awaitLost(IocpEventLoop loop) throws Exception {
            return awaitLost(loop, T);
        }

        Throwable awaitLost(IocpEventLoop loop, long timeoutMs) throws Exception {
            try {
                return lost.get(timeoutMs, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("connectionLost not called within " + timeoutMs + " ms after close()/abort(): ops in flight "
                        + onLoop(loop, loop::opsInFlight) + ", write buffer " + transport.writeBufferSize()
                        + ", closing " + transport.isClosing() + ", written " + written + ", transport " + transport, e);
            }
        }

        /** Paused for a while without being resumed: the peer has stopped taking bytes. */
        void awaitStuck() {
            await("writer paused for 500 ms (peer stuck)", () -> paused
                    && System.nanoTime() - pausedSinceNanos > TimeUnit.MILLISECONDS.toNanos(500));
        }
    }

    /** Echo that verifies what it reads; with {@code throwMidStream} it throws once it has read 1 MiB. */
    static final class VerifyingEcho implements Protocol {
        final boolean throwMidStream;
        final StreamVerifier verifier;
        final CompletableFuture<Throwable> lost = new CompletableFuture<>();
        volatile Transport transport;
        long received;

        VerifyingEcho(boolean throwMidStream, int size, long total) {
            this.throwMidStream = throwMidStream;
            this.verifier = new StreamVerifier(new StreamPattern(size), total);
        }

        @Override
        public void connectionMade(Transport t) {
            transport = t;
        }

        @Override
        public void dataReceived(ByteBuffer data) {
            synchronized (this) {
                verifier.update(data);
            }
            received += data.remaining();
            if (throwMidStream && received >= 1024 * 1024) {
                throw new IllegalStateException("boom mid-stream");
            }
            transport.write(data);
        }

        @Override
        public boolean eofReceived() {
            synchronized (this) {
                verifier.finish();
            }
            return false;
        }

        @Override
        public void pauseWriting() {
            transport.pauseReading();
        }

        @Override
        public void resumeWriting() {
            transport.resumeReading();
        }

        @Override
        public void connectionLost(Throwable cause) {
            lost.complete(cause);
        }
    }

    /** A blocking client: one thread writes the race stream then FIN, one reads the echo and verifies it. */
    static final class StreamPeer {
        final Socket socket;
        final StreamPattern pattern;
        final StreamVerifier verifier;
        final long total;
        final Thread writer;
        final Thread reader;
        volatile Peer.Ending ending = Peer.Ending.NONE;
        volatile Throwable writeError;

        StreamPeer(Socket socket, int size, long total) {
            this.socket = socket;
            this.pattern = new StreamPattern(size);
            this.verifier = new StreamVerifier(pattern, total);
            this.total = total;
            this.writer = new Thread(this::write, "stream-peer-writer");
            this.reader = new Thread(this::read, "stream-peer-reader");
        }

        void start() {
            writer.start();
            reader.start();
        }

        void join(long ms) throws InterruptedException {
            writer.join(ms);
            reader.join(ms);
            assertFalse(reader.isAlive(), "reader finished");
        }

        private void write() {
            byte[] b = new byte[pattern.packetSize()];
            try {
                OutputStream out = socket.getOutputStream();
                for (long pos = 0; pos < total; pos += b.length) {
                    pattern.fill(pos, b, 0, b.length);
                    out.write(b);
                }
                socket.shutdownOutput();
            } catch (IOException e) {
                writeError = e; // expected on the connection that is aborted
            }
        }

        /**
         * How the connection ended for the peer as a whole. Linux reports a reset's error to one call only, whichever
         * asks first: when the writer's send took it (a SocketException: reset or broken pipe), the reader's next
         * receive reads EOF. Seen once under load on io_uring: the reader said FIN for our RST.
         */
        Peer.Ending endingSeenByEitherThread() {
            return ending == Peer.Ending.FIN && writeError instanceof SocketException ? Peer.Ending.RESET : ending;
        }

        private void read() {
            byte[] b = new byte[64 * 1024];
            try {
                socket.setSoTimeout((int) T);
                InputStream in = socket.getInputStream();
                for (;;) {
                    int n = in.read(b);
                    if (n < 0) {
                        ending = Peer.Ending.FIN;
                        break;
                    }
                    verifier.update(b, 0, n);
                }
            } catch (SocketException e) {
                ending = Peer.Ending.RESET;
            } catch (IOException e) {
                ending = Peer.Ending.NONE;
            }
            verifier.finish();
        }

        @Override
        public String toString() {
            return verifier + " ending=" + ending + (writeError == null ? "" : " writeError=" + writeError);
        }
    }
}
