package dev.iocp.transport.testing;

import dev.iocp.core.backend.sim.SimPeer;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The far end of a TLS connection under test, driven step by step by the test: the JDK's {@link SSLEngine} over a
 * raw byte {@link Link} (a simulated peer, or a plain socket). Unlike an {@code SSLSocket} it lets a test decide
 * how each flight is cut into segments ({@link #segmenter}), send records of its choice (garbage, a FIN without
 * close_notify), and see exactly how the connection under test ended.
 */
public final class TlsPeer {
    /** Raw bytes to and from the connection under test. */
    public interface Link {
        void write(byte[] bytes) throws Exception;

        /** Some bytes (waiting up to {@code timeoutMillis} for at least one); empty on timeout; null at EOF. */
        byte[] read(long timeoutMillis) throws Exception;

        void shutdownOutput() throws Exception;

        void close() throws Exception;

        void reset() throws Exception;

        /** After EOF: whether the connection under test reset rather than FIN. */
        boolean wasReset();
    }

    private final SSLEngine engine;
    private final Link link;
    private ByteBuffer netIn = ByteBuffer.allocate(1 << 17).flip();
    private final ByteArrayOutputStream plain = new ByteArrayOutputStream();
    private boolean eof;
    /** How each burst of this peer's records is written (default: one write); the test may cut it up. */
    public volatile Consumer<byte[]> segmenter;
    /** Every byte this peer wrote, in order (for tests that replay or measure flights). */
    public final ByteArrayOutputStream wrote = new ByteArrayOutputStream();

    public TlsPeer(SSLEngine engine, Link link) {
        this.engine = engine;
        this.link = link;
    }

    public SSLEngine engine() {
        return engine;
    }

    public Link link() {
        return link;
    }

    /** Drives the handshake to its end (within the timeout), flights written through {@link #segmenter}. */
    public void handshake(long timeoutMillis) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        engine.beginHandshake();
        for (;;) {
            HandshakeStatus hs = engine.getHandshakeStatus();
            switch (hs) {
                case NEED_TASK -> {
                    Runnable t;
                    while ((t = engine.getDelegatedTask()) != null) {
                        t.run();
                    }
                }
                case NEED_WRAP -> flush(wrap(ByteBuffer.allocate(0)));
                case NEED_UNWRAP -> {
                    if (!unwrapSome(deadline)) {
                        throw new AssertionError("peer: handshake incomplete (EOF) after " + plainCount() + " bytes");
                    }
                }
                default -> {
                    return;
                }
            }
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("peer: handshake did not finish within " + timeoutMillis + " ms (" + hs + ")");
            }
        }
    }

    /** Encrypts {@code data} and writes its records (through {@link #segmenter}). */
    public void send(byte[] data) throws Exception {
        flush(wrap(ByteBuffer.wrap(data)));
    }

    /** The records for {@code data}, not written: a test may combine them with others in one segment. */
    public byte[] records(byte[] data) throws SSLException {
        return wrap(ByteBuffer.wrap(data));
    }

    /** close_notify (closeOutbound, then its record written). */
    public void sendCloseNotify() throws Exception {
        engine.closeOutbound();
        flush(wrap(ByteBuffer.allocate(0)));
    }

    /** Raw bytes, past the engine (garbage, or a prepared record). */
    public void writeRaw(byte[] bytes) throws Exception {
        wrote.writeBytes(bytes);
        link.write(bytes);
    }

    private void flush(byte[] bytes) throws Exception {
        if (bytes.length == 0) {
            return;
        }
        Consumer<byte[]> s = segmenter;
        wrote.writeBytes(bytes);
        if (s == null) {
            link.write(bytes);
        } else {
            s.accept(bytes);
        }
    }

    private byte[] wrap(ByteBuffer src) throws SSLException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer dst = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        do {
            dst.clear();
            SSLEngineResult r = engine.wrap(src, dst);
            dst.flip();
            out.write(dst.array(), 0, dst.limit());
            if (r.getStatus() == SSLEngineResult.Status.CLOSED || (r.bytesProduced() == 0 && r.bytesConsumed() == 0)) {
                break;
            }
            if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
                Runnable t;
                while ((t = engine.getDelegatedTask()) != null) {
                    t.run();
                }
            }
        } while (src.hasRemaining() || engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP);
        return out.toByteArray();
    }

    /** Reads and decrypts until some progress; false at EOF. */
    private boolean unwrapSome(long deadline) throws Exception {
        for (;;) {
            if (netIn.hasRemaining()) {
                ByteBuffer dst = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize() + 64);
                SSLEngineResult r = engine.unwrap(netIn, dst);
                dst.flip();
                plain.write(dst.array(), 0, dst.limit());
                if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                    return true;
                }
                if (r.getStatus() != SSLEngineResult.Status.BUFFER_UNDERFLOW
                        && (r.bytesConsumed() > 0 || r.bytesProduced() > 0)) {
                    return true;
                }
            }
            if (eof) {
                return false;
            }
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                throw new AssertionError("peer: nothing to read in time");
            }
            byte[] b = link.read(Math.min(left, 200));
            if (b == null) {
                eof = true;
                continue;
            }
            if (b.length > 0) {
                ByteBuffer bigger = ByteBuffer.allocate(netIn.remaining() + b.length);
                bigger.put(netIn).put(b).flip();
                netIn = bigger;
            }
        }
    }

    private int plainCount() {
        return plain.size();
    }

    /** Reads until {@code n} plaintext bytes have arrived; returns exactly them. */
    public byte[] readPlain(int n, long timeoutMillis) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (plain.size() < n) {
            if (engine.isInboundDone() || !unwrapSome(deadline)) {
                throw new AssertionError("peer: " + plain.size() + " of " + n + " bytes, then "
                        + (engine.isInboundDone() ? "close_notify" : "EOF"));
            }
        }
        byte[] all = plain.toByteArray();
        plain.reset();
        plain.write(all, n, all.length - n);
        return Arrays.copyOf(all, n);
    }

    /** How the connection under test ended its side, as this peer saw it. */
    public enum End { CLOSE_NOTIFY, FIN_WITHOUT_CLOSE_NOTIFY, RESET, NOTHING }

    /**
     * Reads (keeping plaintext for {@link #readPlain}) until close_notify, EOF or the timeout; then says which. After
     * CLOSE_NOTIFY the link may still carry the FIN: {@link #awaitLinkEnd}.
     */
    public End awaitEnd(long timeoutMillis) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        try {
            while (!engine.isInboundDone()) {
                if (!unwrapSome(deadline)) {
                    return link.wasReset() ? End.RESET : End.FIN_WITHOUT_CLOSE_NOTIFY;
                }
            }
        } catch (AssertionError timeout) {
            return End.NOTHING;
        } catch (SSLException e) {
            return link.wasReset() ? End.RESET : End.FIN_WITHOUT_CLOSE_NOTIFY;
        }
        return End.CLOSE_NOTIFY;
    }

    /** After close_notify: reads the raw link to its end (FIN or RST), or NOTHING at the timeout. */
    public End awaitLinkEnd(long timeoutMillis) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (!eof) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return End.NOTHING;
            }
            byte[] b = link.read(Math.min(left, 200));
            if (b == null) {
                eof = true;
            }
        }
        return link.wasReset() ? End.RESET : End.FIN_WITHOUT_CLOSE_NOTIFY;
    }

    /** Plaintext received and not yet read. */
    public int plainAvailable() {
        return plain.size();
    }

    // ------------------------------------------------------------------ links

    /** Over a simulated peer. */
    public static Link link(SimPeer peer) {
        return new Link() {
            private boolean reset;

            @Override
            public void write(byte[] bytes) {
                peer.write(bytes);
            }

            @Override
            public byte[] read(long timeoutMillis) throws InterruptedException {
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
                for (;;) {
                    byte[] b = peer.read();
                    if (b.length > 0) {
                        return b;
                    }
                    SimPeer.Ending e = peer.awaitEnding(1, TimeUnit.MILLISECONDS);
                    b = peer.read();
                    if (b.length > 0) {
                        return b;
                    }
                    if (e != SimPeer.Ending.NONE) {
                        reset = e == SimPeer.Ending.RESET;
                        return null;
                    }
                    if (System.nanoTime() > deadline) {
                        return new byte[0];
                    }
                }
            }

            @Override
            public void shutdownOutput() {
                peer.shutdownOutput();
            }

            @Override
            public void close() {
                peer.close();
            }

            @Override
            public void reset() {
                peer.reset();
            }

            @Override
            public boolean wasReset() {
                return reset;
            }
        };
    }

    /** Over a plain blocking socket (real loopback). */
    public static Link link(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        return new Link() {
            private boolean reset;

            @Override
            public void write(byte[] bytes) throws IOException {
                socket.getOutputStream().write(bytes);
                socket.getOutputStream().flush();
            }

            @Override
            public byte[] read(long timeoutMillis) throws IOException {
                byte[] buf = new byte[64 * 1024];
                socket.setSoTimeout((int) Math.max(1, timeoutMillis));
                int n;
                try {
                    n = in.read(buf);
                } catch (SocketTimeoutException e) {
                    return new byte[0];
                } catch (java.net.SocketException e) {
                    reset = true; // "Connection reset"
                    return null;
                }
                return n < 0 ? null : Arrays.copyOf(buf, n);
            }

            @Override
            public void shutdownOutput() throws IOException {
                socket.shutdownOutput();
            }

            @Override
            public void close() throws IOException {
                socket.close();
            }

            @Override
            public void reset() throws IOException {
                socket.setSoLinger(true, 0);
                socket.close();
            }

            @Override
            public boolean wasReset() {
                return reset;
            }
        };
    }
}
