package dev.iocp.transport;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.CompletionHandler;
import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.IoException;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.backend.ProvidedBuffers;
import dev.iocp.core.backend.SocketOpt;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.LoopResource;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.PlatformDependent;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A TCP connection on an {@link IocpEventLoop}: the {@link Transport} its {@link Protocol} talks to.
 *
 * <p>Three explicit state machines, each documented where it is kept:
 * <ul>
 *   <li>{@link ReadState} — the read stream: one receive in flight at most; pausing never cancels it;</li>
 *   <li>{@link WriteState} — the write stream: a queue, at most one gathering send in flight, then EOF;</li>
 *   <li>{@link ConnState} — the connection's life: open, closing gracefully, aborted, lost.</li>
 * </ul>
 * All state is touched on the loop thread only; public methods called elsewhere hop onto it.
 */
final class IocpConnection implements Transport, LoopResource {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(IocpConnection.class);

    /**
     * The read stream (invariant 3). The receive op is the connection's; while paused, a completed receive is held
     * as it is. What is in flight depends on the {@link ReceiveMode}: a readiness receive (no buffer; when held, it
     * means "readable" and nothing was consumed: the bytes stay in the socket), a receive into a buffer from the
     * loop's {@link ReceiveBuffers} (when held, its buffer is the stash, nothing is copied), or a receive into a
     * provided buffer that the backend picks when bytes arrive (when held, its ring buffer is the stash — see
     * {@link #MAX_HELD_SHARE_OF_RING} for the one bound). The states are the same for all three.
     * <pre>
     *  from              on                                          to
     *  RECEIVING         pause, receive in flight                    PAUSED_RECEIVING
     *  RECEIVING         pause inside dataReceived (none in flight)  PAUSED
     *  PAUSED_RECEIVING  resume                                      RECEIVING
     *  PAUSED_RECEIVING  the receive's packet                        HOLDING (the result stays in the buffer)
     *  HOLDING           resume                                      RESUMED_HOLDING (a delivery task is queued)
     *  RESUMED_HOLDING   pause                                       HOLDING (the queued task finds nothing to do)
     *  RESUMED_HOLDING   the queued task runs                        RECEIVING (held result delivered, re-armed)
     *  PAUSED            resume                                      RECEIVING (re-armed)
     *  any but STOPPED   close()                                     DRAINING
     *  DRAINING          peer's FIN, an error, the socket closed     STOPPED
     *  any               EOF delivered, an error, abort              STOPPED
     * </pre>
     */
    enum ReadState {
        /** Reading; a receive is in flight, or being delivered and about to be re-armed. */
        RECEIVING,
        /** Paused with the receive still in flight: when its packet comes, it is held, not delivered. */
        PAUSED_RECEIVING,
        /** Paused with a completed receive held (data, EOF or error), waiting for resume. */
        HOLDING,
        /**
         * Resumed with a receive still held: a task queued on the loop delivers it. Delivering from inside
         * resumeReading would run dataReceived nested in whatever callback called resumeReading (resumeWriting, say);
         * deferring keeps dataReceived, eofReceived and connectionLost out of other callbacks, as asyncio does.
         */
        RESUMED_HOLDING,
        /** Paused with nothing in flight and nothing held. */
        PAUSED,
        /**
         * close() was called: the protocol is told nothing more, but a receive stays armed and what it brings is
         * discarded, until the peer's FIN. Closing a socket that still has unread bytes makes the kernel answer with
         * RST instead of FIN (RFC 2525 §2.17), and a peer's kernel that gets the RST throws away what we sent and it
         * has not read yet — so a "graceful" close that left the peer's pipelined bytes unread would lose our last
         * response for the peer. Draining also keeps a peer that writes before it reads from blocking our flush.
         */
        DRAINING,
        /** No more reading: EOF was delivered, the connection is aborted or gone. A packet still in flight is dropped. */
        STOPPED
    }

    /**
     * The write stream (invariant 7).
     * <pre>
     *  IDLE ──write──▶ SENDING ──packet, queue empty──▶ IDLE
     *  IDLE/SENDING ──writeEof──▶ (after the queue drains) shutdown(SD_SEND) ──▶ EOF_SENT
     *  any ──abort / reset──▶ STOPPED (queue discarded once no send is in flight)
     * </pre>
     */
    enum WriteState {
        /** Nothing in flight. */
        IDLE,
        /** One send in flight, gathering the head of the queue. */
        SENDING,
        /** shutdown(SD_SEND) done: nothing more may be written. */
        EOF_SENT,
        /** The write side is gone (abort, reset, closed). */
        STOPPED
    }

    /**
     * The connection's life (invariants 5 and 6).
     * <pre>
     *  OPEN ──close()──▶ CLOSING ──queue drained: shutdown(SD_SEND)──▶ LINGERING ──peer's FIN──▶ CLOSED ──last packet──▶ LOST
     *                       │ deadline: abort (RST), CloseTimeoutException     │ deadline: closesocket (graceful)
     *  any ──abort() / reset / callback threw──▶ CLOSED
     * </pre>
     */
    enum ConnState {
        /** Reading and writing as the protocol asks. */
        OPEN,
        /** close() called: reading drained and discarded, flushing the queue under the close deadline. */
        CLOSING,
        /**
         * Flushed and FIN sent (shutdown SD_SEND); still draining the peer's bytes until its FIN, so that the final
         * closesocket finds nothing unread and stays a FIN, never an RST. Bounded by the same close deadline; when
         * it passes, the socket is closed gracefully (everything was sent: an RST now could only destroy it).
         */
        LINGERING,
        /** The socket is closed (gracefully or not); waiting for the packets of ops still in flight. */
        CLOSED,
        /** Every op has its packet; connectionLost is queued or has run. Terminal. */
        LOST
    }

    private final IocpEventLoop loop;
    private final Backend backend;
    private final long socket;
    /** The protocol: fixed but for one swap, startTls's ({@link #handOver}), on the loop. */
    private Protocol protocol;
    private final TransportConfig config;
    private final Promise<Void> closeFuture;

    private final ReceiveBuffers receiveBuffers;
    /**
     * PROVIDED: the loop backend's provided buffers, which a receive takes its buffer from at completion time; null
     * in the other modes, and where the backend has none (then PROVIDED receives as READINESS does).
     */
    private final ProvidedBuffers provided;
    /**
     * The buffer of the receive in flight or held (BUFFERED: from {@link #receiveBuffers}), or of the provided-buffer
     * receive whose packet came (its id in {@link #receiveBufferId}); null when there is none (READINESS never keeps
     * one: its drain borrows a buffer for one call).
     */
    private ByteBuffer receiveBuffer;
    /** The provided buffer {@link #receiveBuffer} is, or -1 (a buffer of {@link #receiveBuffers}, or none). */
    private int receiveBufferId = -1;
    /**
     * PROVIDED: the last receive into a provided buffer found the ring empty (NO_BUFFERS, nothing consumed): the next
     * receive waits for readiness instead, so that an empty ring is not asked again at once.
     */
    private boolean nextReceiveWaitsForReadiness;
    private final Op recvOp;
    /**
     * The send op, taken from the loop's slab for a send and given back when the queue has drained: an idle
     * connection keeps no send op (nor a write chunk). Null when none is held.
     */
    private Op sendOp;
    private final WriteQueue queue = new WriteQueue();
    /** Read-stream counts (pauses, held receives): written here on the loop, read via {@link #counters()}. */
    private final TransportCounters counters = new TransportCounters();

    private ReadState readState = ReadState.RECEIVING;
    private WriteState writeState = WriteState.IDLE;
    private ConnState connState = ConnState.OPEN;

    /** A held receive's result (valid in {@link ReadState#HOLDING}). */
    private int heldBytes;
    private int heldError;
    /**
     * True while a callback runs after which the read stream arms its next receive itself (connectionMade,
     * dataReceived): a resumeReading or close inside it leaves the arming to that code, so a receive is armed once.
     */
    private boolean inReadCallback;
    /**
     * BUFFERED: whether the last receive filled its buffer (more is likely waiting, so the next one is tried at
     * once; else the socket is known to be empty: {@link Op#socketKnownEmpty(boolean)}).
     */
    private boolean lastReceiveFilled;
    /** The buffer dataReceived is being given now (null outside it): what {@link #retainReceived} keeps. */
    private ByteBuffer delivering;
    /** The provided buffer {@link #delivering} is, or -1: where a retained buffer goes back to. */
    private int deliveringBufferId = -1;
    /** Whether the protocol kept {@link #delivering} ({@link #retainReceived}): the transport must not reuse it. */
    private boolean deliveringRetained;
    /** A held readiness is being delivered: its first receive says whether it was data, the FIN or an error. */
    private boolean heldReadinessUncounted;

    private boolean eofRequested;
    private boolean writingPaused;
    private long highWater;
    private long lowWater;
    /** The first cause of the end, reported to connectionLost. */
    private Throwable lostCause;
    private ScheduledFuture<?> closeDeadline;
    private InetSocketAddress localAddress;
    private InetSocketAddress remoteAddress;

    /**
     * Set at call time, on any thread, by close()/abort()/writeEof(): makes a later write() by the same user throw at
     * once, even before the loop has processed the close.
     */
    private volatile boolean userStoppedWriting;
    private volatile boolean closingVisible;
    private volatile long writeBufferSizeVisible;
    /** Bytes of writes made off the loop and not yet queued (their task is on its way): part of writeBufferSize. */
    private final java.util.concurrent.atomic.AtomicLong bytesInTransit = new java.util.concurrent.atomic.AtomicLong();

    /** The idle timeout's timer while it runs (see {@link TransportConfig#idleTimeoutMillis()}). */
    private ScheduledFuture<?> idleCheck;
    /** When a receive or send last completed (System.nanoTime), kept only with an idle timeout. */
    private long lastActivityNanos;

    private final CompletionHandler recvHandler = new CompletionHandler() {
        @Override
        public void onCompletion(Op op, int bytes, int error) {
            if (idleCheck != null) {
                lastActivityNanos = System.nanoTime();
            }
            onReceiveComplete(bytes, error);
        }

        @Override
        public void onDispatchFailure(Op op, Throwable cause) {
            failFromDispatch(cause);
        }
    };

    private final CompletionHandler sendHandler = new CompletionHandler() {
        @Override
        public void onCompletion(Op op, int bytes, int error) {
            if (idleCheck != null) {
                lastActivityNanos = System.nanoTime();
            }
            onSendComplete(bytes, error);
        }

        @Override
        public void onDispatchFailure(Op op, Throwable cause) {
            failFromDispatch(cause);
        }
    };

    /** Loop thread; the socket is already registered with the loop's backend and connected. */
    IocpConnection(IocpEventLoop loop, long socket, Protocol protocol, TransportConfig config) {
        this.loop = loop;
        this.backend = loop.backend();
        this.socket = socket;
        this.protocol = Objects.requireNonNull(protocol, "protocol");
        this.config = config;
        this.closeFuture = loop.newPromise();
        this.receiveBuffers = ReceiveBuffers.ofThisThread();
        this.provided = config.receiveMode() == ReceiveMode.PROVIDED ? backend.providedBuffers() : null;
        this.recvOp = loop.acquireOp();
        this.highWater = config.writeHighWater();
        this.lowWater = config.writeLowWater();
    }

    /**
     * Loop thread: tell the protocol, then start reading. Returns false — and the protocol hears nothing, the socket
     * is closed — when the loop is already shutting down: a connection must never get connectionLost before
     * connectionMade, nor be handed out dead.
     *
     * @return null once the protocol has the connection; else why it must not be handed out: a
     *         {@link LoopShutdownException} (the protocol heard nothing), or what connectionMade threw (the
     *         connection is being aborted with it, and connectionLost follows)
     */
    Throwable start() {
        if (loop.isShuttingDown()) {
            recvOp.release();
            connState = ConnState.LOST;
            backend.close(socket, true);
            return new LoopShutdownException("the event loop is shutting down; connection closed before use");
        }
        loop.register(this);
        try {
            localAddress = backend.localAddress(socket);
            remoteAddress = backend.remoteAddress(socket);
        } catch (IoException e) {
            logger.debug("address lookup failed on new connection", e);
        }
        if (config.tcpNoDelay()) {
            try {
                backend.setOption(socket, SocketOpt.TCP_NODELAY, 1);
            } catch (IoException e) {
                logger.debug("TCP_NODELAY failed", e);
            }
        }
        KeepAlive keepAlive = config.keepAlive();
        if (keepAlive.on()) {
            try {
                backend.setOption(socket, SocketOpt.SO_KEEPALIVE, 1);
                // Each may be refused by an older OS (Windows before 10 1709): its system-wide timing then applies.
                backend.setOption(socket, SocketOpt.TCP_KEEPIDLE, keepAlive.idleSeconds());
                backend.setOption(socket, SocketOpt.TCP_KEEPINTVL, keepAlive.intervalSeconds());
                backend.setOption(socket, SocketOpt.TCP_KEEPCNT, keepAlive.probes());
            } catch (IoException e) {
                logger.debug("keep-alive not (fully) set", e);
            }
        }
        if (config.idleTimeoutMillis() > 0) {
            lastActivityNanos = System.nanoTime();
            idleCheck = loop.schedule(this::idleCheckDue, config.idleTimeoutMillis(), TimeUnit.MILLISECONDS);
        }
        inReadCallback = true;
        try {
            protocol.connectionMade(this);
        } catch (Throwable t) {
            inReadCallback = false;
            abortWith(t);
            return t;
        }
        inReadCallback = false;
        afterReadCallback();
        return null;
    }

    /**
     * Carries a call made off the loop onto it, in call order. A loop that is shut down has already closed every
     * connection on it (LoopResource): then a call that needs the connection is a caller mistake and says so, while
     * close/abort are idempotent no-ops.
     */
    private boolean hopped(Runnable call, boolean noOpIfLoopGone) {
        if (loop.inEventLoop()) {
            return false;
        }
        try {
            loop.execute(call);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            if (!noOpIfLoopGone) {
                throw new TransportClosedException("the event loop of this transport is shut down");
            }
        }
        return true;
    }

    /** What {@link #handOver} gives the protocol that takes over the connection. */
    record Handover(Protocol newProtocol, java.nio.ByteBuffer unreadRest, boolean writingPaused) {}

    /**
     * Loop thread: swaps the protocol — startTls's one use (asyncio's {@code set_protocol}). The new protocol
     * (made by {@code wrap} from the old one, which it takes over) gets every byte from here on, and no byte can
     * be delivered between this call and the new protocol's start: both happen in its caller's turn on the loop.
     * Inside the old protocol's dataReceived, the rest of that buffer (from its position to its limit: what the
     * old protocol did not consume) is copied out as {@code unreadRest}, the new protocol's first bytes, and the
     * buffer's position moves to its limit. A receive held while paused, or in flight, is delivered to the new
     * protocol. connectionMade is not called again: the new protocol is started by the caller.
     *
     * @throws TransportClosedException if the connection is closing, closed or half-closed by us
     */
    Handover handOver(java.util.function.Function<Protocol, Protocol> wrap) {
        if (!loop.inEventLoop()) {
            throw new IllegalStateException("handOver is for the loop thread");
        }
        if (connState != ConnState.OPEN || eofRequested) {
            throw new TransportClosedException("startTls on a transport that is closing, closed or half-closed ("
                    + connState + ")");
        }
        Protocol next = wrap.apply(protocol);
        ByteBuffer rest = null;
        if (delivering != null && delivering.hasRemaining() && !deliveringRetained) {
            rest = ByteBuffer.allocate(delivering.remaining());
            rest.put(delivering).flip();
        }
        protocol = next;
        return new Handover(next, rest, writingPaused);
    }

    /** {@return this connection's settings} */
    TransportConfig config() {
        return config;
    }

    // ================================================================== read stream

    /** The most non-blocking receives one readiness packet leads to before the next one waits its turn in the port. */
    private static final int MAX_RECEIVES_PER_READINESS = 16;

    /**
     * At most this share of a loop's provided buffers is held by paused connections: a receive that completes while
     * paused keeps its ring buffer only while no more than {@code count / MAX_HELD_SHARE_OF_RING} buffers are out;
     * past that its bytes are moved into a buffer of the loop's pool and the ring buffer goes back at once (one copy,
     * on this path only). Without the bound, connections that pause and never resume would take the whole ring, and
     * every other connection would fall back to readiness receives for good.
     */
    static final int MAX_HELD_SHARE_OF_RING = 2;

    private void armReceive() {
        recvOp.prepare(OpType.RECV, socket, recvHandler);
        if (config.receiveMode() == ReceiveMode.BUFFERED) {
            receiveBuffer = receiveBuffers.take(config.receiveBufferSize());
            recvOp.addBuffer(PlatformDependent.directBufferAddress(receiveBuffer), receiveBuffer.capacity())
                    .socketKnownEmpty(!lastReceiveFilled);
        } else if (provided != null && provided.available() > 0 && !nextReceiveWaitsForReadiness) {
            // PROVIDED: no buffer named; the backend picks one when bytes arrive.
            recvOp.selectBuffer(config.receiveBufferSize()).socketKnownEmpty(!lastReceiveFilled);
        } // READINESS, or PROVIDED without a buffer to pick (none in this backend, the ring empty): a readiness receive
        nextReceiveWaitsForReadiness = false;
        int error = backend.submitRecv(recvOp);
        if (error != 0) {
            // No packet will come: treat the synchronous failure as the receive's result.
            giveBackReceiveBuffer();
            readFailed(error);
        }
    }

    /** Whether the receive last armed (in flight, held, or just completed) was a readiness receive. */
    private boolean armedReadiness() {
        return recvOp.bufferCount() == 0 && !recvOp.selectsBuffer();
    }

    /**
     * The receive's buffer goes back where it came from: the loop's pool, or the backend's provided buffers. Only
     * when no receive names it (invariant 2); a provided buffer is named by no receive once its packet came.
     */
    private void giveBackReceiveBuffer() {
        if (receiveBuffer != null && !receiveInFlight()) {
            receiveBuffers.giveBack(receiveBuffer, provided, receiveBufferId);
            receiveBufferId = -1;
            receiveBuffer = null;
        }
    }

    /**
     * A provided-buffer receive's packet: the buffer it names is ours now. Only data is worth keeping; a buffer named
     * with the FIN or an error holds nothing and goes back at once.
     */
    private void tookProvidedBuffer(int bytes, int error) {
        int id = recvOp.selectedBuffer();
        if (id < 0) {
            return;
        }
        if (error != 0 || bytes == 0) {
            provided.giveBack(id);
            return;
        }
        receiveBuffer = provided.buffer(id);
        receiveBufferId = id;
    }

    /**
     * A provided-buffer receive found every buffer out (NO_BUFFERS): it consumed nothing, so it is as if it were
     * still waiting. Reading, the next receive waits for readiness instead (lossless: the bytes are in the socket);
     * paused, nothing is in flight and nothing held (resume arms again); stopped, the op is back.
     */
    private void noProvidedBuffer() {
        counters.noProvidedBuffer++;
        switch (readState) {
            case RECEIVING:
            case DRAINING:
                nextReceiveWaitsForReadiness = true;
                armReceive();
                break;
            case PAUSED_RECEIVING:
                readState = ReadState.PAUSED;
                break;
            default: // STOPPED
                maybeLost();
                break;
        }
    }

    /**
     * A receive that completed while paused holds a provided buffer although the bound is reached (see
     * {@link #MAX_HELD_SHARE_OF_RING}): its bytes move into a buffer of the loop's pool, the ring buffer goes back.
     */
    private void moveHeldOutOfRing(int bytes) {
        if (receiveBufferId < 0 || provided.outstanding() <= provided.count() / MAX_HELD_SHARE_OF_RING) {
            return;
        }
        ByteBuffer copy = receiveBuffers.take(config.receiveBufferSize());
        copy.put(0, receiveBuffer, 0, bytes);
        provided.giveBack(receiveBufferId);
        receiveBufferId = -1;
        receiveBuffer = copy;
        counters.heldMovedOutOfRing++;
    }

    private boolean receiveInFlight() {
        return recvOp.state() == Op.State.IN_FLIGHT;
    }

    private void onReceiveComplete(int bytes, int error) {
        if (recvOp.selectsBuffer()) {
            if (IoError.is(error, ErrorCode.NO_BUFFERS)) {
                noProvidedBuffer();
                return;
            }
            tookProvidedBuffer(bytes, error);
        }
        switch (readState) {
            case RECEIVING:
                deliver(bytes, error);
                break;
            case PAUSED_RECEIVING:
                // Hold the result as it is; the buffer keeps the bytes (no copy) until resumeReading.
                moveHeldOutOfRing(bytes);
                heldBytes = bytes;
                heldError = error;
                readState = ReadState.HOLDING;
                counters.held++; // the race window was hit
                break;
            case DRAINING:
                discardWhileClosing(bytes, error);
                break;
            case STOPPED:
                // Reading ended (EOF/abort/closed): this packet only returns the op. Data in it arrived after the
                // user stopped reading and is dropped by their choice, never silently while they still read.
                giveBackReceiveBuffer();
                maybeLost();
                break;
            default:
                throw new IllegalStateException("receive packet in read state " + readState);
        }
    }

    /** Hands one receive's result to the protocol, then re-arms if still reading. */
    private void deliver(int bytes, int error) {
        if (error != 0) {
            giveBackReceiveBuffer();
            readFailed(error);
            return;
        }
        if (armedReadiness()) {
            deliverReadable();
            return;
        }
        if (bytes == 0) {
            giveBackReceiveBuffer();
            eofFromPeer();
            return;
        }
        ByteBuffer data = receiveBuffer;
        int asked = recvOp.selectsBuffer() ? Math.min(recvOp.selectLimit(), provided.bufferSize()) : data.capacity();
        lastReceiveFilled = bytes == asked;
        data.clear().limit(bytes);
        deliveringBufferId = receiveBufferId;
        boolean ok = callDataReceived(data);
        deliveringBufferId = -1;
        if (deliveringRetained) {
            receiveBuffer = null; // the protocol's now
            receiveBufferId = -1;
            deliveringRetained = false;
        }
        giveBackReceiveBuffer();
        if (ok) {
            afterReadCallback();
        }
    }

    /**
     * A readiness packet while reading: take the bytes now, into a buffer borrowed from the loop's pool for this
     * turn, and deliver each receive at once. A receive that does not fill the buffer leaves the socket known to be
     * empty: then the next readiness receive is armed without asking again (which would cost a receive that
     * returns WSAEWOULDBLOCK / EAGAIN). One that fills it means more is waiting: take it too, up to
     * {@value #MAX_RECEIVES_PER_READINESS} times, then re-arm (the readiness packet then comes at once) so that one
     * busy connection cannot keep the loop from the others.
     */
    private void deliverReadable() {
        ByteBuffer buffer = receiveBuffers.take(config.receiveBufferSize());
        try {
            long address = PlatformDependent.directBufferAddress(buffer);
            int cap = buffer.capacity();
            for (int turn = 1; ; turn++) {
                int n = backend.receiveNow(socket, address, cap);
                if (heldReadinessUncounted) {
                    heldReadinessUncounted = false;
                    // WOULD_BLOCK (a readiness that found nothing after all) delivered nothing and lost nothing;
                    // it is counted with data, the only other outcome in which the stream goes on.
                    boolean failed = n < 0 && !IoError.is(-n, ErrorCode.WOULD_BLOCK);
                    counters.heldDelivered(failed || n == 0 ? 0 : 1, failed ? -n : 0); // bytes 0: the FIN
                }
                if (n < 0) {
                    if (IoError.is(-n, ErrorCode.WOULD_BLOCK)) {
                        afterReadCallback(); // spurious, or nothing more: wait again
                    } else {
                        readFailed(-n);
                    }
                    return;
                }
                if (n == 0) {
                    eofFromPeer();
                    return;
                }
                buffer.clear().limit(n);
                boolean ok = callDataReceived(buffer);
                if (deliveringRetained) {
                    deliveringRetained = false;
                    buffer = null; // the protocol's now; the finally has nothing to give back
                    if (ok && readState == ReadState.RECEIVING && n == cap && turn < MAX_RECEIVES_PER_READINESS) {
                        buffer = receiveBuffers.take(config.receiveBufferSize());
                        address = PlatformDependent.directBufferAddress(buffer);
                    }
                }
                if (!ok) {
                    return;
                }
                if (readState != ReadState.RECEIVING || n < cap || turn == MAX_RECEIVES_PER_READINESS) {
                    afterReadCallback();
                    return;
                }
            }
        } finally {
            if (buffer != null) {
                receiveBuffers.give(buffer);
            }
        }
    }

    /**
     * Runs dataReceived with {@code data}; false if it threw (the connection is then being aborted with it).
     * Whether the protocol kept the buffer is in {@link #deliveringRetained} afterwards.
     */
    private boolean callDataReceived(ByteBuffer data) {
        inReadCallback = true;
        delivering = data;
        try {
            protocol.dataReceived(data);
        } catch (Throwable t) {
            inReadCallback = false;
            delivering = null;
            abortWith(t);
            return false;
        }
        inReadCallback = false;
        delivering = null;
        return true;
    }

    @Override
    public RetainedBuffer retainReceived() {
        requireDeliveringUnretained("retainReceived");
        deliveringRetained = true;
        // A provided buffer stays out of the ring until released (a retained one the protocol never releases is one
        // buffer fewer for the loop: receives fall back to readiness once none is left, they never fail).
        return new RetainedBuffer(delivering, receiveBuffers, provided, deliveringBufferId, loop);
    }

    /** Both ways of keeping the delivered buffer are for the dataReceived now running, once. */
    private void requireDeliveringUnretained(String what) {
        if (!loop.inEventLoop() || delivering == null) {
            throw new IllegalStateException(what + " is only for the buffer of the dataReceived now running");
        }
        if (deliveringRetained) {
            throw new IllegalStateException("the buffer of this dataReceived is already retained");
        }
    }

    /**
     * The retention without a handle: the delivered buffer joins {@link #writtenReceived} and the write queue as
     * an owned chunk whose release is {@link #giveBackOldestWrittenReceived()}. Nothing is allocated in steady state.
     */
    @Override
    public void writeReceived() {
        requireDeliveringUnretained("writeReceived");
        checkWritable();
        if (!delivering.hasRemaining() || !acceptsWrites()) {
            return; // nothing to send, or discarded (invariant 7): the buffer stays the transport's
        }
        writtenReceived.add(delivering);
        try {
            queue.appendOwned(delivering, giveBackOldestWrittenReceived);
        } catch (Throwable t) {
            writtenReceived.pollLast(); // not queued: the buffer is still the transport's
            writeFailed(t);
            return;
        }
        deliveringRetained = true;
        afterAppend();
    }

    /**
     * Buffers queued by {@link #writeReceived}, oldest first. Their releases come back in the order they were
     * queued (the write queue lets go of its chunks head first, when sent or discarded), so the release hook, one
     * object for them all, gives back the oldest; whether it is a provided buffer is derived from the buffer.
     */
    private final ArrayDeque<ByteBuffer> writtenReceived = new ArrayDeque<>();
    private final Runnable giveBackOldestWrittenReceived = this::giveBackOldestWrittenReceived;

    private void giveBackOldestWrittenReceived() {
        ByteBuffer oldest = writtenReceived.poll();
        if (oldest == null) {
            throw new IllegalStateException("a writeReceived release with no buffer outstanding");
        }
        receiveBuffers.giveBack(oldest, provided, provided == null ? -1 : provided.idOf(oldest));
    }

    /** After connectionMade or dataReceived returned: arm the next receive if the stream still wants one. */
    private void afterReadCallback() {
        switch (readState) {
            case RECEIVING:
            case DRAINING: // close() inside the callback: keep draining
                armReceive();
                break;
            case PAUSED_RECEIVING:
                // Paused inside the callback: nothing is in flight, so this is plain PAUSED.
                readState = ReadState.PAUSED;
                break;
            default:
                // PAUSED, STOPPED: nothing to arm. (STOPPED may be waiting for this very op.)
                maybeLost();
                break;
        }
    }

    /** A receive's result while closing: discarded, and another armed until the peer's FIN. */
    private void discardWhileClosing(int bytes, int error) {
        giveBackReceiveBuffer(); // what it holds is discarded
        if (error != 0) {
            readFailed(error);
            return;
        }
        if (armedReadiness()) {
            bytes = discardReadable();
            if (bytes < 0) {
                if (IoError.is(-bytes, ErrorCode.WOULD_BLOCK)) {
                    armReceive(); // all taken: wait for more, or for the FIN
                } else {
                    readFailed(-bytes);
                }
                return;
            }
        }
        if (bytes == 0) {
            readState = ReadState.STOPPED;
            if (connState == ConnState.LINGERING) {
                closeSocket(false);
            }
            return;
        }
        armReceive(); // the bytes are dropped: the protocol closed, and said it wants nothing more
    }

    /**
     * While closing, after a readiness packet: receives and drops what the socket holds. Returns 0 at the peer's
     * FIN, else the receive's {@code -error} that ended it (WOULD_BLOCK: nothing more for now — or, after
     * {@value #MAX_RECEIVES_PER_READINESS} full receives, the turn is over: a peer that floods a closing
     * connection must not keep the loop from the others; the next readiness packet comes at once).
     */
    private int discardReadable() {
        ByteBuffer buffer = receiveBuffers.take(config.receiveBufferSize());
        try {
            long address = PlatformDependent.directBufferAddress(buffer);
            for (int turn = 0; turn < MAX_RECEIVES_PER_READINESS; turn++) {
                int n = backend.receiveNow(socket, address, buffer.capacity());
                if (n <= 0) {
                    return n;
                }
            }
            return -IoError.of(ErrorCode.WOULD_BLOCK);
        } finally {
            receiveBuffers.give(buffer);
        }
    }

    private void eofFromPeer() {
        readState = ReadState.STOPPED;
        boolean keepOpen;
        try {
            keepOpen = protocol.eofReceived();
        } catch (Throwable t) {
            abortWith(t);
            return;
        }
        if (!keepOpen || eofRequested) {
            // Both directions are shut (or the protocol wants it so): nothing can flow any more; close.
            close();
        } else {
            maybeLost();
        }
    }

    private void readFailed(int error) {
        readState = ReadState.STOPPED;
        if (IoError.isAborted(error) && connState == ConnState.CLOSED) {
            maybeLost(); // our own close cancelled it
            return;
        }
        abortWith(opFailure("receive", error));
    }

    @Override
    public void pauseReading() {
        if (hopped(this::pauseReading, false)) {
            return;
        }
        counters.pausing(readState, receiveInFlight());
        if (readState == ReadState.RECEIVING) {
            readState = receiveInFlight() ? ReadState.PAUSED_RECEIVING : ReadState.PAUSED;
        } else if (readState == ReadState.RESUMED_HOLDING) {
            readState = ReadState.HOLDING; // the queued delivery sees this and does nothing
        }
    }

    @Override
    public void resumeReading() {
        if (hopped(this::resumeReading, false)) {
            return;
        }
        counters.resuming(readState);
        switch (readState) {
            case PAUSED_RECEIVING:
                readState = ReadState.RECEIVING;
                break;
            case PAUSED:
                readState = ReadState.RECEIVING;
                if (!inReadCallback) {
                    armReceive();
                }
                // else: resumed inside connectionMade/dataReceived; afterReadCallback arms when it returns.
                break;
            case HOLDING:
                readState = ReadState.RESUMED_HOLDING;
                loop.execute(this::deliverHeld);
                break;
            default:
                break; // RECEIVING, STOPPED: nothing to do
        }
    }

    /** The task queued by resumeReading from HOLDING; a pause or close since then has taken it back. */
    private void deliverHeld() {
        if (readState == ReadState.RESUMED_HOLDING) {
            readState = ReadState.RECEIVING;
            if (armedReadiness() && heldError == 0) {
                heldReadinessUncounted = true; // what it announced is known at the first receive: deliverReadable
            } else {
                counters.heldDelivered(heldBytes, heldError);
            }
            deliver(heldBytes, heldError);
        }
    }

    @Override
    public boolean isReading() {
        ReadState s = readState;
        return s == ReadState.RECEIVING || s == ReadState.RESUMED_HOLDING;
    }

    @Override
    public TransportCounters counters() {
        return counters;
    }

    /** For tests and diagnostics. Loop thread. */
    ReadState readState() {
        return readState;
    }

    WriteState writeState() {
        return writeState;
    }

    /**
     * For tests: what the connection keeps beyond its receive op, {receive buffers, send ops, write chunks} (each 0
     * or 1, the chunks a count). Loop thread.
     */
    int[] keptMemory() {
        return new int[] {receiveBuffer == null ? 0 : 1, sendOp == null ? 0 : 1, queue.chunkCount()};
    }

    /** {@return buffers queued by writeReceived not given back yet (tests)} */
    int writtenReceivedOutstanding() {
        return writtenReceived.size();
    }

    ConnState connState() {
        return connState;
    }

    // ================================================================== write stream

    @Override
    public void write(byte[] data, int offset, int length) {
        Objects.requireNonNull(data, "data");
        Objects.checkFromIndexSize(offset, length, data.length);
        checkWritable();
        if (length == 0) {
            return;
        }
        if (loop.inEventLoop()) {
            writeOnLoop(data, offset, length);
        } else {
            byte[] copy = java.util.Arrays.copyOfRange(data, offset, offset + length); // copied at call time
            writeFromElsewhere(copy);
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
            if (!acceptsWrites()) {
                return;
            }
            try {
                queue.append(data);
            } catch (Throwable t) {
                writeFailed(t);
                return;
            }
            afterAppend();
        } else {
            byte[] copy = new byte[data.remaining()];
            data.get(data.position(), copy);
            writeFromElsewhere(copy);
        }
    }

    @Override
    public void writeOwned(ByteBuffer data, Runnable release) {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(release, "release");
        if (!data.isDirect()) {
            throw new IllegalArgumentException("writeOwned needs a direct buffer: the kernel reads it in place");
        }
        checkWritable();
        if (loop.inEventLoop()) {
            writeOwnedOnLoop(data, release);
            return;
        }
        int length = data.remaining();
        bytesInTransit.addAndGet(length);
        try {
            hopped(() -> {
                bytesInTransit.addAndGet(-length);
                writeOwnedOnLoop(data, release);
            }, false);
        } catch (RuntimeException e) {
            bytesInTransit.addAndGet(-length);
            throw e;
        }
    }

    private void writeOwnedOnLoop(ByteBuffer data, Runnable release) {
        if (!data.hasRemaining() || !acceptsWrites()) {
            runRelease(release); // nothing to send, or discarded (invariant 7): the buffer is given back at once
            return;
        }
        try {
            queue.appendOwned(data, release);
        } catch (Throwable t) {
            runRelease(release);
            writeFailed(t);
            return;
        }
        afterAppend();
    }

    /**
     * Runs the releases of owned buffers the queue has let go of. Called after the effect of what let go of them
     * (a send's packet, a discard) is applied: they are the caller's code (invariant 4). One that throws aborts
     * the connection with that cause, as a throwing callback does.
     */
    private void runReleases() {
        Runnable r;
        while ((r = queue.takeRelease()) != null) {
            runRelease(r);
        }
    }

    private void runRelease(Runnable release) {
        try {
            release.run();
        } catch (Throwable t) {
            if (connState == ConnState.CLOSED || connState == ConnState.LOST) {
                logger.warn("a write's release threw on {}", this, t);
            } else {
                abortWith(t);
            }
        }
    }

    /** A write made off the loop: its bytes count in writeBufferSize from now until they are queued or dropped. */
    private void writeFromElsewhere(byte[] copy) {
        bytesInTransit.addAndGet(copy.length);
        try {
            hopped(() -> {
                bytesInTransit.addAndGet(-copy.length);
                writeOnLoop(copy, 0, copy.length);
            }, false);
        } catch (RuntimeException e) {
            bytesInTransit.addAndGet(-copy.length);
            throw e;
        }
    }

    private void checkWritable() {
        if (userStoppedWriting) {
            throw new TransportClosedException("write after this transport's own close(), abort() or writeEof()");
        }
    }

    private void writeOnLoop(byte[] data, int offset, int length) {
        if (!acceptsWrites()) {
            return;
        }
        try {
            queue.append(data, offset, length);
        } catch (Throwable t) {
            writeFailed(t);
            return;
        }
        afterAppend();
    }

    /**
     * A write could not be queued (the write queue is all or nothing: none of its bytes are). The bytes after it
     * must never reach the wire with a hole before them, so the connection ends here, with that cause.
     */
    private void writeFailed(Throwable cause) {
        logger.debug("a write could not be queued on {}; aborting it", this, cause);
        abortWith(cause);
    }

    /**
     * False when the connection ended for a reason the writer may not know yet (a reset, a callback's abort): the
     * bytes are discarded and connectionLost reports the cause (invariant 7).
     */
    private boolean acceptsWrites() {
        return connState == ConnState.OPEN && (writeState == WriteState.IDLE || writeState == WriteState.SENDING);
    }

    private void afterAppend() {
        writeBufferSizeVisible = queue.size();
        if (writeState == WriteState.IDLE) {
            submitSend();
        }
        if (!writingPaused && queue.size() > highWater && connState == ConnState.OPEN) {
            writingPaused = true;
            try {
                protocol.pauseWriting();
            } catch (Throwable t) {
                abortWith(t);
            }
        }
    }

    private void submitSend() {
        if (sendOp == null) {
            try {
                sendOp = loop.acquireOp();
            } catch (Throwable t) {
                writeState = WriteState.STOPPED;
                abortWith(t);
                return;
            }
        }
        sendOp.prepare(OpType.SEND, socket, sendHandler);
        queue.gather(sendOp);
        int error = backend.submitSend(sendOp);
        if (error != 0) {
            writeState = WriteState.STOPPED;
            abortWith(opFailure("send", error));
            return;
        }
        writeState = WriteState.SENDING;
    }

    private void onSendComplete(int bytes, int error) {
        if (writeState == WriteState.STOPPED || connState == ConnState.CLOSED) {
            // Aborted meanwhile: the queue can go now that the kernel has let go of it.
            writeState = WriteState.STOPPED;
            queue.discardAll();
            writeBufferSizeVisible = 0;
            maybeLost();
            runReleases();
            return;
        }
        if (error != 0) {
            writeState = WriteState.STOPPED;
            queue.discardAll();
            writeBufferSizeVisible = 0;
            abortWith(opFailure("send", error));
            runReleases();
            return;
        }
        // Apply the completion's effect before any callback (invariant 4).
        queue.consume(bytes);
        writeBufferSizeVisible = queue.size();
        writeState = WriteState.IDLE;
        if (!queue.isEmpty()) {
            submitSend();
        } else {
            releaseSendOp(); // idle: the op goes back to the loop's slab until the next write
            queueDrained();
        }
        if (writingPaused && queue.size() <= lowWater && connState == ConnState.OPEN) {
            writingPaused = false;
            try {
                protocol.resumeWriting();
            } catch (Throwable t) {
                abortWith(t);
            }
        }
        runReleases(); // the owned buffers this packet confirmed
    }

    /**
     * The queue is empty and nothing is in flight: finish a requested EOF, or go on with a graceful close —
     * shutdown(SD_SEND), then linger until the peer's FIN (ConnState).
     */
    private void queueDrained() {
        if ((eofRequested || connState == ConnState.CLOSING) && writeState == WriteState.IDLE) {
            try {
                backend.shutdownOutput(socket);
                writeState = WriteState.EOF_SENT;
            } catch (IoException e) {
                abortWith(e);
                return;
            }
        }
        if (connState == ConnState.CLOSING && writeState == WriteState.EOF_SENT) {
            connState = ConnState.LINGERING;
            // While closing, reading is DRAINING until the peer's FIN (or an error) stops it: STOPPED here means the
            // peer will send nothing more, so nothing can be left unread.
            if (readState == ReadState.STOPPED) {
                closeSocket(false);
            }
        }
    }

    @Override
    public void writeEof() {
        userStoppedWriting = true;
        if (hopped(this::writeEof, false)) {
            return;
        }
        if (eofRequested || connState != ConnState.OPEN) {
            return;
        }
        eofRequested = true;
        if (writeState == WriteState.IDLE) {
            queueDrained();
        }
    }

    @Override
    public long writeBufferSize() {
        return writeBufferSizeVisible + bytesInTransit.get();
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
        if (!writingPaused && queue.size() > highWater && connState == ConnState.OPEN) {
            writingPaused = true;
            try {
                protocol.pauseWriting();
            } catch (Throwable t) {
                abortWith(t);
            }
        } else if (writingPaused && queue.size() <= lowWater && connState == ConnState.OPEN) {
            writingPaused = false;
            try {
                protocol.resumeWriting();
            } catch (Throwable t) {
                abortWith(t);
            }
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

    // ================================================================== ending

    @Override
    public void close() {
        userStoppedWriting = true;
        closingVisible = true;
        if (hopped(this::close, true)) {
            return;
        }
        if (connState != ConnState.OPEN) {
            return;
        }
        connState = ConnState.CLOSING;
        startDraining();
        if (connState != ConnState.CLOSING) {
            return; // arming the draining receive failed: aborted
        }
        if (config.closeTimeoutMillis() > 0) {
            // A peer that never reads (or never closes) must not hold the connection forever.
            closeDeadline = loop.schedule(this::closeDeadlinePassed, config.closeTimeoutMillis(),
                    TimeUnit.MILLISECONDS);
        }
        if (writeState == WriteState.IDLE || writeState == WriteState.EOF_SENT) {
            queueDrained();
        }
        // else SENDING: the last send's packet calls queueDrained.
    }

    /**
     * close(): the protocol is told nothing more; what the peer still sends is received and discarded until its
     * FIN (ReadState.DRAINING). Whatever was held while paused is dropped here.
     */
    private void startDraining() {
        switch (readState) {
            case RECEIVING:
            case PAUSED_RECEIVING:
                // A receive is in flight (its packet is discarded and re-armed), or we are inside connectionMade /
                // dataReceived and afterReadCallback arms once it returns.
                readState = ReadState.DRAINING;
                break;
            case HOLDING:
            case RESUMED_HOLDING:
                // What is held is dropped (the caller closed). A held readiness consumed nothing: whatever it
                // announced is still in the socket, and the draining receive armed here finds it.
                giveBackReceiveBuffer();
                if (heldError != 0 || (heldBytes == 0 && !armedReadiness())) {
                    readState = ReadState.STOPPED; // the held result was the peer's FIN or an error
                } else {
                    readState = ReadState.DRAINING;
                    armReceive();
                }
                break;
            case PAUSED:
                readState = ReadState.DRAINING;
                if (!inReadCallback) {
                    armReceive();
                }
                break;
            default:
                break; // STOPPED: the peer's EOF was delivered already
        }
    }

    /**
     * The idle timer: one per connection, re-scheduled for the rest of the timeout after each activity (not on each
     * completion, which would cost a timer per message), as Netty's IdleStateHandler does.
     */
    private void idleCheckDue() {
        idleCheck = null;
        if (connState == ConnState.CLOSED || connState == ConnState.LOST) {
            return;
        }
        long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(config.idleTimeoutMillis());
        long idleNanos = System.nanoTime() - lastActivityNanos;
        if (idleNanos >= timeoutNanos) {
            abortWith(new IdleTimeoutException(config.idleTimeoutMillis()));
            return;
        }
        idleCheck = loop.schedule(this::idleCheckDue, timeoutNanos - idleNanos, TimeUnit.NANOSECONDS);
    }

    private void closeDeadlinePassed() {
        if (connState == ConnState.CLOSING) {
            abortWith(new CloseTimeoutException(config.closeTimeoutMillis(), queue.size()));
        } else if (connState == ConnState.LINGERING) {
            // Everything was sent and FIN is out; the peer just hasn't closed. An RST now could only destroy what
            // it has not read yet, so close gracefully: the kernel finishes the exchange on its own.
            closeSocket(false);
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

    /**
     * Ends the connection with RST, recording {@code cause} (null: the user's abort). Queued writes are discarded —
     * those the kernel is reading from only once their packet is in.
     */
    private void abortWith(Throwable cause) {
        if (connState == ConnState.CLOSED || connState == ConnState.LOST) {
            return;
        }
        if (lostCause == null) {
            lostCause = cause;
        }
        closingVisible = true;
        readState = ReadState.STOPPED; // no cancel: closing the socket completes a receive in flight
        if (writeState != WriteState.SENDING) {
            queue.discardAll();
            writeBufferSizeVisible = 0;
        }
        // With a send in flight the kernel still reads the queue's head: its packet (aborted by the close below)
        // discards the queue, in onSendComplete.
        writeState = WriteState.STOPPED;
        closeSocket(true);
        runReleases();
    }

    private void closeSocket(boolean abortive) {
        if (connState == ConnState.CLOSED || connState == ConnState.LOST) {
            return;
        }
        connState = ConnState.CLOSED;
        if (closeDeadline != null) {
            closeDeadline.cancel(false);
            closeDeadline = null;
        }
        if (idleCheck != null) {
            idleCheck.cancel(false);
            idleCheck = null;
        }
        readState = ReadState.STOPPED;
        backend.close(socket, abortive);
        maybeLost();
    }

    /**
     * Ends the connection exactly once, after every op of the socket has its packet (invariant 5). connectionLost
     * itself runs as a task of its own on the loop: this point is often reached inside another callback (a close()
     * in eofReceived or connectionMade, another connection's callback that aborted this one), and connectionLost
     * must never run nested in one — as in asyncio, which schedules connection_lost with call_soon.
     */
    private boolean sendInFlight() {
        return sendOp != null && sendOp.state() == Op.State.IN_FLIGHT;
    }

    /** The send op goes back to the slab; only with no send in flight (invariant 2). */
    private void releaseSendOp() {
        if (sendOp != null && !sendInFlight()) {
            sendOp.release();
            sendOp = null;
        }
    }

    private void maybeLost() {
        if (connState != ConnState.CLOSED || receiveInFlight() || sendInFlight() || inReadCallback) {
            return;
        }
        connState = ConnState.LOST;
        writeState = WriteState.STOPPED;
        queue.discardAll();
        writeBufferSizeVisible = 0;
        giveBackReceiveBuffer();
        recvOp.release();
        releaseSendOp();
        runReleases();
        loop.deregister(this);
        try {
            loop.execute(this::notifyLost);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            notifyLost(); // the loop is past running tasks (terminating): nothing else can be running now
        }
    }

    private void notifyLost() {
        try {
            protocol.connectionLost(lostCause);
        } catch (Throwable t) {
            logger.warn("connectionLost of {} threw", protocol, t);
        } finally {
            closeFuture.trySuccess(null);
        }
    }

    private void failFromDispatch(Throwable cause) {
        // A bug in our own completion code: the connection can't be trusted any more; end it.
        logger.error("internal failure on connection {}", this, cause);
        if (recvOp.state() == Op.State.OWNED && readState != ReadState.STOPPED) {
            readState = ReadState.STOPPED;
        }
        abortWith(cause);
    }

    @Override
    public void closeForShutdown() {
        abortWith(new LoopShutdownException("the event loop shut down"));
    }

    @Override
    public boolean isClosing() {
        return closingVisible;
    }

    @Override
    public Future<Void> closeFuture() {
        return closeFuture;
    }

    // ================================================================== the rest

    @Override
    public IocpEventLoop loop() {
        return loop;
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remoteAddress;
    }

    @Override
    public void setOption(SocketOpt option, int value) {
        Objects.requireNonNull(option, "option");
        onLoopChecked(() -> {
            backend.setOption(socket, option, value);
            return null;
        });
    }

    @Override
    public int getOption(SocketOpt option) {
        Objects.requireNonNull(option, "option");
        return onLoopChecked(() -> backend.getOption(socket, option));
    }

    /** What a failed receive or send is reported as: a reset keeps its own type (invariant 5's typed causes). */
    private static IoException opFailure(String call, int error) {
        return IoError.isReset(error) ? new ConnectionResetException(call, error) : new IoException(call, error);
    }

    private interface SocketCall<T> {
        T call() throws IoException;
    }

    /** Runs a socket call on the loop (waiting for it when called elsewhere); failures surface as unchecked. */
    private <T> T onLoopChecked(SocketCall<T> call) {
        if (loop.inEventLoop()) {
            return callNow(call);
        }
        try {
            return loop.submit(() -> callNow(call)).get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private <T> T callNow(SocketCall<T> call) {
        if (connState == ConnState.CLOSED || connState == ConnState.LOST) {
            throw new TransportClosedException("socket option call on a closed transport");
        }
        try {
            return call.call();
        } catch (IoException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return "IocpConnection[" + localAddress + " -> " + remoteAddress + ", " + connState + "/" + readState + "/"
                + writeState + "]";
    }
}
