package dev.iocp.transport;

import dev.iocp.core.backend.SocketOpt;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.transport.tls.TlsConfig;
import dev.iocp.transport.tls.TlsHandshakeTimeoutException;
import dev.iocp.transport.tls.TlsTransport;
import dev.iocp.transport.tls.TlsTruncatedException;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSession;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * TLS as a layer, in the shape of asyncio's {@code SSLProtocol}: it is the {@link Protocol} of a plain transport
 * ({@link #plainSide}) and the {@link Transport} of the user's protocol ({@link #app}). Encryption is the JDK's
 * {@link SSLEngine}; this class only moves bytes between the two sides, so that every promise of the plain transport
 * carries over:
 * <ul>
 *   <li><b>Reading (invariant 3).</b> The user's pauseReading pauses the plain transport too, so its receive in
 *       flight is held there, not cancelled; what this layer already has stays here as <i>encrypted</i> records
 *       ({@link #netIn}) — a record is decrypted only when its plaintext can be delivered at once. resumeReading
 *       delivers what is held here first (a loop task: never inside the caller's callback), and only then resumes
 *       the plain transport, whose own held receive follows: the order on the wire is the order of delivery.</li>
 *   <li><b>Writing (invariant 7).</b> A write is encrypted at call time when the plain transport is not write-paused
 *       (the records are copied into its queue), else copied into {@link #pending}; so the caller may reuse its
 *       buffer at once. {@link #writeBufferSize()} counts both: plaintext waiting to be encrypted, and records not
 *       yet sent. The plain transport has the same water marks as this one, and its pauseWriting is this one's.</li>
 *   <li><b>Callbacks never nest.</b> The user's dataReceived, eofReceived run inside the plain transport's
 *       callbacks to this layer (never inside another user callback); connectionMade / the startTls future run in a
 *       loop task of their own after the handshake; connectionLost runs inside the plain transport's connectionLost,
 *       itself a loop task. pauseWriting/resumeWriting may nest, exactly where the plain transport's may.</li>
 * </ul>
 *
 * <p>The layer's life, one state machine ({@link TlsState}):
 * <pre>
 *  HANDSHAKING ──handshake finished──▶ ANNOUNCING ──task: connectionMade / the future──▶ OPEN
 *  OPEN ──close()──▶ CLOSING ──queue encrypted, close_notify sent──▶ AWAITING_PEER_CLOSE
 *  AWAITING_PEER_CLOSE ──peer's close_notify or FIN──▶ CLOSED (plain.close(): FIN, linger)
 *  CLOSING / AWAITING_PEER_CLOSE ──close deadline──▶ CLOSED (plain.abort(): RST, CloseTimeoutException)
 *  any ──abort(), a callback threw──▶ CLOSED (plain.abort())
 *  any ──engine error, truncation──▶ CLOSED (alert sent if any, plain.close())
 *  any ──the plain transport's connectionLost──▶ LOST (the user's connectionLost, once)
 * </pre>
 * Everything runs on the loop thread; public methods called elsewhere hop onto it, in call order. The engine's
 * delegated tasks (certificate checks, key agreement: about a millisecond) run inline on the loop: a hand-off to an
 * executor would add two thread hops to every handshake and a state in which neither side may touch the engine.
 */
final class TlsConnection implements TlsTransport {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(TlsConnection.class);
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    /** The layer's life; see the class comment. */
    enum TlsState {
        /** The handshake is under way: the user hears nothing; writes are queued (plaintext). */
        HANDSHAKING,
        /**
         * The handshake finished; a loop task is about to hand the transport to the user (connectionMade, or the
         * startTls / connect future). Records that came behind the last handshake flight wait in {@link #netIn}
         * until then: a user must know its transport before it gets data.
         */
        ANNOUNCING,
        /** Data flows both ways. */
        OPEN,
        /** close() was called: the queued plaintext is encrypted and sent (the plain transport may be write-paused). */
        CLOSING,
        /**
         * Our close_notify is sent; the peer's close_notify (or its FIN) is awaited within the close deadline. What
         * it still sends is decrypted and dropped (decrypting is the only way to find its close_notify).
         */
        AWAITING_PEER_CLOSE,
        /** The plain transport is closed or aborted by this layer; waiting for its connectionLost. */
        CLOSED,
        /** The plain transport's connectionLost came; the user's connectionLost ran (or was not owed). Terminal. */
        LOST
    }

    /** How the user learns that the handshake finished. */
    enum Mode {
        /** Transports.startTls: the user's protocol was already made; the future gets the transport. */
        STARTTLS,
        /** A connection a TLS server accepted: the user's protocol is made (connectionMade) after the handshake. */
        ACCEPTED,
        /** Transports.connect with TLS: connectionMade after the handshake, then the connect future. */
        CONNECTED
    }

    private final Protocol app;
    private final TlsConfig config;
    private final Mode mode;
    private final long closeTimeoutMillis;
    /** Completed with this transport when the handshake is announced (null for ACCEPTED). */
    private final Promise<Transport> handshakePromise;
    private SSLEngine engine;
    private IocpEventLoop loop;
    private Transport plain;

    private TlsState state = TlsState.HANDSHAKING;
    private boolean handshakeBegun;
    private boolean handshakeDone;

    /** Encrypted bytes received and not yet decrypted (a partial record, or records held while paused). */
    private ByteBuffer netIn;
    /**
     * The plain transport's buffer while its dataReceived runs: decrypted from in place; what is left of it when the
     * call returns is copied into {@link #netIn}.
     */
    private ByteBuffer borrowedIn;
    /** Plaintext decrypted when it could not be delivered (only in a handshake's odd corners); delivered first. */
    private final ArrayDeque<ByteBuffer> heldPlain = new ArrayDeque<>();
    /** The peer's FIN came; it is acted on once every record before it has been taken. */
    private boolean finPending;
    private boolean closeNotifyReceived;
    /** The engine has read the peer's close_notify; it is acted on once reading may go on (it is an EOF). */
    private boolean closeNotifyPending;
    /** The peer's close_notify was delivered as eofReceived. */
    private boolean eofDelivered;

    /** The user's reading switch (pause/resumeReading). */
    private boolean appReading = true;
    /** What this layer last asked of the plain transport's reading (it mirrors the user's, one call per call). */
    private boolean plainReadingOn;
    /** A delivery task for what is held here is queued (resumeReading). */
    private boolean heldDeliveryQueued;

    /** Writes waiting to be encrypted, in order: the plain transport is write-paused, or the handshake runs. */
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private long pendingBytes;
    private volatile long pendingVisible;
    private final AtomicLong bytesInTransit = new AtomicLong();
    private boolean plainWritingPaused;
    private boolean appWritingPaused;
    private long highWater;
    private long lowWater;
    /** writeEof was asked: close_notify then FIN once {@link #pending} has drained. */
    private boolean eofRequested;
    private boolean eofSent;

    /** The first cause of the end this layer knows (it wins over the plain transport's). */
    private Throwable cause;
    private ScheduledFuture<?> handshakeTimer;
    private ScheduledFuture<?> closeTimer;
    /** The user's protocol has the transport (connectionMade ran, or the future completed). */
    private boolean announced;

    /** process() is running: a call from inside it (through a user callback) only asks it to run once more. */
    private boolean processing;
    private boolean reprocess;
    /** The buffer the user's dataReceived has now, and whether it kept it (retainReceived). */
    private ByteBuffer delivering;
    private boolean deliveringRetained;

    private volatile boolean userStoppedWriting;
    private volatile boolean closingVisible;
    /** Bytes the plain transport delivered to this layer (for tests that cut flights into segments). */
    private volatile long encryptedBytesReceived;

    /** A write waiting to be encrypted: its bytes, and the release of an owned buffer (null: ours, a copy). */
    private record Pending(ByteBuffer data, Runnable release) {}

    private TlsConnection(Protocol app, TlsConfig config, Mode mode, long closeTimeoutMillis,
                          Promise<Transport> handshakePromise) {
        this.app = Objects.requireNonNull(app, "protocol");
        this.config = Objects.requireNonNull(config, "config");
        this.mode = mode;
        this.closeTimeoutMillis = closeTimeoutMillis;
        this.handshakePromise = handshakePromise;
    }

    /** A layer for a connection a TLS server accepts: give {@link #plainSide} to the plain connection. */
    static TlsConnection accepted(Protocol app, TlsConfig config, long closeTimeoutMillis) {
        return new TlsConnection(app, config, Mode.ACCEPTED, closeTimeoutMillis, null);
    }

    /** A layer for a TLS connect: {@code promise} gets the TLS transport after the handshake and connectionMade. */
    static TlsConnection connecting(Protocol app, TlsConfig config, long closeTimeoutMillis,
                                    Promise<Transport> promise) {
        return new TlsConnection(app, config, Mode.CONNECTED, closeTimeoutMillis, promise);
    }

    /**
     * Loop thread: startTls on {@code connection}, whose protocol (the user's) becomes this layer's. The plain
     * connection's protocol is swapped here (no byte can be delivered between the swap and this layer's start: both
     * happen in this call, on the loop); bytes it had delivered to the old protocol and the old protocol did not
     * consume (the rest of the buffer of the dataReceived that called startTls) are this layer's first.
     */
    static void startTls(IocpConnection connection, TlsConfig config, Promise<Transport> promise) {
        IocpConnection.Handover h;
        try {
            h = connection.handOver(p -> new TlsConnection(p, config, Mode.STARTTLS,
                    connection.config().closeTimeoutMillis(), promise).plainSide);
        } catch (RuntimeException e) {
            promise.tryFailure(e);
            return;
        }
        TlsConnection tls = ((PlainSide) h.newProtocol()).tls();
        tls.netIn = h.unreadRest();
        tls.plainWritingPaused = h.writingPaused();
        tls.appWritingPaused = h.writingPaused(); // the user heard pauseWriting from the plain transport: it is owed the resume
        tls.attach(connection);
    }

    // ================================================================== the plain side

    /** The Protocol the plain transport calls: this layer's half that faces the network. */
    final PlainSide plainSide = new PlainSide();

    final class PlainSide implements Protocol {
        TlsConnection tls() {
            return TlsConnection.this;
        }

        @Override
        public void connectionMade(Transport transport) {
            attach(transport);
        }

        @Override
        public void dataReceived(ByteBuffer data) {
            encryptedBytesReceived += data.remaining();
            if (state == TlsState.CLOSED || state == TlsState.LOST) {
                return; // we closed: nothing more is read
            }
            if (netIn == null || !netIn.hasRemaining()) {
                borrowedIn = data; // decrypt in place; the rest is kept when this call returns
            } else {
                // netIn holds the start of a record: complete it from data (a copy of at most one record), then
                // decrypt the rest in place. (If it holds whole records — held while paused — data goes behind them.)
                int missing;
                while (data.hasRemaining() && (missing = missingOfFirstRecord()) > 0) {
                    int take = Math.min(missing, data.remaining());
                    appendNetIn(data.slice(data.position(), take));
                    data.position(data.position() + take);
                }
                if (data.hasRemaining()) {
                    if (netIn.remaining() > firstRecordLength()) {
                        appendNetIn(data);
                    } else {
                        borrowedIn = data; // after netIn's one record (processOnce takes netIn first)
                    }
                }
            }
            try {
                process();
            } finally {
                if (borrowedIn != null) {
                    if (borrowedIn.hasRemaining()) {
                        appendNetIn(borrowedIn);
                    }
                    borrowedIn = null;
                }
            }
        }

        @Override
        public boolean eofReceived() {
            finPending = true;
            process();
            return true; // this layer decides when the plain transport closes (after close_notify, or with a cause)
        }

        @Override
        public void connectionLost(Throwable plainCause) {
            onPlainLost(plainCause);
        }

        @Override
        public void pauseWriting() {
            plainWritingPaused = true;
            if (announced && !appWritingPaused && state == TlsState.OPEN) {
                appWritingPaused = true;
                callApp(app::pauseWriting);
            }
        }

        @Override
        public void resumeWriting() {
            plainWritingPaused = false;
            flushPending();
            if (plainWritingPaused) {
                return; // what was waiting filled the plain queue again
            }
            // The plain queue drained to its low-water mark and what waited here has been encrypted into it without
            // crossing the high-water mark again: resume the user. (Waiting for the sum to reach the low mark could
            // wait forever: the plain transport calls resumeWriting only after a pause.)
            if (appWritingPaused && state == TlsState.OPEN && pending.isEmpty()) {
                appWritingPaused = false;
                callApp(app::resumeWriting);
            }
            afterFlush();
        }

        @Override
        public String toString() {
            return "TLS layer of " + app;
        }
    }

    /** Loop thread, once: the plain transport is this layer's; the handshake begins. */
    private void attach(Transport transport) {
        plain = transport;
        loop = transport.loop();
        highWater = transport.writeBufferHigh();
        lowWater = transport.writeBufferLow();
        plainReadingOn = transport.isReading();
        try {
            engine = config.newEngine(transport.remoteAddress());
        } catch (RuntimeException e) {
            fail(new SSLException("cannot create the TLS engine: " + e.getMessage(), e));
            return;
        }
        if (config.handshakeTimeoutMillis() > 0) {
            handshakeTimer = loop.schedule(this::handshakeDeadlinePassed, config.handshakeTimeoutMillis(),
                    TimeUnit.MILLISECONDS);
        }
        syncPlainReading();
        process();
    }

    /** Keeps {@code data}'s remaining bytes behind what {@link #netIn} holds (netIn stays in read mode). */
    private void appendNetIn(ByteBuffer data) {
        int n = data.remaining();
        if (netIn == null) {
            netIn = ByteBuffer.allocate(Math.max(n, packetBufferSize()));
            netIn.flip(); // read mode, empty
        }
        if (netIn.capacity() - netIn.remaining() < n) {
            ByteBuffer bigger = ByteBuffer.allocate(netIn.remaining() + n);
            bigger.put(netIn); // write mode
            netIn = bigger;
        } else {
            netIn.compact(); // write mode; the unread bytes moved to the front
        }
        netIn.put(data);
        netIn.flip();
    }

    /** Bytes {@link #netIn} lacks to hold its first record whole (0: it does): from the 5-byte record header. */
    private int missingOfFirstRecord() {
        int have = netIn.remaining();
        if (have < 5) {
            return 5 - have;
        }
        return Math.max(0, firstRecordLength() - have);
    }

    /** The length of {@link #netIn}'s first record, header included (it holds the header). */
    private int firstRecordLength() {
        int p = netIn.position();
        return 5 + (((netIn.get(p + 3) & 0xFF) << 8) | (netIn.get(p + 4) & 0xFF));
    }

    private int packetBufferSize() {
        return engine != null ? engine.getSession().getPacketBufferSize() : 16_709;
    }

    // ================================================================== the engine pump

    /**
     * Runs the engine as far as it can go now: handshake steps (tasks, wraps, unwraps), then the records that can
     * be delivered. Re-entrant calls (a user callback that closes, pauses, writes) only ask for one more pass.
     */
    private void process() {
        if (processing) {
            reprocess = true;
            return;
        }
        processing = true;
        try {
            do {
                reprocess = false;
                processOnce();
            } while (reprocess && state != TlsState.CLOSED && state != TlsState.LOST);
        } catch (SSLException e) {
            fail(e);
        } catch (RuntimeException e) {
            // The engine throws RuntimeExceptions for some malformed input (and a bug here would land here too).
            fail(new SSLException("TLS engine failure: " + e, e));
        } finally {
            processing = false;
        }
    }

    private void processOnce() throws SSLException {
        for (;;) {
            if (state == TlsState.CLOSED || state == TlsState.LOST || engine == null) {
                return;
            }
            if (!handshakeBegun) {
                handshakeBegun = true;
                engine.beginHandshake();
            }
            HandshakeStatus hs = engine.getHandshakeStatus();
            if (hs == HandshakeStatus.NEED_TASK) {
                runDelegatedTasks();
                continue;
            }
            if (hs == HandshakeStatus.NEED_WRAP) {
                if (!wrapAndSend(EMPTY)) {
                    return; // nothing came out (the outbound side is closed): nothing else to do
                }
                continue;
            }
            if (!handshakeDone && hs == HandshakeStatus.NOT_HANDSHAKING) {
                if (engine.isInboundDone() || engine.isOutboundDone()) {
                    fail(new SSLHandshakeException("the TLS handshake ended with a close_notify instead of Finished"));
                    return;
                }
                handshakeFinished();
            }
            if (!mayUnwrap(hs)) {
                return;
            }
            if (!heldPlain.isEmpty()) {
                deliverPlaintext(heldPlain.poll());
                continue;
            }
            if (closeNotifyPending) {
                closeNotifyPending = false;
                closeNotifyArrived();
                continue;
            }
            ByteBuffer in = netIn != null && netIn.hasRemaining() ? netIn : borrowedIn; // netIn's bytes came first
            if (in == null || !in.hasRemaining()) {
                inputExhausted();
                return;
            }
            if (!unwrapOnce(in)) {
                inputExhausted();
                return;
            }
        }
    }

    /** Whether records may be taken now: the handshake needs them, or the user can have their plaintext. */
    private boolean mayUnwrap(HandshakeStatus hs) {
        if (!handshakeDone) {
            return hs == HandshakeStatus.NEED_UNWRAP;
        }
        switch (state) {
            case OPEN:
                return appReading && !eofDelivered;
            case CLOSING:
            case AWAITING_PEER_CLOSE:
                return closeNotifyPending || !engine.isInboundDone(); // looking for the peer's close_notify
            default:
                return false; // ANNOUNCING: the user does not have the transport yet
        }
    }

    /**
     * One or more records into plaintext, delivered (or dropped while closing). Returns false when more bytes must
     * arrive first (a partial record, or nothing left).
     */
    private boolean unwrapOnce(ByteBuffer in) throws SSLException {
        ByteBuffer out = Scratch.takeAppBuffer(engine.getSession().getApplicationBufferSize());
        try {
            for (;;) {
                SSLEngineResult r = engine.unwrap(in, out);
                switch (r.getStatus()) {
                    case BUFFER_UNDERFLOW:
                        flushPlaintext(out);
                        return false;
                    case BUFFER_OVERFLOW:
                        if (out.position() == 0) {
                            Scratch.giveAppBuffer(out);
                            out = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize() * 2);
                            continue;
                        }
                        flushPlaintext(out);
                        return true;
                    case CLOSED:
                        flushPlaintext(out);
                        if (engine.isInboundDone() && !closeNotifyReceived) {
                            // The peer's EOF, in order behind the data just delivered: if that delivery paused
                            // reading, it waits for resume like any held record (processOnce).
                            closeNotifyPending = true;
                        }
                        return true;
                    default: // OK
                        break;
                }
                HandshakeStatus hs = r.getHandshakeStatus();
                boolean roomForAnother = out.remaining() >= engine.getSession().getApplicationBufferSize();
                if (hs == HandshakeStatus.NOT_HANDSHAKING && handshakeDone && roomForAnother && in.hasRemaining()
                        && r.bytesConsumed() > 0) {
                    continue; // gather records into one delivery
                }
                flushPlaintext(out);
                if (r.bytesConsumed() == 0 && r.bytesProduced() == 0 && hs != HandshakeStatus.NEED_TASK
                        && hs != HandshakeStatus.NEED_WRAP) {
                    return false; // no progress possible without more input
                }
                return true;
            }
        } finally {
            Scratch.giveAppBuffer(out);
        }
    }

    /** Plaintext the engine produced: to the user if it may have it, dropped while closing, else held. */
    private void flushPlaintext(ByteBuffer out) {
        if (out.position() == 0) {
            return;
        }
        out.flip();
        if (state == TlsState.CLOSING || state == TlsState.AWAITING_PEER_CLOSE || state == TlsState.CLOSED
                || state == TlsState.LOST) {
            out.clear(); // the user closed: what still arrives is dropped (as the plain transport's close does)
            return;
        }
        if (state == TlsState.OPEN && appReading && !eofDelivered && heldPlain.isEmpty()) {
            if (deliverPlaintext(out)) {
                return; // the user kept it (it is no longer our scratch): leave its position and limit alone
            }
        } else {
            ByteBuffer copy = ByteBuffer.allocate(out.remaining());
            copy.put(out).flip();
            heldPlain.add(copy);
        }
        out.clear();
    }

    /** Runs the user's dataReceived; returns whether the user kept the buffer (retainReceived). */
    private boolean deliverPlaintext(ByteBuffer data) {
        if (!data.hasRemaining()) {
            return false;
        }
        delivering = data;
        deliveringRetained = false;
        try {
            app.dataReceived(data);
        } catch (Throwable t) {
            abortWith(t);
        } finally {
            delivering = null;
        }
        if (deliveringRetained) {
            deliveringRetained = false; // the user's now (retainReceived took it out of the scratch)
            return true;
        }
        return false;
    }

    /** Every complete record is taken: act on the peer's FIN if it came behind them. */
    private void inputExhausted() {
        if (!finPending) {
            return;
        }
        finPending = false;
        if (!handshakeDone) {
            fail(new SSLHandshakeException("the peer closed the connection (FIN) during the TLS handshake"));
        } else if (state == TlsState.CLOSING || state == TlsState.AWAITING_PEER_CLOSE) {
            closePlain(); // our close: a FIN instead of close_notify ends it too (closeNotifyReceived() says which)
        } else if (eofDelivered) {
            // The FIN after the peer's close_notify: expected. The user closes when it is done (half-open).
            if (eofSent) {
                closePlain();
            }
        } else {
            String reason;
            try {
                engine.closeInbound();
                reason = "FIN without close_notify";
            } catch (SSLException e) {
                reason = e.getMessage();
            }
            fail(new TlsTruncatedException(reason));
        }
    }

    /** The peer's close_notify: its EOF. */
    private void closeNotifyArrived() {
        closeNotifyReceived = true;
        if (!handshakeDone) {
            fail(new SSLHandshakeException("the peer sent close_notify during the TLS handshake"));
            return;
        }
        switch (state) {
            case AWAITING_PEER_CLOSE:
                closePlain();
                break;
            case CLOSING:
                if (engine.isOutboundDone()) {
                    // TLS 1.2: close_notify closes both directions; the engine discards what was not yet encrypted
                    // (RFC 5246 §7.2.1) and answers with its own close_notify.
                    discardPending();
                    closePlain();
                }
                break; // TLS 1.3: our queue still goes out, then our close_notify (continueClose)
            case OPEN:
                eofDelivered = true;
                boolean keepOpen;
                try {
                    keepOpen = app.eofReceived();
                } catch (Throwable t) {
                    abortWith(t);
                    return;
                }
                if (!keepOpen || eofSent || engine.isOutboundDone()) {
                    closeAfterPeer();
                }
                break;
            default:
                break;
        }
    }

    /** The peer closed TLS and we are done too: our close_notify (after the queue), then the plain close. */
    private void closeAfterPeer() {
        if (state != TlsState.OPEN) {
            return;
        }
        closingVisible = true;
        userStoppedWriting = true;
        state = TlsState.CLOSING;
        syncPlainReading();
        continueClose();
    }

    private void runDelegatedTasks() {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
    }

    private void handshakeFinished() {
        handshakeDone = true;
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
            handshakeTimer = null;
        }
        if (state == TlsState.HANDSHAKING) {
            state = TlsState.ANNOUNCING;
            syncPlainReading(); // paused until announced (this runs inside the plain dataReceived: nothing in flight)
            executeOrRun(this::announce);
        }
    }

    /** A loop task of its own: the user gets the transport (connectionMade and/or the future), then data. */
    private void announce() {
        if (state != TlsState.ANNOUNCING) {
            return;
        }
        state = TlsState.OPEN;
        announced = true;
        if (mode != Mode.STARTTLS) {
            try {
                app.connectionMade(this);
            } catch (Throwable t) {
                abortWith(t);
                if (handshakePromise != null) {
                    handshakePromise.tryFailure(t);
                }
                return;
            }
        }
        if (handshakePromise != null && !handshakePromise.trySuccess(this) && state == TlsState.OPEN) {
            abortWith(null); // the future was cancelled: nobody has this transport
            return;
        }
        if (state == TlsState.OPEN) {
            flushPending();
            if (plainWritingPaused && !appWritingPaused) {
                appWritingPaused = true;
                callApp(app::pauseWriting);
            } else if (!plainWritingPaused && appWritingPaused && pending.isEmpty()) {
                appWritingPaused = false; // startTls: paused by the plain transport, which drained meanwhile
                callApp(app::resumeWriting);
            }
        }
        syncPlainReading();
        process(); // what came right behind the last handshake flight
        afterFlush();
    }

    private void handshakeDeadlinePassed() {
        handshakeTimer = null;
        if (!handshakeDone && state != TlsState.CLOSED && state != TlsState.LOST) {
            abortWith(new TlsHandshakeTimeoutException(config.handshakeTimeoutMillis()));
        }
    }

    // ================================================================== writing

    /**
     * Encrypts {@code src} (all of it) and hands the records to the plain transport. Returns whether anything was
     * consumed or produced.
     */
    private boolean wrapAndSend(ByteBuffer src) throws SSLException {
        ByteBuffer out = Scratch.takeNetBuffer(packetBufferSize());
        boolean progressed = false;
        try {
            for (;;) {
                SSLEngineResult r = engine.wrap(src, out);
                if (r.bytesConsumed() > 0 || r.bytesProduced() > 0) {
                    progressed = true;
                }
                switch (r.getStatus()) {
                    case BUFFER_OVERFLOW:
                        if (out.position() == 0) {
                            Scratch.giveNetBuffer(out);
                            out = ByteBuffer.allocate(packetBufferSize() * 2);
                        } else {
                            send(out);
                        }
                        continue;
                    case CLOSED:
                        send(out);
                        return progressed;
                    default:
                        break;
                }
                if (out.remaining() < packetBufferSize()) {
                    send(out);
                }
                if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
                    runDelegatedTasks();
                }
                if (!src.hasRemaining() || (r.bytesConsumed() == 0 && r.bytesProduced() == 0)) {
                    send(out);
                    return progressed;
                }
            }
        } finally {
            Scratch.giveNetBuffer(out);
        }
    }

    private void send(ByteBuffer out) {
        out.flip();
        try {
            if (out.hasRemaining() && state != TlsState.LOST) {
                plain.write(out); // copied into the plain transport's queue
            }
        } finally {
            out.clear();
        }
    }

    @Override
    public void write(byte[] data, int offset, int length) {
        Objects.requireNonNull(data, "data");
        Objects.checkFromIndexSize(offset, length, data.length);
        checkWritable();
        if (length == 0) {
            return;
        }
        if (loop.inEventLoop()) {
            writeOnLoop(ByteBuffer.wrap(data, offset, length), null);
        } else {
            byte[] copy = java.util.Arrays.copyOfRange(data, offset, offset + length); // copied at call time
            hopWrite(ByteBuffer.wrap(copy), null, length);
        }
    }

    @Override
    public void write(ByteBuffer data) {
        Objects.requireNonNull(data, "data");
        checkWritable();
        if (!data.hasRemaining()) {
            return;
        }
        if (loop.inEventLoop()) {
            writeOnLoop(data.duplicate(), null);
        } else {
            byte[] copy = new byte[data.remaining()];
            data.get(data.position(), copy);
            hopWrite(ByteBuffer.wrap(copy), null, copy.length);
        }
    }

    /**
     * {@inheritDoc} Over TLS the buffer may be direct or not: it is encrypted from, in place, and released once its
     * bytes are encrypted (the records are then in the plain transport's queue), or when it is discarded.
     */
    @Override
    public void writeOwned(ByteBuffer data, Runnable release) {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(release, "release");
        checkWritable();
        if (loop.inEventLoop()) {
            writeOnLoop(data.duplicate(), release);
        } else {
            hopWrite(data.duplicate(), release, data.remaining());
        }
    }

    private void hopWrite(ByteBuffer data, Runnable release, int length) {
        bytesInTransit.addAndGet(length);
        try {
            loop.execute(() -> {
                bytesInTransit.addAndGet(-length);
                writeOnLoop(data, release);
            });
        } catch (RejectedExecutionException e) {
            bytesInTransit.addAndGet(-length);
            throw new TransportClosedException("the event loop of this transport is shut down");
        }
    }

    /**
     * Loop thread. {@code src} is the caller's bytes (a view: position and limit are ours); with {@code release}
     * null they are the caller's to reuse after this call, so they are encrypted now or copied.
     */
    private void writeOnLoop(ByteBuffer src, Runnable release) {
        if (!acceptsWrites() || !src.hasRemaining()) {
            runRelease(release); // discarded (a race with the peer, invariant 7) or empty
            return;
        }
        if (pending.isEmpty() && canEncryptNow()) {
            try {
                wrapAndSend(src);
            } catch (SSLException e) {
                runRelease(release);
                fail(e);
                return;
            }
            runRelease(release);
        } else {
            ByteBuffer kept = src;
            if (release == null) {
                kept = ByteBuffer.allocate(src.remaining());
                kept.put(src).flip();
            }
            pending.add(new Pending(kept, release));
            pendingBytes += kept.remaining();
            pendingVisible = pendingBytes;
        }
        if (!appWritingPaused && announced && state == TlsState.OPEN && queuedNow() > highWater) {
            appWritingPaused = true;
            callApp(app::pauseWriting);
        }
    }

    private boolean canEncryptNow() {
        return state == TlsState.OPEN && !plainWritingPaused && !eofSent;
    }

    private boolean acceptsWrites() {
        return (state == TlsState.HANDSHAKING || state == TlsState.ANNOUNCING || state == TlsState.OPEN)
                && !eofRequested;
    }

    /** Encrypts what waits, in order, while the plain transport takes it; releases owned buffers once encrypted. */
    private void flushPending() {
        boolean closingFlush = state == TlsState.CLOSING;
        while (!pending.isEmpty() && !plainWritingPaused && (state == TlsState.OPEN || closingFlush)
                && handshakeDone && !eofSent) {
            Pending p = pending.poll();
            pendingBytes -= p.data().remaining();
            pendingVisible = pendingBytes;
            try {
                wrapAndSend(p.data());
            } catch (SSLException e) {
                runRelease(p.release());
                fail(e);
                return;
            }
            runRelease(p.release());
        }
    }

    /** After the queue moved: a requested EOF or close goes on once nothing waits. */
    private void afterFlush() {
        if (!pending.isEmpty()) {
            return;
        }
        if (state == TlsState.CLOSING) {
            continueClose();
        } else if (eofRequested && !eofSent && state == TlsState.OPEN) {
            finishEof();
        }
    }

    private void discardPending() {
        Pending p;
        while ((p = pending.poll()) != null) {
            runRelease(p.release());
        }
        pendingBytes = 0;
        pendingVisible = 0;
    }

    private void runRelease(Runnable release) {
        if (release == null) {
            return;
        }
        try {
            release.run();
        } catch (Throwable t) {
            if (state == TlsState.CLOSED || state == TlsState.LOST) {
                logger.warn("a write's release threw on {}", this, t);
            } else {
                abortWith(t);
            }
        }
    }

    private void checkWritable() {
        if (userStoppedWriting) {
            throw new TransportClosedException("write after this transport's own close(), abort() or writeEof()");
        }
    }

    private long queuedNow() {
        return pendingBytes + plain.writeBufferSize();
    }

    @Override
    public long writeBufferSize() {
        Transport p = plain;
        return pendingVisible + bytesInTransit.get() + (p == null ? 0 : p.writeBufferSize());
    }

    @Override
    public void setWriteBufferLimits(long high, long low) {
        if (low < 0 || high < low) {
            throw new IllegalArgumentException("need 0 <= low <= high, got low=" + low + " high=" + high);
        }
        if (hopped(() -> setWriteBufferLimits(high, low), false)) {
            return;
        }
        highWater = high;
        lowWater = low;
        plain.setWriteBufferLimits(high, low); // its pause/resumeWriting are ours (PlainSide)
        if (!appWritingPaused && announced && state == TlsState.OPEN && queuedNow() > highWater) {
            appWritingPaused = true;
            callApp(app::pauseWriting);
        } else if (appWritingPaused && state == TlsState.OPEN && !plainWritingPaused && pending.isEmpty()
                && queuedNow() <= lowWater) {
            appWritingPaused = false;
            callApp(app::resumeWriting);
        }
    }

    @Override
    public long writeBufferHigh() {
        return highWater;
    }

    @Override
    public long writeBufferLow() {
        return lowWater;
    }

    @Override
    public RetainedBuffer retainReceived() {
        if (!loop.inEventLoop() || delivering == null) {
            throw new IllegalStateException("retainReceived is only for the buffer of the dataReceived now running");
        }
        if (deliveringRetained) {
            throw new IllegalStateException("the buffer of this dataReceived is already retained");
        }
        deliveringRetained = true;
        ByteBuffer kept = delivering;
        Scratch.forget(kept); // at once: a release inside this same callback can then make it the scratch again
        IocpEventLoop l = loop;
        // A heap buffer of this layer's: released on the loop, it becomes the loop's decrypt scratch again if that
        // was replaced (a steady retain-and-release echo allocates nothing); elsewhere the collector takes it.
        return new RetainedBuffer(kept, () -> {
            if (l.inEventLoop()) {
                Scratch.adopt(kept);
            }
        });
    }

    // ================================================================== reading

    @Override
    public void pauseReading() {
        if (hopped(this::pauseReading, false)) {
            return;
        }
        appReading = false;
        syncPlainReading();
    }

    @Override
    public void resumeReading() {
        if (hopped(this::resumeReading, false)) {
            return;
        }
        if (appReading) {
            return;
        }
        appReading = true;
        if (holdsSomething()) {
            // First what this layer holds, in a task (never inside the caller's callback); the plain transport is
            // resumed only once that is delivered, so that its own held receive comes after it, and a pause made
            // while delivering it finds nothing in flight (as a pause inside the plain dataReceived does).
            if (!heldDeliveryQueued) {
                heldDeliveryQueued = true;
                loop.execute(this::deliverHeld);
            }
        } else {
            syncPlainReading();
        }
    }

    private boolean holdsSomething() {
        return !heldPlain.isEmpty() || (netIn != null && netIn.hasRemaining()) || finPending || closeNotifyPending;
    }

    private void deliverHeld() {
        heldDeliveryQueued = false;
        if (appReading) {
            process();
        }
        if (appReading) {
            syncPlainReading(); // delivered all it could: what is left is a partial record, which needs more bytes
        }
    }

    /**
     * What the plain transport's reading should be, from this layer's state: on for the handshake and the close
     * whatever the user wants; while open, the user's choice — except while what this layer holds is being
     * delivered, and while the handshake's end is being announced, when it stays paused, so that nothing overtakes
     * what is held here and a pause made meanwhile finds no receive in flight (as a pause inside the plain
     * dataReceived). One call per change, so the plain transport's counters pair every pause with a resume.
     */
    private void syncPlainReading() {
        if (plain == null || state == TlsState.CLOSED || state == TlsState.LOST) {
            return;
        }
        boolean want = switch (state) {
            case HANDSHAKING, CLOSING, AWAITING_PEER_CLOSE -> true; // the handshake and the close must read
            case OPEN -> appReading && !heldDeliveryQueued;         // what is held here goes first
            default -> false; // ANNOUNCING: records behind the last flight wait until the user has the transport
        };
        if (want == plainReadingOn) {
            return;
        }
        plainReadingOn = want;
        if (want) {
            plain.resumeReading();
        } else {
            plain.pauseReading();
        }
    }

    @Override
    public boolean isReading() {
        return appReading && state == TlsState.OPEN && !eofDelivered;
    }

    @Override
    public TransportCounters counters() {
        return plain.counters(); // the receives of the plain transport: where pausing holds (invariant 3)
    }

    // ================================================================== ending

    @Override
    public void writeEof() {
        SSLEngine e = engine;
        String version = e == null ? null : e.getSession().getProtocol();
        if (!"TLSv1.3".equals(version)) {
            throw new UnsupportedOperationException("writeEof over TLS needs TLS 1.3 (this connection: " + version
                    + "): in TLS 1.2 a close_notify closes both directions; use close()");
        }
        userStoppedWriting = true;
        if (hopped(this::writeEof, false)) {
            return;
        }
        if (eofRequested || state != TlsState.OPEN) {
            return;
        }
        eofRequested = true;
        if (pending.isEmpty()) {
            finishEof();
        }
    }

    /** TLS 1.3 half-close: close_notify, then FIN; reading goes on until the peer's close_notify. */
    private void finishEof() {
        engine.closeOutbound();
        try {
            wrapAndSend(EMPTY);
        } catch (SSLException e) {
            fail(e);
            return;
        }
        eofSent = true;
        plain.writeEof();
        if (eofDelivered) {
            closePlain(); // both directions are done
        }
    }

    @Override
    public void close() {
        userStoppedWriting = true;
        closingVisible = true;
        if (hopped(this::close, true)) {
            return;
        }
        switch (state) {
            case HANDSHAKING:
            case ANNOUNCING:
                // Nothing was exchanged yet: no close_notify to wait for. The engine says user_canceled if it can.
                engine.closeOutbound();
                try {
                    wrapAndSend(EMPTY);
                } catch (SSLException ignored) {
                    // closing anyway
                }
                closePlain();
                return;
            case OPEN:
                break;
            default:
                return; // already closing, closed or lost
        }
        state = TlsState.CLOSING;
        if (closeTimeoutMillis > 0) {
            closeTimer = loop.schedule(this::closeDeadlinePassed, closeTimeoutMillis, TimeUnit.MILLISECONDS);
        }
        syncPlainReading(); // the peer's close_notify must be read, paused or not
        flushPending();
        continueClose();
    }

    /** CLOSING: once nothing waits to be encrypted, close_notify; then wait for the peer's (or its FIN). */
    private void continueClose() {
        if (state != TlsState.CLOSING || !pending.isEmpty()) {
            return; // the plain transport's resumeWriting brings us back
        }
        engine.closeOutbound();
        try {
            wrapAndSend(EMPTY); // close_notify
        } catch (SSLException e) {
            fail(e);
            return;
        }
        if (closeNotifyReceived || engine.isInboundDone()) {
            closePlain();
            return;
        }
        state = TlsState.AWAITING_PEER_CLOSE;
        process(); // its close_notify (or FIN) may be here already
    }

    private void closeDeadlinePassed() {
        closeTimer = null;
        if (state == TlsState.CLOSING) {
            abortWith(new CloseTimeoutException("TLS close did not finish within " + closeTimeoutMillis + " ms: "
                    + queuedNow() + " bytes unsent; aborted (RST)"));
        } else if (state == TlsState.AWAITING_PEER_CLOSE) {
            abortWith(new CloseTimeoutException("no close_notify (nor FIN) from the peer within " + closeTimeoutMillis
                    + " ms of ours; aborted (RST)"));
        }
    }

    /** The plain transport closes gracefully: flushes what we queued (close_notify, alerts), FIN, lingers. */
    private void closePlain() {
        if (state == TlsState.CLOSED || state == TlsState.LOST) {
            return;
        }
        resumeDeferredPlainReading();
        state = TlsState.CLOSED;
        cancelTimers();
        discardPending();
        plain.close();
    }

    /**
     * The user resumed, but the plain transport was kept paused while this layer delivered what it held (or
     * announced the handshake): resume it now that the connection ends, so that its pauses and resumes pair up
     * (its counters are the user's: {@link #counters()}). Nothing more is delivered: it is closing.
     */
    private void resumeDeferredPlainReading() {
        if (plain != null && appReading && !plainReadingOn && state != TlsState.CLOSED && state != TlsState.LOST) {
            plainReadingOn = true;
            plain.resumeReading();
        }
    }

    @Override
    public void abort() {
        userStoppedWriting = true;
        closingVisible = true;
        if (hopped(this::abort, true)) {
            return;
        }
        abortWith(null);
    }

    /** RST without close_notify, recording {@code why} (null: the user's abort). */
    private void abortWith(Throwable why) {
        if (state == TlsState.CLOSED || state == TlsState.LOST) {
            return;
        }
        if (cause == null) {
            cause = why;
        }
        failHandshakePromise(why);
        resumeDeferredPlainReading();
        state = TlsState.CLOSED;
        cancelTimers();
        discardPending();
        closingVisible = true;
        if (plain != null) {
            plain.abort();
        }
    }

    /**
     * The engine failed (a bad record, a failed handshake, a truncation): the alert it has for the peer, if any, is
     * sent, then the plain transport closes gracefully so that the alert arrives; the user hears the engine's reason.
     */
    private void fail(SSLException e) {
        if (state == TlsState.CLOSED || state == TlsState.LOST) {
            return;
        }
        if (cause == null) {
            cause = e;
        }
        failHandshakePromise(e);
        logger.debug("TLS failure on {}", this, e);
        if (engine != null && plain != null) {
            try {
                engine.closeOutbound();
                wrapAndSend(EMPTY);
            } catch (SSLException | RuntimeException ignored) {
                // the alert is best effort
            }
        }
        if (plain == null) {
            state = TlsState.CLOSED;
            return;
        }
        closePlain();
    }

    /**
     * A failure before the user has the transport fails its future now (the plain transport may still linger
     * for a while, flushing an alert): a connect or startTls caller must not wait for that.
     */
    private void failHandshakePromise(Throwable why) {
        if (!announced && handshakePromise != null) {
            handshakePromise.tryFailure(why != null ? why
                    : new SSLHandshakeException("the TLS connection was closed before its handshake finished"));
        }
    }

    private void cancelTimers() {
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
            handshakeTimer = null;
        }
        if (closeTimer != null) {
            closeTimer.cancel(false);
            closeTimer = null;
        }
    }

    /** The plain transport's connectionLost: the end, reported to the user once (if the user was ever made). */
    private void onPlainLost(Throwable plainCause) {
        state = TlsState.LOST;
        cancelTimers();
        discardPending();
        netIn = null;
        heldPlain.clear();
        Throwable why = cause != null ? cause : plainCause;
        if (!announced) {
            Throwable failure = why != null ? why
                    : new SSLHandshakeException("the connection closed before the TLS handshake finished");
            if (handshakePromise != null) {
                handshakePromise.tryFailure(failure);
            }
            if (mode != Mode.STARTTLS) {
                logger.debug("TLS connection ended before its handshake finished: {}", failure.toString());
                return; // the user's protocol was never made: it hears nothing
            }
            why = failure; // startTls: the user's protocol was made (on the plain transport) and is owed its end
        }
        try {
            app.connectionLost(why);
        } catch (Throwable t) {
            logger.warn("connectionLost of {} threw", app, t);
        }
    }

    @Override
    public boolean isClosing() {
        Transport p = plain;
        return closingVisible || (p != null && p.isClosing());
    }

    @Override
    public Future<Void> closeFuture() {
        return plain.closeFuture(); // completes after the plain side's connectionLost, which runs the user's
    }

    // ================================================================== the rest

    @Override
    public SSLSession session() {
        return engine.getSession();
    }

    @Override
    public String applicationProtocol() {
        String p = engine.getApplicationProtocol();
        return p == null || p.isEmpty() ? null : p;
    }

    @Override
    public boolean closeNotifyReceived() {
        return closeNotifyReceived;
    }

    @Override
    public IocpEventLoop loop() {
        return loop;
    }

    @Override
    public InetSocketAddress localAddress() {
        return plain.localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return plain.remoteAddress();
    }

    @Override
    public void setOption(SocketOpt option, int value) {
        plain.setOption(option, value);
    }

    @Override
    public int getOption(SocketOpt option) {
        return plain.getOption(option);
    }

    /** For tests: encrypted bytes held here (a partial record, or records held while paused). Loop thread. */
    int heldEncryptedBytes() {
        return netIn == null ? 0 : netIn.remaining();
    }

    TlsState state() {
        return state;
    }

    /** For tests: encrypted bytes the plain transport has delivered so far; any thread. */
    long encryptedBytesReceived() {
        return encryptedBytesReceived;
    }

    private void callApp(Runnable callback) {
        try {
            callback.run();
        } catch (Throwable t) {
            abortWith(t);
        }
    }

    private boolean hopped(Runnable call, boolean noOpIfLoopGone) {
        if (loop == null) {
            throw new IllegalStateException("TLS transport not attached yet");
        }
        if (loop.inEventLoop()) {
            return false;
        }
        try {
            loop.execute(call);
        } catch (RejectedExecutionException e) {
            if (!noOpIfLoopGone) {
                throw new TransportClosedException("the event loop of this transport is shut down");
            }
        }
        return true;
    }

    private void executeOrRun(Runnable task) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            abortWith(new LoopShutdownException("the event loop shut down during the TLS handshake"));
        }
    }

    @Override
    public String toString() {
        return "TlsConnection[" + state + (engine != null && handshakeDone ? " " + engine.getSession().getProtocol()
                : "") + " over " + plain + "]";
    }

    /**
     * Per loop thread: one buffer to decrypt into and one to encrypt into, shared by the loop's TLS connections (a
     * connection uses them only within one call; one taken while another call of the same thread has it gets a
     * fresh one). What the user kept with retainReceived is replaced.
     */
    private static final class Scratch {
        private static final ThreadLocal<Scratch> OF_THREAD = ThreadLocal.withInitial(Scratch::new);
        private ByteBuffer app;
        private boolean appTaken;
        private ByteBuffer net;
        private boolean netTaken;

        static ByteBuffer takeAppBuffer(int appBufferSize) {
            Scratch s = OF_THREAD.get();
            // Room for four records' plaintext: one delivery gathers up to four records (fewer, larger callbacks).
            int want = appBufferSize * 4;
            if (s.appTaken) {
                return ByteBuffer.allocate(want);
            }
            if (s.app == null || s.app.capacity() < want) {
                s.app = ByteBuffer.allocate(want);
            }
            s.appTaken = true;
            s.app.clear();
            return s.app;
        }

        static void giveAppBuffer(ByteBuffer b) {
            Scratch s = OF_THREAD.get();
            if (b == s.app) {
                s.appTaken = false;
            }
        }

        /** The user kept {@code b}: it is no longer the scratch. */
        static void forget(ByteBuffer b) {
            Scratch s = OF_THREAD.get();
            if (s.app != null && b.array() == s.app.array()) {
                s.app = null;
                s.appTaken = false;
            }
        }

        /** A retained buffer given back on the loop thread: the scratch again, if it has none. */
        static void adopt(ByteBuffer b) {
            Scratch s = OF_THREAD.get();
            if (s.app == null && b.hasArray() && b.arrayOffset() == 0) {
                s.app = ByteBuffer.wrap(b.array());
                s.appTaken = false;
            }
        }

        static ByteBuffer takeNetBuffer(int packetBufferSize) {
            Scratch s = OF_THREAD.get();
            int want = packetBufferSize * 4;
            if (s.netTaken) {
                return ByteBuffer.allocate(want);
            }
            if (s.net == null || s.net.capacity() < want) {
                s.net = ByteBuffer.allocate(want);
            }
            s.netTaken = true;
            s.net.clear();
            return s.net;
        }

        static void giveNetBuffer(ByteBuffer b) {
            Scratch s = OF_THREAD.get();
            if (b == s.net) {
                s.netTaken = false;
            }
        }
    }
}
