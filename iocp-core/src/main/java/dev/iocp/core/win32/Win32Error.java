package dev.iocp.core.win32;

import java.util.Map;

/**
 * Win32 / Winsock error numbers the product reacts to, with their names.
 *
 * <p>Error codes travel through the backend SPI as plain {@code int}s in Win32 numbering on every backend
 * (the simulated and io_uring backends translate into it), so that the transport has one vocabulary.
 * {@link #describe(int)} is the one way an error is shown to a person: {@code "WSAECONNRESET (10054)"}.
 */
public final class Win32Error {
    private Win32Error() {}

    public static final int NO_ERROR = 0;
    public static final int ERROR_INVALID_HANDLE = 6;
    public static final int ERROR_NOT_ENOUGH_MEMORY = 8;
    public static final int ERROR_INVALID_PARAMETER = 87;
    public static final int ERROR_NETNAME_DELETED = 64;
    public static final int WAIT_TIMEOUT = 258;
    public static final int ERROR_OPERATION_ABORTED = 995;
    public static final int ERROR_IO_INCOMPLETE = 996;
    public static final int ERROR_IO_PENDING = 997;
    public static final int ERROR_CONNECTION_REFUSED = 1225;
    public static final int ERROR_CONNECTION_ABORTED = 1236;
    public static final int ERROR_NOT_FOUND = 1168;
    public static final int ERROR_ABANDONED_WAIT_0 = 735;
    public static final int ERROR_SEM_TIMEOUT = 121;
    public static final int ERROR_MORE_DATA = 234;
    /** From STATUS_HANDLES_CLOSED: Wine completes the ops pending on a socket closed under them with this. */
    public static final int ERROR_HANDLES_CLOSED = 676;
    public static final int ERROR_NETWORK_UNREACHABLE = 1231;
    public static final int ERROR_HOST_UNREACHABLE = 1232;
    public static final int ERROR_PORT_UNREACHABLE = 1234;
    public static final int ERROR_GRACEFUL_DISCONNECT = 1226;

    public static final int WSAEINTR = 10004;
    public static final int WSAEBADF = 10009;
    public static final int WSAEACCES = 10013;
    public static final int WSAEFAULT = 10014;
    public static final int WSAEINVAL = 10022;
    public static final int WSAEMFILE = 10024;
    public static final int WSAEWOULDBLOCK = 10035;
    public static final int WSAEINPROGRESS = 10036;
    public static final int WSAEALREADY = 10037;
    public static final int WSAENOTSOCK = 10038;
    public static final int WSAEMSGSIZE = 10040;
    public static final int WSAENOPROTOOPT = 10042;
    public static final int WSAEPROTONOSUPPORT = 10043;
    public static final int WSAEOPNOTSUPP = 10045;
    public static final int WSAEAFNOSUPPORT = 10047;
    public static final int WSAEADDRINUSE = 10048;
    public static final int WSAEADDRNOTAVAIL = 10049;
    public static final int WSAENETDOWN = 10050;
    public static final int WSAENETUNREACH = 10051;
    public static final int WSAENETRESET = 10052;
    public static final int WSAECONNABORTED = 10053;
    public static final int WSAECONNRESET = 10054;
    public static final int WSAENOBUFS = 10055;
    public static final int WSAEISCONN = 10056;
    public static final int WSAENOTCONN = 10057;
    public static final int WSAESHUTDOWN = 10058;
    public static final int WSAETIMEDOUT = 10060;
    public static final int WSAECONNREFUSED = 10061;
    public static final int WSAEHOSTUNREACH = 10065;
    public static final int WSASYSNOTREADY = 10091;
    public static final int WSAVERNOTSUPPORTED = 10092;
    public static final int WSANOTINITIALISED = 10093;
    public static final int WSAEDISCON = 10101;
    public static final int WSA_OPERATION_ABORTED = ERROR_OPERATION_ABORTED;
    public static final int WSA_IO_PENDING = ERROR_IO_PENDING;

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(NO_ERROR, "NO_ERROR"),
            Map.entry(ERROR_INVALID_HANDLE, "ERROR_INVALID_HANDLE"),
            Map.entry(ERROR_NOT_ENOUGH_MEMORY, "ERROR_NOT_ENOUGH_MEMORY"),
            Map.entry(ERROR_INVALID_PARAMETER, "ERROR_INVALID_PARAMETER"),
            Map.entry(ERROR_NETNAME_DELETED, "ERROR_NETNAME_DELETED"),
            Map.entry(WAIT_TIMEOUT, "WAIT_TIMEOUT"),
            Map.entry(ERROR_OPERATION_ABORTED, "ERROR_OPERATION_ABORTED"),
            Map.entry(ERROR_IO_INCOMPLETE, "ERROR_IO_INCOMPLETE"),
            Map.entry(ERROR_IO_PENDING, "ERROR_IO_PENDING"),
            Map.entry(ERROR_CONNECTION_REFUSED, "ERROR_CONNECTION_REFUSED"),
            Map.entry(ERROR_CONNECTION_ABORTED, "ERROR_CONNECTION_ABORTED"),
            Map.entry(ERROR_NOT_FOUND, "ERROR_NOT_FOUND"),
            Map.entry(ERROR_ABANDONED_WAIT_0, "ERROR_ABANDONED_WAIT_0"),
            Map.entry(ERROR_SEM_TIMEOUT, "ERROR_SEM_TIMEOUT"),
            Map.entry(ERROR_MORE_DATA, "ERROR_MORE_DATA"),
            Map.entry(ERROR_HANDLES_CLOSED, "ERROR_HANDLES_CLOSED"),
            Map.entry(ERROR_NETWORK_UNREACHABLE, "ERROR_NETWORK_UNREACHABLE"),
            Map.entry(ERROR_HOST_UNREACHABLE, "ERROR_HOST_UNREACHABLE"),
            Map.entry(ERROR_PORT_UNREACHABLE, "ERROR_PORT_UNREACHABLE"),
            Map.entry(ERROR_GRACEFUL_DISCONNECT, "ERROR_GRACEFUL_DISCONNECT"),
            Map.entry(WSAEINTR, "WSAEINTR"),
            Map.entry(WSAEBADF, "WSAEBADF"),
            Map.entry(WSAEACCES, "WSAEACCES"),
            Map.entry(WSAEFAULT, "WSAEFAULT"),
            Map.entry(WSAEINVAL, "WSAEINVAL"),
            Map.entry(WSAEMFILE, "WSAEMFILE"),
            Map.entry(WSAEWOULDBLOCK, "WSAEWOULDBLOCK"),
            Map.entry(WSAEINPROGRESS, "WSAEINPROGRESS"),
            Map.entry(WSAEALREADY, "WSAEALREADY"),
            Map.entry(WSAENOTSOCK, "WSAENOTSOCK"),
            Map.entry(WSAEMSGSIZE, "WSAEMSGSIZE"),
            Map.entry(WSAENOPROTOOPT, "WSAENOPROTOOPT"),
            Map.entry(WSAEPROTONOSUPPORT, "WSAEPROTONOSUPPORT"),
            Map.entry(WSAEOPNOTSUPP, "WSAEOPNOTSUPP"),
            Map.entry(WSAEAFNOSUPPORT, "WSAEAFNOSUPPORT"),
            Map.entry(WSAEADDRINUSE, "WSAEADDRINUSE"),
            Map.entry(WSAEADDRNOTAVAIL, "WSAEADDRNOTAVAIL"),
            Map.entry(WSAENETDOWN, "WSAENETDOWN"),
            Map.entry(WSAENETUNREACH, "WSAENETUNREACH"),
            Map.entry(WSAENETRESET, "WSAENETRESET"),
            Map.entry(WSAECONNABORTED, "WSAECONNABORTED"),
            Map.entry(WSAECONNRESET, "WSAECONNRESET"),
            Map.entry(WSAENOBUFS, "WSAENOBUFS"),
            Map.entry(WSAEISCONN, "WSAEISCONN"),
            Map.entry(WSAENOTCONN, "WSAENOTCONN"),
            Map.entry(WSAESHUTDOWN, "WSAESHUTDOWN"),
            Map.entry(WSAETIMEDOUT, "WSAETIMEDOUT"),
            Map.entry(WSAECONNREFUSED, "WSAECONNREFUSED"),
            Map.entry(WSAEHOSTUNREACH, "WSAEHOSTUNREACH"),
            Map.entry(WSASYSNOTREADY, "WSASYSNOTREADY"),
            Map.entry(WSAVERNOTSUPPORTED, "WSAVERNOTSUPPORTED"),
            Map.entry(WSANOTINITIALISED, "WSANOTINITIALISED"),
            Map.entry(WSAEDISCON, "WSAEDISCON"));

    /** The symbolic name, or {@code "WIN32_ERROR"} for a number we have no name for. */
    public static String name(int code) {
        String n = NAMES.get(code);
        return n != null ? n : "WIN32_ERROR";
    }

    /** {@code "WSAECONNRESET (10054)"}: name and number, the form every message uses. */
    public static String describe(int code) {
        return name(code) + " (" + code + ")";
    }

    /** The peer reset the connection (RST): what a receive or send completes with after the peer's abort. */
    public static boolean isReset(int code) {
        return code == WSAECONNRESET || code == ERROR_NETNAME_DELETED || code == WSAECONNABORTED
                || code == ERROR_CONNECTION_ABORTED || code == WSAENETRESET;
    }

    /**
     * The op was cancelled (CancelIoEx, or its socket was closed under it: Windows reports ERROR_OPERATION_ABORTED,
     * Wine ERROR_HANDLES_CLOSED).
     */
    public static boolean isAborted(int code) {
        return code == ERROR_OPERATION_ABORTED || code == ERROR_HANDLES_CLOSED;
    }
}
