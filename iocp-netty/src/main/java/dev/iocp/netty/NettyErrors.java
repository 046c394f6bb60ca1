package dev.iocp.netty;

import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.IoException;

import java.io.IOException;

/**
 * The one place iocp-netty reads a backend error (an {@link IoError}): what it means for a channel, decided by the
 * library's {@link ErrorCode}, and the {@link IOException} a Netty user gets. That is an {@link IoException} whose
 * message names the call and the error in the words frameworks match, with the native name and number —
 * {@code "receive: Connection reset by peer (WSAECONNRESET 10054)"} on Windows,
 * {@code "receive: Connection reset by peer (ECONNRESET 104)"} on Linux — and whose {@link IoException#code()}
 * says RESET for a reset, so a reset is never mistaken for a clean EOF (a 0-byte receive).
 */
final class NettyErrors {
    private NettyErrors() {}

    static boolean isReset(int error) {
        return IoError.isReset(error);
    }

    static boolean isRefused(int error) {
        return IoError.is(error, ErrorCode.REFUSED);
    }

    static IOException exception(String call, int error) {
        return new IoException(call, error);
    }
}
