package dev.iocp.core.backend;

/** Makes the backend of one event loop. */
@FunctionalInterface
public interface BackendFactory {
    Backend newBackend() throws Exception;
}
