package dev.iocp.core.win32;

import dev.iocp.core.backend.ExpectedErrors;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.IoException;
import org.junit.jupiter.api.Test;

import static dev.iocp.core.backend.ErrorCode.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** The Win32 vocabulary: every row, its name and its code; the describe form; the exception's message. */
class Win32ErrorTest {
    @Test
    void everyRowHasItsNameAndCodeAndNoOtherRowExists() {
        new ExpectedErrors()
                .means(RESET, "WSAECONNRESET 10054", "ERROR_NETNAME_DELETED 64", "WSAECONNABORTED 10053",
                        "ERROR_CONNECTION_ABORTED 1236", "WSAENETRESET 10052")
                .means(ABORTED, "ERROR_OPERATION_ABORTED 995", "ERROR_HANDLES_CLOSED 676")
                .means(NOT_FOUND, "ERROR_NOT_FOUND 1168")
                .means(REFUSED, "WSAECONNREFUSED 10061", "ERROR_CONNECTION_REFUSED 1225", "ERROR_PORT_UNREACHABLE 1234")
                .means(ADDRESS_IN_USE, "WSAEADDRINUSE 10048", "ERROR_ADDRESS_ALREADY_ASSOCIATED 1227")
                .means(ADDRESS_NOT_AVAILABLE, "WSAEADDRNOTAVAIL 10049")
                .means(TIMED_OUT, "WSAETIMEDOUT 10060", "ERROR_SEM_TIMEOUT 121", "WAIT_TIMEOUT 258")
                .means(NO_DESCRIPTORS, "WSAEMFILE 10024", "ERROR_TOO_MANY_OPEN_FILES 4")
                .means(NO_BUFFERS, "WSAENOBUFS 10055", "ERROR_NOT_ENOUGH_MEMORY 8")
                .means(NETWORK_UNREACHABLE, "WSAENETUNREACH 10051", "ERROR_NETWORK_UNREACHABLE 1231", "WSAENETDOWN 10050")
                .means(HOST_UNREACHABLE, "WSAEHOSTUNREACH 10065", "ERROR_HOST_UNREACHABLE 1232")
                .means(NOT_CONNECTED, "WSAENOTCONN 10057")
                .means(SHUT_DOWN, "WSAESHUTDOWN 10058")
                .means(INVALID_ARGUMENT, "WSAEINVAL 10022", "ERROR_INVALID_PARAMETER 87", "WSAEFAULT 10014")
                .means(BAD_HANDLE, "WSAENOTSOCK 10038", "ERROR_INVALID_HANDLE 6", "WSAEBADF 10009")
                .means(ACCESS_DENIED, "WSAEACCES 10013", "ERROR_ACCESS_DENIED 5")
                .means(WOULD_BLOCK, "WSAEWOULDBLOCK 10035")
                .means(MESSAGE_TOO_LONG, "WSAEMSGSIZE 10040")
                .means(OTHER, "NO_ERROR 0", "ERROR_IO_INCOMPLETE 996", "ERROR_IO_PENDING 997",
                        "ERROR_ABANDONED_WAIT_0 735", "ERROR_MORE_DATA 234", "ERROR_GRACEFUL_DISCONNECT 1226",
                        "WSAEINTR 10004", "WSAEINPROGRESS 10036", "WSAEALREADY 10037",
                        "WSAENOPROTOOPT 10042", "WSAEPROTONOSUPPORT 10043", "WSAEOPNOTSUPP 10045",
                        "WSAEAFNOSUPPORT 10047", "WSAEISCONN 10056", "WSASYSNOTREADY 10091",
                        "WSAVERNOTSUPPORTED 10092", "WSANOTINITIALISED 10093", "WSAEDISCON 10101")
                .says("Connection reset by peer", "WSAECONNRESET 10054", "ERROR_NETNAME_DELETED 64")
                .says("Broken pipe", "WSAECONNABORTED 10053", "ERROR_CONNECTION_ABORTED 1236", "WSAENETRESET 10052",
                        "WSAESHUTDOWN 10058")
                .says("Connection refused", "WSAECONNREFUSED 10061", "ERROR_CONNECTION_REFUSED 1225",
                        "ERROR_PORT_UNREACHABLE 1234")
                .check(Win32Error.ERRORS);
    }

    @Test
    void aNumberWithoutARowIsOtherNamedWin32Error() {
        int packed = Win32Error.ERRORS.error(4242);
        assertNotEquals(IoError.SUCCESS, packed);
        assertEquals(OTHER, IoError.code(packed));
        assertEquals("WIN32_ERROR (4242)", IoError.describe(packed));
    }

    /** What fault injection and the simulated backend stand in with for a code: the Winsock number first. */
    @Test
    void theFirstNumberOfACodeIsItsWinsockNumber() {
        assertEquals(Win32Error.WSAECONNRESET, Win32Error.ERRORS.nativeNumberFor(RESET));
        assertEquals(Win32Error.ERROR_OPERATION_ABORTED, Win32Error.ERRORS.nativeNumberFor(ABORTED));
        assertEquals(Win32Error.WSAEMFILE, Win32Error.ERRORS.nativeNumberFor(NO_DESCRIPTORS));
        assertEquals(Win32Error.WSAENOBUFS, Win32Error.ERRORS.nativeNumberFor(NO_BUFFERS));
        assertEquals(Win32Error.WSAEINVAL, Win32Error.ERRORS.nativeNumberFor(INVALID_ARGUMENT));
        assertEquals(-1, Win32Error.ERRORS.nativeNumberFor(OTHER), "OTHER has no number standing for it");
    }

    @Test
    void exceptionMessageNamesCallErrorAndNumber() {
        IoException e = Win32Error.ERRORS.exception("bind /127.0.0.1:80", Win32Error.WSAEADDRINUSE);
        assertEquals("bind /127.0.0.1:80: WSAEADDRINUSE (10048)", e.getMessage());
        assertEquals("bind /127.0.0.1:80", e.call());
        assertEquals(ADDRESS_IN_USE, e.code());
        assertEquals(10048, e.nativeNumber());
        assertEquals("WSAEADDRINUSE", e.nativeName());
    }
}
