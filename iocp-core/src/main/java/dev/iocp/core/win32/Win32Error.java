package dev.iocp.core.win32;

import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.NativeErrors;

/**
 * Win32 / Winsock error numbers, their names (each constant's own), and what each means to the library: the Win32
 * vocabulary ({@link #ERRORS}). The Win32 backend, and the simulated one (which simulates Windows), turn a Win32
 * number into the SPI's packed error ({@link IoError}) with {@code ERRORS.error(n)} where it enters the SPI; a person
 * reads it as {@code "Connection reset by peer (WSAECONNRESET 10054)"}, or {@code "WSAEADDRINUSE (10048)"} for a
 * number without words. Every public int constant here is a Win32 error number.
 */
public final class Win32Error {
    private Win32Error() {}

    public static final int NO_ERROR = 0;
    public static final int ERROR_TOO_MANY_OPEN_FILES = 4;
    public static final int ERROR_ACCESS_DENIED = 5;
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
    public static final int ERROR_ADDRESS_ALREADY_ASSOCIATED = 1227;

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


    /**
     * The table: each constant above names its number, and these lines say what the numbers mean (any other is
     * {@link ErrorCode#OTHER}). Where several numbers mean one thing, the Winsock one comes first: it is what a
     * socket call reports, and what fault injection stands in with. The kernel-flavoured ones (ERROR_NETNAME_DELETED,
     * ...) are what GetQueuedCompletionStatus reports when WSAGetOverlappedResult cannot be asked
     * (Win32Backend.winsockError). Vocabulary id 1 in packed errors (see {@link NativeErrors}).
     */
    public static final NativeErrors ERRORS = NativeErrors.builder(1, "Win32", "WIN32_ERROR", Win32Error.class)
            // The peer's reset, however the stack words it; a connection aborted under us reads the same to a user.
            .means(ErrorCode.RESET, WSAECONNRESET, ERROR_NETNAME_DELETED, WSAECONNABORTED, ERROR_CONNECTION_ABORTED,
                    WSAENETRESET)
            // CancelIoEx, or closesocket under a pending op: Windows says 995, Wine 676 (Wine fact 11).
            .means(ErrorCode.ABORTED, ERROR_OPERATION_ABORTED, ERROR_HANDLES_CLOSED)
            .means(ErrorCode.NOT_FOUND, ERROR_NOT_FOUND)
            .means(ErrorCode.REFUSED, WSAECONNREFUSED, ERROR_CONNECTION_REFUSED, ERROR_PORT_UNREACHABLE)
            .means(ErrorCode.ADDRESS_IN_USE, WSAEADDRINUSE, ERROR_ADDRESS_ALREADY_ASSOCIATED)
            .means(ErrorCode.ADDRESS_NOT_AVAILABLE, WSAEADDRNOTAVAIL)
            .means(ErrorCode.TIMED_OUT, WSAETIMEDOUT, ERROR_SEM_TIMEOUT, WAIT_TIMEOUT)
            .means(ErrorCode.NO_DESCRIPTORS, WSAEMFILE, ERROR_TOO_MANY_OPEN_FILES)
            .means(ErrorCode.NO_BUFFERS, WSAENOBUFS, ERROR_NOT_ENOUGH_MEMORY)
            .means(ErrorCode.NETWORK_UNREACHABLE, WSAENETUNREACH, ERROR_NETWORK_UNREACHABLE, WSAENETDOWN)
            .means(ErrorCode.HOST_UNREACHABLE, WSAEHOSTUNREACH, ERROR_HOST_UNREACHABLE)
            .means(ErrorCode.NOT_CONNECTED, WSAENOTCONN)
            .means(ErrorCode.SHUT_DOWN, WSAESHUTDOWN)
            .means(ErrorCode.INVALID_ARGUMENT, WSAEINVAL, ERROR_INVALID_PARAMETER, WSAEFAULT)
            .means(ErrorCode.BAD_HANDLE, WSAENOTSOCK, ERROR_INVALID_HANDLE, WSAEBADF)
            .means(ErrorCode.ACCESS_DENIED, WSAEACCES, ERROR_ACCESS_DENIED)
            .means(ErrorCode.WOULD_BLOCK, WSAEWOULDBLOCK)
            .means(ErrorCode.MESSAGE_TOO_LONG, WSAEMSGSIZE)
            // The words code written for Linux matches (NativeErrors' class comment), so that "the peer went away"
            // reads the same on every OS: the peer's RST is a reset; a connection gone otherwise (aborted by the
            // stack, a keep-alive failure, a send after a shutdown: where Linux's send says EPIPE) a broken pipe.
            .says("Connection reset by peer", WSAECONNRESET, ERROR_NETNAME_DELETED)
            .says("Broken pipe", WSAECONNABORTED, ERROR_CONNECTION_ABORTED, WSAENETRESET, WSAESHUTDOWN)
            .says("Connection refused", WSAECONNREFUSED, ERROR_CONNECTION_REFUSED, ERROR_PORT_UNREACHABLE)
            .build();
}
