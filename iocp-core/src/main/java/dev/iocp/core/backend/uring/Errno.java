package dev.iocp.core.backend.uring;

import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.NativeErrors;

/**
 * Linux errno values (x86-64 / generic numbering; the same on aarch64), their names (each constant's own), and what
 * each means to the library: the errno vocabulary ({@link #ERRORS}). The io_uring backend turns an errno into the
 * SPI's packed error ({@link IoError}) with {@code ERRORS.error(n)} where it enters the SPI — a CQE's negative result,
 * a failed synchronous call — and nowhere else; a person reads it as
 * {@code "Connection reset by peer (ECONNRESET 104)"}, or {@code "EADDRINUSE (98)"} for a number without words.
 * Every public int
 * constant here is an errno.
 */
public final class Errno {
    private Errno() {}

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int EINVAL = 22;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int ENOSPC = 28;
    public static final int EPIPE = 32;
    public static final int ENOSYS = 38;
    public static final int ETIME = 62;
    public static final int ENOTSOCK = 88;
    public static final int EDESTADDRREQ = 89;
    public static final int EMSGSIZE = 90;
    public static final int EPROTOTYPE = 91;
    public static final int ENOPROTOOPT = 92;
    public static final int EPROTONOSUPPORT = 93;
    public static final int EOPNOTSUPP = 95;
    public static final int EAFNOSUPPORT = 97;
    public static final int EADDRINUSE = 98;
    public static final int EADDRNOTAVAIL = 99;
    public static final int ENETDOWN = 100;
    public static final int ENETUNREACH = 101;
    public static final int ENETRESET = 102;
    public static final int ECONNABORTED = 103;
    public static final int ECONNRESET = 104;
    public static final int ENOBUFS = 105;
    public static final int EISCONN = 106;
    public static final int ENOTCONN = 107;
    public static final int ESHUTDOWN = 108;
    public static final int ETIMEDOUT = 110;
    public static final int ECONNREFUSED = 111;
    public static final int EHOSTDOWN = 112;
    public static final int EHOSTUNREACH = 113;
    public static final int EALREADY = 114;
    public static final int EINPROGRESS = 115;
    public static final int ECANCELED = 125;


    /**
     * The table: each constant above names its number, and these lines say what the numbers mean (any other is
     * {@link ErrorCode#OTHER}). Where several numbers mean one thing, the first is what fault injection stands in
     * with. Vocabulary id 2 in packed errors (see {@link NativeErrors}).
     */
    public static final NativeErrors ERRORS = NativeErrors.builder(2, "errno", "ERRNO", Errno.class)
            // The peer's reset, and a send after it (EPIPE: the reset was already reported once): both are a reset,
            // as is a connection the stack aborted under us.
            .means(ErrorCode.RESET, ECONNRESET, EPIPE, ECONNABORTED, ENETRESET)
            // A cancelled op (sync cancel, or the cancel-all that close() does first).
            .means(ErrorCode.ABORTED, ECANCELED)
            // A sync cancel that found nothing: the op had completed.
            .means(ErrorCode.NOT_FOUND, ENOENT)
            .means(ErrorCode.REFUSED, ECONNREFUSED)
            .means(ErrorCode.ADDRESS_IN_USE, EADDRINUSE)
            .means(ErrorCode.ADDRESS_NOT_AVAILABLE, EADDRNOTAVAIL)
            .means(ErrorCode.TIMED_OUT, ETIMEDOUT, ETIME)
            .means(ErrorCode.NO_DESCRIPTORS, EMFILE, ENFILE)
            .means(ErrorCode.NO_BUFFERS, ENOBUFS, ENOMEM)
            .means(ErrorCode.NETWORK_UNREACHABLE, ENETUNREACH, ENETDOWN)
            .means(ErrorCode.HOST_UNREACHABLE, EHOSTUNREACH, EHOSTDOWN)
            .means(ErrorCode.NOT_CONNECTED, ENOTCONN, EDESTADDRREQ)
            .means(ErrorCode.SHUT_DOWN, ESHUTDOWN)
            .means(ErrorCode.INVALID_ARGUMENT, EINVAL, EFAULT)
            .means(ErrorCode.BAD_HANDLE, EBADF, ENOTSOCK)
            .means(ErrorCode.ACCESS_DENIED, EACCES, EPERM)
            .means(ErrorCode.WOULD_BLOCK, EAGAIN)
            .means(ErrorCode.MESSAGE_TOO_LONG, EMSGSIZE)
            // The words of Linux's strerror (NativeErrors' class comment), with the same rule as the Win32 table's:
            // the peer's RST is a reset; a connection gone otherwise (aborted, a keep-alive failure, a send after a
            // shutdown) a broken pipe, so every RESET reads with one of the two phrases frameworks match.
            .says("Connection reset by peer", ECONNRESET)
            .says("Broken pipe", EPIPE, ECONNABORTED, ENETRESET, ESHUTDOWN)
            .says("Connection refused", ECONNREFUSED)
            .build();
}
