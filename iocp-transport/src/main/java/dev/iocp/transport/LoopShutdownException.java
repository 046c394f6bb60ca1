package dev.iocp.transport;

import java.io.IOException;

/**
 * The event loop shut down under a connection, a pending connect or a listener: the connection was aborted (the
 * peer sees RST), or a connect failed before it was handed out.
 */
public class LoopShutdownException extends IOException {
    /**
     * The exception.
     *
     * @param message what was cut short
     */
    public LoopShutdownException(String message) {
        super(message);
    }
}
