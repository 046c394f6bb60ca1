package dev.iocp.transport;

import java.io.IOException;

/** A graceful close could not finish within its deadline (the peer did not read), so the connection was aborted. */
public class CloseTimeoutException extends IOException {
    public CloseTimeoutException(long timeoutMillis, long unsentBytes) {
        super("graceful close did not finish within " + timeoutMillis + " ms with " + unsentBytes
                + " bytes unsent; aborted (RST)");
    }
}
