package dev.iocp.transport;

import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.IoException;

/**
 * The peer reset the connection (it sent RST: SO_LINGER 0, or it crashed, or it closed with data unread). Its
 * {@link #code()} is always {@link ErrorCode#RESET}; the native error says how the OS put it
 * ({@code Connection reset by peer (WSAECONNRESET 10054)}, {@code Connection reset by peer (ECONNRESET 104)},
 * {@code Broken pipe (EPIPE 32)} for a send after the reset).
 */
public class ConnectionResetException extends IoException {
    /**
     * @param during what the connection was doing: {@code "receive"}, {@code "send"}
     * @param error a packed error ({@link IoError}) whose code is {@link ErrorCode#RESET}
     */
    public ConnectionResetException(String during, int error) {
        super(during, requireReset(error),
                "connection reset by peer during " + during + ": " + IoError.describe(error));
    }

    private static int requireReset(int error) {
        if (!IoError.isReset(error)) {
            throw new IllegalArgumentException("not a reset: " + IoError.describe(error));
        }
        return error;
    }
}
