package dev.iocp.core.loop;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.CompletionHandler;
import dev.iocp.core.backend.CompletionSink;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpSlab;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.RejectedExecutionHandlers;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import io.netty.util.internal.PlatformDependent;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A proactor event loop: one thread, one backend (on Windows one completion port), a netty-common task queue and
 * scheduler. Each iteration: compute how long it may sleep from the next scheduled task, block in the backend for one
 * batch of packets, dispatch them, run the tasks.
 *
 * <p>Dispatch (invariant 4, "no wormholes"): for each packet the op goes back to its owner
 * ({@link Op#markCompleted()}) before the owner's handler runs, so whatever the handler does — including throwing —
 * the loop's own bookkeeping is already consistent. A handler that throws — an Error too — is logged and its owner
 * is told through {@link CompletionHandler#onDispatchFailure} (a connection aborts itself); the loop and every other
 * op carry on. See {@link #run()} for what the loop as a whole survives.
 *
 * <p>Scheduled tasks ({@code schedule}, and every timeout built on it) run at or after their deadline, never
 * before: the loop sleeps in the backend for at most the time left and then runs only the tasks whose deadline has
 * passed. How late depends on the backend's wait. io_uring waits on a nanosecond timespec: a task runs within
 * microseconds of its deadline on an idle loop. Win32 waits in GetQueuedCompletionStatusEx, whose timeout is whole
 * milliseconds (rounded up, never down to a busy 0) and which Windows ends on a clock interrupt, by default every
 * ~15.6 ms: a short timer there fires up to about one tick late (a 1 ms timer after 1 to ~16 ms). The loop does not
 * raise the system timer resolution (timeBeginPeriod); docs/windows-sockets.md says why.
 */
public final class IocpEventLoop extends SingleThreadEventExecutor implements CompletionSink {
    private static final NeverThrowingLogger logger = NeverThrowingLogger.of(IocpEventLoop.class);

    /** {@link #nextWakeupNanos} when the loop thread is not blocked in the backend. */
    private static final long AWAKE = -1L;
    /** {@link #nextWakeupNanos} when the loop sleeps with no scheduled task: only a wake-up or a packet ends it. */
    private static final long NONE = Long.MAX_VALUE;
    /** While shutting down, poll at least this often so the quiet period and the in-flight count are re-checked. */
    private static final long SHUTDOWN_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** How long shutdown waits for the last packets before giving up (and leaking, never freeing, their memory). */
    private static final long SHUTDOWN_PACKET_WAIT_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final Backend backend;
    private final OpSlab slab = new OpSlab();
    /**
     * When the loop will wake by itself: {@link #AWAKE} while running, else the deadline it sleeps until. The
     * guard that makes cross-thread submitters post at most one wake-up per sleep: only the one that swaps the value
     * from a sleeping deadline to AWAKE posts.
     */
    private final AtomicLong nextWakeupNanos = new AtomicLong(AWAKE);
    private final Set<LoopResource> resources = new LinkedHashSet<>();

    // Statistics, written by the loop thread only (read racily for reports).
    private long packetsDispatched;
    private long polls;
    private long wakeupsPosted;
    private long dispatchFailures;
    private long loopFailures;
    private long shutdownStartedNanos;
    /** Set (once) if the loop thread ended other than by a shutdown; see {@link #run()}. */
    private volatile Throwable failure;

    IocpEventLoop(EventExecutorGroup parent, Executor executor, Backend backend) {
        super(parent, executor, false, PlatformDependent.newMpscQueue(), RejectedExecutionHandlers.reject());
        this.backend = backend;
    }

    /** {@return this loop's backend. Loop thread only (except {@link Backend#wakeup()})} */
    public Backend backend() {
        return backend;
    }

    /**
     * Takes an op record from this loop's slab, OWNED by the caller. Loop thread only.
     *
     * @return the op
     */
    public Op acquireOp() {
        assert inEventLoop();
        return slab.acquire();
    }

    /** {@return ops the kernel owns right now (submitted, packet not yet dequeued). Loop thread only} */
    public int opsInFlight() {
        return slab.inFlight();
    }

    /** {@return ops taken from the slab and not released (in flight or held by an owner). Loop thread only} */
    public int opsInUse() {
        return slab.inUse();
    }

    /** {@return op packets handed to their handlers so far} */
    public long packetsDispatched() {
        return packetsDispatched;
    }

    /** {@return backend polls made so far} */
    public long polls() {
        return polls;
    }

    /** {@return wake-ups posted to the backend so far (tasks submitted from other threads)} */
    public long wakeupsPosted() {
        return wakeupsPosted;
    }

    /** {@return packets whose handler threw so far} */
    public long dispatchFailures() {
        return dispatchFailures;
    }

    /** {@return iterations of the loop that threw and were survived so far (see {@link #run()})} */
    public long loopFailures() {
        return loopFailures;
    }

    /**
     * {@return what ended this loop's thread other than a shutdown, or null while it runs or if it shut down. Safe
     * from any thread} A loop with a failure serves nothing any more: its sockets are closed by its clean-up, its
     * tasks are rejected.
     */
    public Throwable failure() {
        return failure;
    }

    /**
     * Registers something to close when the loop shuts down. Loop thread only.
     *
     * @param resource closed (once) when the loop shuts down
     */
    public void register(LoopResource resource) {
        assert inEventLoop();
        if (isShuttingDown()) {
            resource.closeForShutdown();
        } else {
            resources.add(resource);
        }
    }

    /**
     * Forgets a registered resource (it closed by itself). Loop thread only.
     *
     * @param resource a registered resource
     */
    public void deregister(LoopResource resource) {
        assert inEventLoop();
        resources.remove(resource);
    }

    /**
     * The loop. It ends only when a shutdown is complete: whatever a handler, a task, the backend or this loop's own
     * logging throws — Errors included ({@code NoClassDefFoundError}, {@code StackOverflowError},
     * {@code OutOfMemoryError}) — is caught around each iteration, counted ({@link #loopFailures()}) and logged
     * through a logger that cannot throw, and the next iteration starts. A thread that dies leaves every socket of
     * its loop open and unserved with nobody to tell, which is worse than any state a caught Error can leave. The
     * one exception is {@link ThreadDeath} (someone stopped this thread on purpose): it ends the loop, and the end
     * is not silent — {@link #failure()} and the group's {@link IocpEventLoopGroup#onLoopFailure} say it.
     */
    @Override
    protected void run() {
        Throwable death = null;
        try {
            for (;;) {
                try {
                    if (iterate()) {
                        return;
                    }
                } catch (Throwable t) {
                    if (t instanceof ThreadDeath) {
                        throw t;
                    }
                    survived(t);
                }
            }
        } catch (Throwable t) {
            death = t;
            throw t;
        } finally {
            if (death != null) {
                failure = death;
                if (parent() instanceof IocpEventLoopGroup) {
                    ((IocpEventLoopGroup) parent()).loopFailed(this, death);
                }
            }
        }
    }

    /** One iteration: poll and dispatch one batch, run the tasks. Returns true once a shutdown is complete. */
    private boolean iterate() {
        long timeoutNanos = computePollTimeout();
        if (isShuttingDown() && (timeoutNanos < 0 || timeoutNanos > SHUTDOWN_POLL_NANOS)) {
            timeoutNanos = SHUTDOWN_POLL_NANOS;
        }
        try {
            polls++;
            backend.poll(slab, this, timeoutNanos);
        } catch (Throwable t) {
            if (t instanceof ThreadDeath) {
                throw t;
            }
            // The backend itself failed (not a handler: those are caught in onPacket). Log and keep going;
            // a persistent failure would spin, so pause briefly like netty's loops do.
            logger.warn("backend poll failed on {}", backend.name(), t);
            sleepQuietly();
        } finally {
            nextWakeupNanos.lazySet(AWAKE);
        }
        runAllTasks();

        if (isShuttingDown()) {
            if (shutdownStartedNanos == 0) {
                shutdownStartedNanos = System.nanoTime();
            }
            closeAllResources();
            if (confirmShutdown()) {
                if (slab.inFlight() == 0) {
                    return true;
                }
                if (System.nanoTime() - shutdownStartedNanos > SHUTDOWN_PACKET_WAIT_NANOS) {
                    logger.error("{} ops still in flight after {} s of shutdown; leaking their memory rather than"
                                    + " freeing what the kernel may still write", slab.inFlight(),
                            TimeUnit.NANOSECONDS.toSeconds(SHUTDOWN_PACKET_WAIT_NANOS));
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Something escaped an iteration (a task's failure whose logging threw inside netty's task runner, an Error in
     * the loop's own bookkeeping): counted and logged; the loop goes on. Allocates nothing before the log call, which
     * cannot throw.
     */
    private void survived(Throwable t) {
        loopFailures++;
        nextWakeupNanos.lazySet(AWAKE);
        logger.error("{}: an iteration of the loop threw; the loop carries on", backend.name(), t);
    }

    /** Negative: block until a packet or wake-up; 0: don't block; else nanoseconds. Publishes the sleep deadline. */
    private long computePollTimeout() {
        if (hasTasks()) {
            return 0;
        }
        long deadline = nextScheduledTaskDeadlineNanos();
        nextWakeupNanos.set(deadline == -1 ? NONE : deadline);
        // Re-check after publishing: a task added before the publication did not post a wake-up.
        if (hasTasks()) {
            return 0;
        }
        if (deadline == -1) {
            return -1;
        }
        return Math.max(0, deadline - getCurrentTimeNanos());
    }

    private void closeAllResources() {
        if (resources.isEmpty()) {
            return;
        }
        for (LoopResource r : new ArrayList<>(resources)) {
            try {
                r.closeForShutdown();
            } catch (Throwable t) {
                logger.warn("closing {} for shutdown failed", r, t);
            }
        }
        resources.clear();
    }

    /** The dispatch of one packet. See the class comment for why the order of these steps matters. */
    @Override
    public void onPacket(Op op, int bytesTransferred, int error) {
        op.markCompleted();
        packetsDispatched++;
        CompletionHandler handler = op.handler();
        try {
            handler.onCompletion(op, bytesTransferred, error);
        } catch (Throwable t) {
            dispatchFailures++;
            logger.warn("completion handler of {} threw; its owner will be told", op, t);
            try {
                handler.onDispatchFailure(op, t);
            } catch (Throwable t2) {
                logger.error("onDispatchFailure of {} threw as well", op, t2);
            }
        }
    }

    @Override
    protected void wakeup(boolean inEventLoop) {
        if (!inEventLoop && nextWakeupNanos.getAndSet(AWAKE) != AWAKE) {
            wakeupsPosted++;
            backend.wakeup();
        }
    }

    @Override
    protected boolean beforeScheduledTaskSubmitted(long deadlineNanos) {
        // Only wake the loop if the new task is due before it would wake anyway.
        return deadlineNanos < nextWakeupNanos.get();
    }

    @Override
    protected boolean afterScheduledTaskSubmitted(long deadlineNanos) {
        return deadlineNanos < nextWakeupNanos.get();
    }

    /**
     * Slabs of loops that gave up waiting for their last packets. Kept reachable for the life of the process: the
     * ops in flight reference their owners (connections), which reference the data buffers the kernel may still
     * write to; if the garbage collector could reach none of it, a direct buffer's cleaner would free that memory
     * under the kernel (invariant 2). A leak is the lesser evil.
     */
    private static final java.util.Queue<OpSlab> ABANDONED_SLABS = new java.util.concurrent.ConcurrentLinkedQueue<>();

    @Override
    protected void cleanup() {
        if (failure != null) {
            // The loop thread was stopped: nobody closed the registered resources; close their sockets now, so that
            // their peers see the end and their descriptors come back (memory still named by ops in flight is kept
            // below, never freed).
            closeAllResources();
        }
        try {
            if (slab.inFlight() == 0) {
                slab.close();
            } else {
                ABANDONED_SLABS.add(slab);
            }
        } finally {
            backend.close();
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
