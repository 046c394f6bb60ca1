package dev.iocp.transport;

import java.io.IOException;

/** A graceful close could not finish within its deadline (the peer did not read), so the connection was aborted. */
public class CloseTimeoutException extends IOException {
    /**
     * The exception, its message naming the deadline and what was left unsent.
     *
     * @param timeoutMillis the close deadline that passed
     * @param unsentBytes bytes still queued then
     */
    public CloseTimeoutException(long timeoutMillis, long unsentBytes) {
        super("graceful close did not finish within " + timeoutMillis + " ms with " + unsentBytes
                + " bytes unsent; aborted (RST)");
    }

    /**
     * The exception with its own message (a layer's deadline: TLS's close waiting for close_notify).
     *
     * @param message what did not finish in time
     */
    public CloseTimeoutException(String message) {
        super(message);
    }
}
