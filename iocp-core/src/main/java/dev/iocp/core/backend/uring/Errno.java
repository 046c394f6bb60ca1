package dev.iocp.core.backend.uring;

import dev.iocp.core.win32.Win32Error;

/**
 * Linux errno values (x86-64 / generic numbering; the same on aarch64) and their translation into the Win32 numbers
 * the backend SPI speaks ({@link Win32Error}), so that the transport has one vocabulary on every backend.
 *
 * <p>The translation is a table, not a guess per call site: {@link #toWin32} is the only place an errno becomes a
 * Win32 number, and the test checks every row.
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

    /** What an errno we have no row for becomes: a plain failure, neither a reset nor an abort. */
    public static final int UNMAPPED = Win32Error.ERROR_INVALID_PARAMETER;

    /** errno → Win32, indexed by errno; 0 = no row. Filled once, read-only afterwards. */
    private static final int[] WIN32 = new int[128];
    private static final String[] NAMES = new String[128];

    private static void row(int errno, String name, int win32) {
        WIN32[errno] = win32;
        NAMES[errno] = name;
    }

    static {
        // The peer's reset, and a send after it (EPIPE: the reset was already reported once): both are a reset.
        row(ECONNRESET, "ECONNRESET", Win32Error.WSAECONNRESET);
        row(EPIPE, "EPIPE", Win32Error.WSAECONNRESET);
        // A cancelled op (sync cancel, or the cancel-all that close() does first): the Win32 "aborted".
        row(ECANCELED, "ECANCELED", Win32Error.ERROR_OPERATION_ABORTED);
        row(ECONNREFUSED, "ECONNREFUSED", Win32Error.WSAECONNREFUSED);
        row(EADDRINUSE, "EADDRINUSE", Win32Error.WSAEADDRINUSE);
        row(EADDRNOTAVAIL, "EADDRNOTAVAIL", Win32Error.WSAEADDRNOTAVAIL);
        row(ENOTCONN, "ENOTCONN", Win32Error.WSAENOTCONN);
        row(EBADF, "EBADF", Win32Error.WSAENOTSOCK);
        row(ENOTSOCK, "ENOTSOCK", Win32Error.WSAENOTSOCK);
        row(ETIMEDOUT, "ETIMEDOUT", Win32Error.WSAETIMEDOUT);
        row(EINVAL, "EINVAL", Win32Error.WSAEINVAL);
        row(EINTR, "EINTR", Win32Error.WSAEINTR);
        row(EPERM, "EPERM", Win32Error.WSAEACCES);
        row(EACCES, "EACCES", Win32Error.WSAEACCES);
        row(EFAULT, "EFAULT", Win32Error.WSAEFAULT);
        row(EMFILE, "EMFILE", Win32Error.WSAEMFILE);
        row(ENFILE, "ENFILE", Win32Error.WSAEMFILE);
        row(EAGAIN, "EAGAIN", Win32Error.WSAEWOULDBLOCK);
        row(EINPROGRESS, "EINPROGRESS", Win32Error.WSAEINPROGRESS);
        row(EALREADY, "EALREADY", Win32Error.WSAEALREADY);
        row(EMSGSIZE, "EMSGSIZE", Win32Error.WSAEMSGSIZE);
        row(ENOPROTOOPT, "ENOPROTOOPT", Win32Error.WSAENOPROTOOPT);
        row(EPROTONOSUPPORT, "EPROTONOSUPPORT", Win32Error.WSAEPROTONOSUPPORT);
        row(EOPNOTSUPP, "EOPNOTSUPP", Win32Error.WSAEOPNOTSUPP);
        row(EAFNOSUPPORT, "EAFNOSUPPORT", Win32Error.WSAEAFNOSUPPORT);
        row(ENETDOWN, "ENETDOWN", Win32Error.WSAENETDOWN);
        row(ENETUNREACH, "ENETUNREACH", Win32Error.WSAENETUNREACH);
        row(ENETRESET, "ENETRESET", Win32Error.WSAENETRESET);
        row(ECONNABORTED, "ECONNABORTED", Win32Error.WSAECONNABORTED);
        row(ENOBUFS, "ENOBUFS", Win32Error.WSAENOBUFS);
        row(ENOMEM, "ENOMEM", Win32Error.WSAENOBUFS);
        row(EISCONN, "EISCONN", Win32Error.WSAEISCONN);
        row(ESHUTDOWN, "ESHUTDOWN", Win32Error.WSAESHUTDOWN);
        row(EHOSTUNREACH, "EHOSTUNREACH", Win32Error.WSAEHOSTUNREACH);
        row(EHOSTDOWN, "EHOSTDOWN", Win32Error.WSAEHOSTUNREACH);
        // Named for messages, no better Win32 row than the default.
        NAMES[ENOENT] = "ENOENT";
        NAMES[EIO] = "EIO";
        NAMES[EBUSY] = "EBUSY";
        NAMES[EEXIST] = "EEXIST";
        NAMES[ENOSPC] = "ENOSPC";
        NAMES[ENOSYS] = "ENOSYS";
        NAMES[ETIME] = "ETIME";
        NAMES[EDESTADDRREQ] = "EDESTADDRREQ";
        NAMES[EPROTOTYPE] = "EPROTOTYPE";
    }

    /** The Win32 number for {@code errno} (positive); {@link #UNMAPPED} for one without a row; never 0. */
    public static int toWin32(int errno) {
        int w = errno > 0 && errno < WIN32.length ? WIN32[errno] : 0;
        return w != 0 ? w : UNMAPPED;
    }

    /** {@code "ECONNRESET"}, or {@code "errno 71"}. */
    public static String name(int errno) {
        String n = errno > 0 && errno < NAMES.length ? NAMES[errno] : null;
        return n != null ? n : "errno " + errno;
    }
}
