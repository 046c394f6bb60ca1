package dev.iocp.core.loop;

import dev.iocp.core.backend.BackendFactory;
import dev.iocp.core.backend.Backends;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.MultithreadEventExecutorGroup;
import io.netty.util.concurrent.ThreadPerTaskExecutor;

import java.util.concurrent.Executor;

/**
 * N event loops, each with its own backend (its own completion port). Servers spread accepted connections over
 * them with {@link #next()}.
 */
public final class IocpEventLoopGroup extends MultithreadEventExecutorGroup {

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

    @Override
    public IocpEventLoop next() {
        return (IocpEventLoop) super.next();
    }
}
