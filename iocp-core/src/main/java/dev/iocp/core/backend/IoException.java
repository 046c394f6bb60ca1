package dev.iocp.core.backend;

import java.io.IOException;

/**
 * A socket call or an op failed with an operating-system error. It carries the call in the library's words
 * ({@code "receive"}, {@code "accept"}, {@code "bind /127.0.0.1:80"}, {@code "setsockopt SO_LINGER"}), and the
 * error ({@link IoError}: the {@link ErrorCode} to decide by, the native number and name to read). Its message is
 * the call and the error as {@link IoError#describe} reads it: {@code "receive: Connection reset by peer (WSAECONNRESET
 * 10054)"} on Windows, {@code "receive: Connection reset by peer (ECONNRESET 104)"} on Linux,
 * {@code "send: Broken pipe (EPIPE 32)"} — the words Reactor Netty and Spring match to tell that the peer went away,
 * with the native name and number kept.
 */
public class IoException extends IOException {
    /** @serial the call that failed, in the library's words */
    private final String call;
    /** @serial the packed error ({@link IoError}) */
    private final int error;

    /**
     * The exception for a failed call; its message is the call and the error.
     *
     * @param call the call, in the library's words
     * @param error a packed error ({@link IoError}), not 0
     */
    public IoException(String call, int error) {
        this(call, error, call + ": " + IoError.describe(error));
    }

    /**
     * For subclasses whose message says more than the call and the error.
     *
     * @param call the call, in the library's words
     * @param error a packed error ({@link IoError}), not 0
     * @param message the whole message
     */
    protected IoException(String call, int error, String message) {
        super(message);
        if (error == IoError.SUCCESS) {
            throw new IllegalArgumentException("an IoException needs an error, not success (" + call + ")");
        }
        this.call = call;
        this.error = error;
    }

    /** {@return the call that failed, in the library's words} */
    public String call() {
        return call;
    }

    /** {@return the packed error ({@link IoError})} */
    public int error() {
        return error;
    }

    /** {@return the error's code: decide by it, it is the same on every OS} */
    public ErrorCode code() {
        return IoError.code(error);
    }

    /** {@return the native number (a Win32 error, an errno)} */
    public int nativeNumber() {
        return IoError.nativeNumber(error);
    }

    /** {@return the native name ({@code "WSAECONNRESET"}, {@code "ECONNRESET"})} */
    public String nativeName() {
        return IoError.nativeName(error);
    }
}
