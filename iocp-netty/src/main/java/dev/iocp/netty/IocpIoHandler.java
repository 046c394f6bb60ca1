package dev.iocp.netty;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.BackendFactory;
import dev.iocp.core.backend.Backends;
import dev.iocp.core.backend.CompletionSink;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpSlab;
import dev.iocp.core.loop.NeverThrowingLogger;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoRegistration;
import io.netty.util.concurrent.ThreadAwareExecutor;
import io.netty.util.internal.ObjectUtil;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Netty's {@link IoHandler} over an iocp {@link Backend}: one backend (on Windows one completion port) and one op
 * slab per event loop. Use it as {@code new MultiThreadIoEventLoopGroup(IocpIoHandler.newFactory())} with
 * {@link IocpSocketChannel} and {@link IocpServerSocketChannel}.
 *
 * <p><b>Dispatch</b> keeps the order of iocp's own loop (invariant 4, ARCHITECTURE.md: no wormholes): for each
 * packet the op goes back to its owner ({@link Op#markCompleted()}) before the owner's handle runs, so whatever the
 * handle does, throwing included, the slab's bookkeeping is already right. A handle that throws — an Error too
 * ({@code StackOverflowError}, {@code NoClassDefFoundError}, {@code OutOfMemoryError}) — is logged through a logger
 * that cannot throw and its channel is closed; the loop and every other op carry on. Netty's loop around this
 * handler catches nothing that escapes {@link #run}, so nothing does: a failed poll is logged and retried after a
 * pause (the loop thread is the one thing that must not die: its sockets would stay open, unserved, with nobody to
 * tell).
 *
 * <p><b>Blocking</b> happens only when the context allows it ({@link IoHandlerContext#canBlock()}), for at most the
 * delay to the next scheduled task. {@link #wakeup()} from another thread posts at most one wake-up packet per sleep:
 * the {@link #sleeping} flag is raised before the context is asked a last time whether it may block, so a task added
 * after that question always finds the flag up and posts.
 *
 * <p><b>Destroy</b> waits for the last packet of every op (invariant 2: native memory, and every ByteBuf an op
 * names, stays untouched while the kernel may still write to it), for at most {@value #DESTROY_WAIT_SECONDS} s; ops
 * still out after that are leaked, never freed.
 */
public final class IocpIoHandler implements IoHandler {
    private static final NeverThrowingLogger logger = NeverThrowingLogger.of(IocpIoHandler.class);
    private static final long DESTROY_WAIT_SECONDS = 30;
    private static final long DESTROY_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final ThreadAwareExecutor executor;
    private final Backend backend;
    private final OpSlab slab = new OpSlab();
    private final Set<IocpIoRegistration> registrations = new LinkedHashSet<>();
    /** Raised while the loop thread is (about to be) blocked in the backend; see the class comment. */
    private final AtomicBoolean sleeping = new AtomicBoolean();
    private final CompletionSink dispatch = this::dispatch;
    private int handledInRun;
    /** Inside {@link #run}'s poll: submits made now reach the kernel with the poll's next batch. */
    private boolean polling;
    private int unbatchedCallbacks;
    private boolean destroyed;

    private IocpIoHandler(ThreadAwareExecutor executor, Backend backend) {
        this.executor = executor;
        this.backend = backend;
    }

    /** {@return a factory for handlers on the platform's default backend (Windows: win32; Linux: io_uring)} */
    public static IoHandlerFactory newFactory() {
        return newFactory(Backends.defaultFactory());
    }

    /**
     * {@return a factory for handlers on the given backend, e.g. {@code Backends.byName("simulated")} in tests}
     *
     * @param backends makes each handler's backend
     */
    public static IoHandlerFactory newFactory(BackendFactory backends) {
        ObjectUtil.checkNotNull(backends, "backends");
        return executor -> {
            try {
                return new IocpIoHandler(executor, backends.newBackend());
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("cannot create an iocp backend: " + e.getMessage(), e);
            }
        };
    }

    /** This loop's backend (the channels' socket calls go through it). Loop thread only. */
    Backend backend() {
        return backend;
    }

    /** An op from this loop's slab, owned by the caller. Loop thread only. */
    Op acquireOp() {
        return slab.acquire();
    }

    /**
     * After a submit. Inside the poll's dispatch, submits stay batched: they reach the kernel with the next poll, one
     * system call for the whole batch (that is io_uring's point; the other backends submit at once anyway).
     * Outside it — from a task, a write from another thread — and inside a callback that may block its loop, the op
     * goes to the kernel now: Netty users expect a flush to have handed the bytes to the system, and Netty code may
     * block right after one (Netty's own test suite does, in channelActive, waiting for the peer to read what it
     * wrote), which would leave a send in io_uring's SQ for ever.
     */
    void submitted(Op op) {
        if (!polling || unbatchedCallbacks > 0) {
            backend.submitNow();
        }
    }

    /**
     * Around a callback that is not on the data path and may block its loop (channelActive after a connect): its
     * submits go to the kernel at once (see {@link #submitted}). Costs nothing per message.
     */
    void beginUnbatchedCallback() {
        unbatchedCallbacks++;
    }

    void endUnbatchedCallback() {
        unbatchedCallbacks--;
    }

    /** Ops the kernel owns right now. Loop thread only. */
    int opsInFlight() {
        return slab.inFlight();
    }

    /** Whether the caller runs on this handler's loop thread. */
    boolean inLoop() {
        return executor.isExecutorThread(Thread.currentThread());
    }

    @Override
    public int run(IoHandlerContext context) {
        long timeoutNanos = 0;
        if (context.canBlock()) {
            sleeping.set(true);
            if (context.canBlock()) { // asked again now that a task submitter would see the flag and post
                long delay = context.delayNanos(System.nanoTime());
                timeoutNanos = delay == Long.MAX_VALUE ? -1 : Math.max(0, delay);
            }
        }
        handledInRun = 0;
        polling = true;
        try {
            backend.poll(slab, dispatch, timeoutNanos);
        } catch (Throwable t) {
            if (t instanceof ThreadDeath) {
                throw t;
            }
            // The backend itself failed (dispatch catches what the handles throw). A persistent failure would spin:
            // pause briefly, as the loop does.
            logger.warn("backend poll failed on {}; the loop carries on", backend.name(), t);
            pauseAfterPollFailure();
        } finally {
            polling = false;
            sleeping.lazySet(false);
        }
        return handledInRun;
    }

    private void dispatch(Op op, int bytes, int error) {
        op.markCompleted();
        handledInRun++;
        IocpIoRegistration registration = (IocpIoRegistration) op.handler();
        try {
            registration.onCompletion(op, bytes, error);
        } catch (Throwable t) {
            if (t instanceof ThreadDeath) {
                throw t;
            }
            logger.warn("the handle of {} threw on its completion; its channel is closed, the loop carries on", op,
                    t);
            try {
                registration.handle().close();
            } catch (Throwable t2) {
                if (t2 instanceof ThreadDeath) {
                    throw (ThreadDeath) t2;
                }
                logger.error("closing the channel of {} after its handle threw failed as well", op, t2);
            }
        }
    }

    private static void pauseAfterPollFailure() {
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void wakeup() {
        if (!inLoop() && sleeping.getAndSet(false)) {
            backend.wakeup();
        }
    }

    @Override
    public IoRegistration register(IoHandle handle) {
        if (!(handle instanceof IocpIoHandle)) {
            throw new IllegalArgumentException("not an iocp handle: " + handle);
        }
        if (destroyed) {
            throw new IllegalStateException("the iocp handler is destroyed");
        }
        IocpIoRegistration registration = new IocpIoRegistration(this, (IocpIoHandle) handle);
        registrations.add(registration);
        handle.registered();
        return registration;
    }

    /** Called by a registration once it is cancelled and its last packet has come. */
    void unregistered(IocpIoRegistration registration) {
        registrations.remove(registration);
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
        return IocpIoHandle.class.isAssignableFrom(handleType);
    }

    /** Closes every handle still registered; their ops' packets then come back (aborted) and are dispatched. */
    @Override
    public void prepareToDestroy() {
        for (IocpIoRegistration registration : new ArrayList<>(registrations)) {
            try {
                registration.handle().close();
            } catch (Throwable t) {
                logger.warn("closing {} for the loop's shutdown failed", registration.handle(), t);
            }
        }
    }

    @Override
    public void destroy() {
        destroyed = true;
        // The executor has terminated: Netty's close (which posts its deregistration as a task) cannot run now. What
        // is still registered is closed without pipeline events; its packets then come back below.
        for (IocpIoRegistration registration : new ArrayList<>(registrations)) {
            try {
                if (registration.handle() instanceof AbstractIocpChannel.IocpUnsafe) {
                    ((AbstractIocpChannel.IocpUnsafe) registration.handle()).closeForDestroy();
                } else {
                    registration.handle().close();
                }
            } catch (Throwable t) {
                logger.warn("closing {} at the loop's end failed", registration.handle(), t);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DESTROY_WAIT_SECONDS);
        while (slab.inFlight() > 0 && System.nanoTime() - deadline < 0) {
            try {
                backend.poll(slab, dispatch, DESTROY_POLL_NANOS);
            } catch (Throwable t) {
                logger.warn("backend poll failed while waiting for the last packets", t);
                break;
            }
        }
        try {
            if (slab.inFlight() == 0) {
                slab.close();
            } else {
                logger.error("{} ops still in flight after {} s; leaking their memory rather than freeing what the"
                        + " kernel may still write", slab.inFlight(), DESTROY_WAIT_SECONDS);
                ABANDONED_SLABS.add(slab);
            }
        } finally {
            backend.close();
        }
    }

    /** Slabs whose last packets never came: kept reachable so nothing they name is collected (see destroy). */
    private static final java.util.Queue<OpSlab> ABANDONED_SLABS = new java.util.concurrent.ConcurrentLinkedQueue<>();
}
