package dev.iocp.core.loop;

/**
 * Something a loop must close when it shuts down: a connection, a listener. Registered with
 * {@link IocpEventLoop#register(LoopResource)} on the loop thread.
 */
public interface LoopResource {
    /**
     * The loop is shutting down: close now (abortively is fine: nobody will wait for a graceful end any more).
     * Ops still in flight complete with their packets afterwards, which the loop keeps dispatching until every
     * op of every socket has its packet.
     */
    void closeForShutdown();
}
