package dev.iocp.core.loop;

import dev.iocp.core.backend.BackendFactory;
import dev.iocp.core.backend.Backends;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.MultithreadEventExecutorGroup;
import io.netty.util.concurrent.ThreadPerTaskExecutor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;

/**
 * N event loops, each with its own backend (its own completion port). Servers spread accepted connections over
 * them with {@link #next()}.
 *
 * <p>A loop thread never ends but by a shutdown (see {@link IocpEventLoop#run()}). If one is nevertheless ended — the
 * thread was stopped — the group says so: {@link #loopFailures()} lists it, and the handler set with
 * {@link #onLoopFailure} is told.
 */
public final class IocpEventLoopGroup extends MultithreadEventExecutorGroup {
    private static final NeverThrowingLogger logger = NeverThrowingLogger.of(IocpEventLoopGroup.class);

    private final List<Throwable> failures = new ArrayList<>();
    private final List<IocpEventLoop> failedLoops = new ArrayList<>();
    private BiConsumer<? super IocpEventLoop, ? super Throwable> failureHandler;

    /** One loop per available processor, on the platform's default backend ({@link Backends#defaultFactory()}). */
    public IocpEventLoopGroup() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /**
     * {@code loops} loops on the platform's default backend.
     *
     * @param loops how many loops (threads, completion ports)
     */
    public IocpEventLoopGroup(int loops) {
        this(loops, Backends.defaultFactory());
    }

    /**
     * {@code loops} loops, each with a backend from {@code backendFactory}.
     *
     * @param loops how many loops (threads, completion ports)
     * @param backendFactory makes each loop's backend
     */
    public IocpEventLoopGroup(int loops, BackendFactory backendFactory) {
        super(loops, new ThreadPerTaskExecutor(new DefaultThreadFactory("iocp-loop")), backendFactory);
    }

    @Override
    protected EventExecutor newChild(Executor executor, Object... args) throws Exception {
        BackendFactory factory = (BackendFactory) args[0];
        return new IocpEventLoop(this, executor, factory.newBackend());
    }

    /**
     * Sets the handler told when a loop of this group ends other than by a shutdown, replacing the previous one
     * ({@code null}: none). It is called on the dying loop's thread with the loop and what ended it, and at once for
     * each loop that already ended so. It must not block. What it throws is logged and ignored.
     *
     * @param handler the handler, or null
     * @return this group
     */
    public IocpEventLoopGroup onLoopFailure(BiConsumer<? super IocpEventLoop, ? super Throwable> handler) {
        List<IocpEventLoop> loops;
        List<Throwable> causes;
        synchronized (failures) {
            failureHandler = handler;
            loops = new ArrayList<>(failedLoops);
            causes = new ArrayList<>(failures);
        }
        if (handler != null) {
            for (int i = 0; i < loops.size(); i++) {
                tell(handler, loops.get(i), causes.get(i));
            }
        }
        return this;
    }

    /** {@return what ended each loop that ended other than by a shutdown (empty while all serve). Any thread} */
    public List<Throwable> loopFailures() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }

    /** Called by a loop whose thread is ending other than by a shutdown, on that thread. */
    void loopFailed(IocpEventLoop loop, Throwable cause) {
        BiConsumer<? super IocpEventLoop, ? super Throwable> handler;
        synchronized (failures) {
            failures.add(cause);
            failedLoops.add(loop);
            handler = failureHandler;
        }
        logger.error("the thread of {} ended other than by a shutdown; its connections are closed and it serves"
                + " nothing any more", loop, cause);
        if (handler != null) {
            tell(handler, loop, cause);
        }
    }

    private static void tell(BiConsumer<? super IocpEventLoop, ? super Throwable> handler, IocpEventLoop loop,
                             Throwable cause) {
        try {
            handler.accept(loop, cause);
        } catch (Throwable t) {
            logger.warn("the loop failure handler threw; ignored", t);
        }
    }

    @Override
    public IocpEventLoop next() {
        return (IocpEventLoop) super.next();
    }
}
