package dev.iocp.core.backend;

/** Makes the backend of one event loop. */
@FunctionalInterface
public interface BackendFactory {
    /**
     * Makes one loop's backend; called once per loop, on the thread creating the loop's group.
     *
     * @return a new backend, owned by the loop that asked
     * @throws Exception if the backend cannot start here (the message says why: e.g. io_uring disabled)
     */
    Backend newBackend() throws Exception;
}
