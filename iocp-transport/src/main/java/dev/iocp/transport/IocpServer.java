package dev.iocp.transport;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.CompletionHandler;
import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.IoException;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.LoopResource;
import dev.iocp.core.loop.NeverThrowingLogger;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.SystemPropertyUtil;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A listener on one loop keeping several accepts in flight (so a burst of connections doesn't wait for a round trip
 * per accept), spreading accepted connections over the group's loops.
 *
 * <h2>An accept slot's life</h2>
 * Each of the {@code pendingAccepts} ops is a slot that lives as long as the server; it is released only by close.
 * <pre>
 *   armed (in flight) --packet ok------------------> hand the socket to a loop; re-arm at once
 *                     --packet: reset before accept-> close its socket; re-arm at once (skipped, not an error;
 *                                                     also WSAENOTCONN: Wine's word for the same)
 *                     --packet: any other error-----> close its socket (if any); accept error; park
 *   re-arm            --submit ok-------------------> armed
 *                     --submit: reset---------------> retry at once (a few times, then as an error)
 *                     --submit: any other error-----> accept error; park
 *   parked            --back-off timer--------------> re-arm
 *   any, after close  ------------------------------> release (an armed slot when its packet comes)
 * </pre>
 * Parking is the listener's defence against a persistent failure ({@link ErrorCode#NO_DESCRIPTORS}: Win32's
 * WSAEMFILE from the socket AcceptEx needs, io_uring's EMFILE packet; {@link ErrorCode#NO_BUFFERS}: WSAENOBUFS, a
 * full submission ring): re-arming at once would fail at
 * once, forever, with a core at 100 % (as it once did out of descriptors). One timer per server re-arms every
 * parked slot; its delay starts
 * at {@value #DEFAULT_RETRY_MIN_MILLIS} ms, doubles while rounds keep failing, is capped at
 * {@value #DEFAULT_RETRY_MAX_MILLIS} ms, and goes back to the start on the next successful accept. (Netty's server
 * bootstrap and asyncio both stop accepting for a fixed second after such an error; starting at 10 ms recovers
 * sooner from a transient failure, and the cap keeps a persistent one at a few wake-ups a second.) The properties {@value #RETRY_MIN_PROPERTY} and
 * {@value #RETRY_MAX_PROPERTY} (read when a server is created) change the bounds; a minimum of 0 turns the back-off
 * off, which only the tests' negative control should want.
 *
 * <h2>The spare descriptor</h2>
 * A listener holds one socket it never uses, the <em>spare</em>, opened at listen. When an accept fails with
 * {@link ErrorCode#NO_DESCRIPTORS} and the spare is held, the spare is closed first — so the process has one
 * descriptor again: the log line about the failure can be written (a logger may need to open a file, e.g. the
 * time-zone database for its timestamp) — and the slot is re-armed at once instead of parked. The accept that then
 * completes is <em>shed</em> if the process is still out (re-taking the spare fails): the connection is closed at
 * once, so a client that connects to an exhausted server sees its connection end instead of hanging in the backlog,
 * and the spare is taken back with the descriptor this frees. If re-taking the spare succeeds, descriptors are back
 * and the connection is served. (libuv does the like with its reserved descriptor; there the accepts are synchronous
 * and drained until EAGAIN.) A failure while the spare is already out parks the slot as below.
 *
 * <h2>Who owns the accepted socket</h2>
 * Exactly one owner at each moment: the backend until the ACCEPT packet (a failed submit closes its own prepared
 * socket); from the packet on, this server — after a failed packet, after a failed {@code finishAccept}, and after
 * success until the socket is handed to its loop; then the loop's task, and then the connection.
 *
 * <h2>Accept errors</h2>
 * Counted, logged at most once a second per server (with the number of errors in between), and handed to the
 * handler set with {@link #onAcceptError} on this loop's thread. See {@link Server}.
 */
final class IocpServer implements Server, LoopResource, CompletionHandler {
    private static final NeverThrowingLogger logger = NeverThrowingLogger.of(IocpServer.class);

    static final String RETRY_MIN_PROPERTY = "iocp.accept.retryMinMillis";
    static final String RETRY_MAX_PROPERTY = "iocp.accept.retryMaxMillis";
    static final int DEFAULT_RETRY_MIN_MILLIS = 10;
    static final int DEFAULT_RETRY_MAX_MILLIS = 1000;
    /** Synchronous resets in a row on one slot that are retried at once; past that they are errors (parked). */
    private static final int MAX_IMMEDIATE_RETRIES = 8;
    private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** Where accepted connections go: the group's loops round-robin, or the listener's own loop. */
    private final Supplier<IocpEventLoop> targets;
    private final IocpEventLoop loop;
    private final Backend backend;
    private final Supplier<? extends Protocol> protocolFactory;
    private final TransportConfig config;
    private final Promise<Void> closeFuture;
    private final AcceptBackoff backoff;
    private long listener;
    private InetSocketAddress localAddress;
    private boolean closed;
    /** Accept ops acquired and not released: armed, parked, or being handled. The close future waits for 0. */
    private int slots;
    private final ArrayDeque<Op> parked = new ArrayDeque<>();
    /** The spare descriptor (see the class comment); 0 while released. Loop thread only. */
    private long spare;
    private ScheduledFuture<?> rearmTimer;
    private long rearmDelayMillis;
    private volatile long accepted;
    private final AtomicLong acceptErrors = new AtomicLong();
    private volatile Consumer<? super Throwable> errorHandler;
    // Log rate limiting and the failure streak (loop thread only).
    private long lastLogNanos;
    private boolean loggedOnce;
    private long unloggedErrors;
    private long failureStreak;

    IocpServer(Supplier<IocpEventLoop> targets, IocpEventLoop loop, Supplier<? extends Protocol> protocolFactory,
               TransportConfig config) {
        this.targets = targets;
        this.loop = loop;
        this.backend = loop.backend();
        this.protocolFactory = protocolFactory;
        this.config = config;
        this.closeFuture = loop.newPromise();
        int min = Math.max(0, SystemPropertyUtil.getInt(RETRY_MIN_PROPERTY, DEFAULT_RETRY_MIN_MILLIS));
        int max = Math.max(min, SystemPropertyUtil.getInt(RETRY_MAX_PROPERTY, DEFAULT_RETRY_MAX_MILLIS));
        this.backoff = new AcceptBackoff(min, max);
    }

    /** Loop thread. */
    void listen(InetSocketAddress address, int backlog, int pendingAccepts) throws IoException {
        listener = backend.openTcpSocket(address.getAddress() instanceof Inet6Address);
        try {
            backend.bind(listener, address);
            backend.listen(listener, backlog);
            localAddress = backend.localAddress(listener);
        } catch (Throwable t) { // whatever failed, the socket must not leak
            backend.close(listener, false);
            throw t;
        }
        spare = openSpare();
        loop.register(this);
        for (int i = 0; i < pendingAccepts && !closed; i++) {
            Op op = loop.acquireOp();
            slots++;
            arm(op);
        }
    }

    /** Submits the slot's accept, or parks the slot. Loop thread; {@code op} OWNED. */
    private void arm(Op op) {
        for (int resets = 0; ; resets++) {
            if (closed) {
                release(op);
                return;
            }
            op.prepare(OpType.ACCEPT, listener, this);
            int error = backend.submitAccept(op);
            if (error == 0) {
                return;
            }
            if (IoError.isReset(error) && resets < MAX_IMMEDIATE_RETRIES) {
                logger.debug("{}: a client reset before the accept took it ({}); skipped", this,
                        IoError.describe(error));
                continue;
            }
            if (IoError.is(error, ErrorCode.NO_DESCRIPTORS) && releaseSpare()) {
                acceptFailed(new IoException("accept on " + localAddress, error));
                continue; // the submit may now take the spare's descriptor (Win32's AcceptEx socket)
            }
            park(op);
            acceptFailed(new IoException("accept on " + localAddress, error));
            return;
        }
    }

    /** The slot waits for the back-off timer; one timer per server re-arms every parked slot. */
    private void park(Op op) {
        if (closed) {
            release(op);
            return;
        }
        parked.add(op);
        if (rearmTimer == null) {
            long delay = backoff.next();
            rearmDelayMillis = delay;
            try {
                rearmTimer = loop.schedule(this::rearmParked, delay, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // The loop is shutting down: it will close us (closeForShutdown), which releases the parked slots.
                logger.debug("{}: cannot schedule the accept re-arm: the loop is shutting down", this);
            }
        }
    }

    private void rearmParked() {
        rearmTimer = null;
        int n = parked.size();
        for (int i = 0; i < n; i++) {
            arm(parked.poll()); // a slot that fails again parks again, under the next (longer) timer
        }
    }

    /**
     * Whether a failed accept packet only says its client is gone: reset before the accept took it, or (Wine's
     * AcceptEx) WSAENOTCONN for a connection reset while it waited in the backlog. Measured under Wine after the
     * descriptors came back: 700 such connections, each an accept error parked behind the back-off, took 41 s to
     * drain before a new client was served.
     */
    private static boolean clientGone(int error) {
        return IoError.isReset(error) || IoError.is(error, ErrorCode.NOT_CONNECTED);
    }

    /** Opens a spare descriptor, or returns 0 (the process is out of them now; the next accept retries). */
    private long openSpare() {
        try {
            return backend.openTcpSocket(localAddress != null && localAddress.getAddress() instanceof Inet6Address);
        } catch (IoException e) {
            return 0;
        }
    }

    /** Closes the spare, if held, so the process has a descriptor to fail with; false if it was already out. */
    private boolean releaseSpare() {
        if (spare == 0) {
            return false;
        }
        backend.close(spare, false);
        spare = 0;
        return true;
    }

    /** After an accept while the spare was out: true if the spare could be taken back (descriptors are back). */
    private boolean retakeSpare() {
        spare = openSpare();
        return spare != 0;
    }

    private void release(Op op) {
        op.release();
        slots--;
        maybeClosed();
    }

    @Override
    public void onCompletion(Op op, int bytes, int error) {
        long socket = op.acceptSocket(); // ours from here on, whatever the packet says (the next prepare clears it)
        if (closed || error != 0) {
            if (socket != 0) {
                backend.close(socket, true);
            }
            if (closed) {
                release(op);
            } else if (clientGone(error)) {
                logger.debug("{}: a client reset before its accept completed ({}); skipped", this,
                        IoError.describe(error));
                arm(op);
            } else if (IoError.is(error, ErrorCode.NO_DESCRIPTORS) && releaseSpare()) {
                acceptFailed(new IoException("accept on " + localAddress, error));
                arm(op);
            } else {
                park(op);
                acceptFailed(new IoException("accept on " + localAddress, error));
            }
            return;
        }
        long newSocket;
        try {
            newSocket = backend.finishAccept(op);
        } catch (IoException e) {
            backend.close(socket, true); // a failed finishAccept leaves the socket to us: its one close
            arm(op);
            acceptFailed(e);
            return;
        }
        if (spare == 0 && !retakeSpare()) {
            // Still out of descriptors: shed this connection (its close frees the descriptor the spare takes back).
            backend.close(newSocket, true);
            spare = openSpare();
            arm(op);
            return;
        }
        accepted++;
        backoff.reset();
        if (failureStreak > 0) {
            logger.info("{}: accepting again after {} accept error(s)", this, failureStreak);
            failureStreak = 0;
        }
        arm(op);
        Protocol protocol;
        try {
            protocol = protocolFactory.get();
        } catch (Throwable t) {
            logger.warn("{}: protocol factory threw; closing the accepted connection", this, t);
            backend.close(newSocket, true);
            return;
        }
        IocpEventLoop target = targets.get();
        if (target == loop) {
            adopt(target, newSocket, protocol);
            return;
        }
        try {
            target.execute(() -> adopt(target, newSocket, protocol));
        } catch (RejectedExecutionException e) {
            // The target loop is shutting down: the socket is still ours (the task never ran); close it here.
            backend.close(newSocket, true);
            acceptFailed(new TransportClosedException("the loop chosen for an accepted connection is shut down"));
        }
    }

    /** On the target loop: the socket is this task's until the connection takes it. */
    private void adopt(IocpEventLoop target, long socket, Protocol protocol) {
        try {
            target.backend().register(socket);
        } catch (IoException e) {
            target.backend().close(socket, true);
            acceptFailedOnAnyThread(new IoException("register an accepted socket with " + target, e.error()));
            return;
        }
        new IocpConnection(target, socket, protocol, config).start();
    }

    @Override
    public void onDispatchFailure(Op op, Throwable cause) {
        if (op.state() != Op.State.OWNED) {
            return; // already re-armed (in flight) or parked: nothing of ours was lost
        }
        if (parked.contains(op)) {
            return;
        }
        if (closed) {
            release(op);
        } else {
            arm(op);
        }
    }

    private void acceptFailedOnAnyThread(Throwable cause) {
        if (loop.inEventLoop()) {
            acceptFailed(cause);
            return;
        }
        try {
            loop.execute(() -> acceptFailed(cause));
        } catch (RejectedExecutionException e) {
            acceptErrors.incrementAndGet();
            logger.warn("{}: accept failed (listener loop shut down)", this, cause);
        }
    }

    /** Counts, logs (rate-limited) and reports one accept error. Loop thread; the slot has already been dealt with. */
    private void acceptFailed(Throwable cause) {
        acceptErrors.incrementAndGet();
        failureStreak++;
        long now = System.nanoTime();
        if (!loggedOnce || now - lastLogNanos >= LOG_INTERVAL_NANOS) {
            String retry = rearmTimer != null ? "retrying in " + rearmDelayMillis + " ms" : "retrying at once";
            if (unloggedErrors == 0) {
                logger.warn("{}: accept failed: {}; {}; still listening", this, cause.getMessage(), retry);
            } else {
                logger.warn("{}: accept failed: {}; {} more accept errors in the last {} ms; {}; still listening",
                        this, cause.getMessage(), unloggedErrors, TimeUnit.NANOSECONDS.toMillis(now - lastLogNanos),
                        retry);
            }
            loggedOnce = true;
            lastLogNanos = now;
            unloggedErrors = 0;
        } else {
            unloggedErrors++;
        }
        Consumer<? super Throwable> handler = errorHandler;
        if (handler != null) {
            try {
                handler.accept(cause);
            } catch (Throwable t) {
                logger.warn("{}: the accept error handler threw; ignored", this, t);
            }
        }
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public long acceptedCount() {
        return accepted;
    }

    @Override
    public long acceptErrors() {
        return acceptErrors.get();
    }

    @Override
    public Server onAcceptError(Consumer<? super Throwable> handler) {
        this.errorHandler = handler;
        return this;
    }

    @Override
    public Throwable loopFailure() {
        return loop.failure();
    }

    @Override
    public Future<Void> close() {
        Throwable dead = loop.failure();
        if (dead != null && !loop.inEventLoop() && !closeFuture.isDone()) {
            // The loop's thread is gone: nothing will run on it again; its clean-up (closeForShutdown, on the loop
            // thread, below) closed the listener.
            LoopShutdownException e = new LoopShutdownException(this + ": the listener's loop thread ended: " + dead);
            e.initCause(dead);
            return GlobalEventExecutor.INSTANCE.newFailedFuture(e);
        }
        if (!loop.inEventLoop()) {
            loop.execute(this::close);
            return closeFuture;
        }
        if (!closed) {
            closed = true;
            loop.deregister(this);
            backend.close(listener, false); // pending accepts complete, aborted
            releaseSpare();
            if (rearmTimer != null) {
                rearmTimer.cancel(false);
                rearmTimer = null;
            }
            Op op;
            while ((op = parked.poll()) != null) {
                release(op);
            }
            maybeClosed();
        }
        return closeFuture;
    }

    private void maybeClosed() {
        if (closed && slots == 0) {
            closeFuture.trySuccess(null);
        }
    }

    @Override
    public void closeForShutdown() {
        close();
    }

    @Override
    public String toString() {
        return "IocpServer[" + localAddress + "]";
    }
}
