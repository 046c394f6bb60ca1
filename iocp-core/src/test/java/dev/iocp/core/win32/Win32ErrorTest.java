package dev.iocp.core.win32;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Win32ErrorTest {
    @Test
    void describeGivesNameAndNumber() {
        assertEquals("WSAECONNRESET (10054)", Win32Error.describe(10054));
        assertEquals("WSAEADDRINUSE (10048)", Win32Error.describe(Win32Error.WSAEADDRINUSE));
        assertEquals("ERROR_OPERATION_ABORTED (995)", Win32Error.describe(995));
        assertEquals("ERROR_NOT_FOUND (1168)", Win32Error.describe(1168));
        assertEquals("WSAECONNREFUSED (10061)", Win32Error.describe(10061));
        assertEquals("ERROR_CONNECTION_REFUSED (1225)", Win32Error.describe(1225));
        assertEquals("WIN32_ERROR (4242)", Win32Error.describe(4242));
    }

    @Test
    void exceptionMessageNamesCallErrorAndNumber() {
        Win32Exception e = new Win32Exception("bind /127.0.0.1:80", Win32Error.WSAEADDRINUSE);
        assertEquals("bind /127.0.0.1:80: WSAEADDRINUSE (10048)", e.getMessage());
        assertEquals(10048, e.errorCode());
        assertEquals("WSAEADDRINUSE", e.errorName());
    }

    @Test
    void classification() {
        assertTrue(Win32Error.isReset(Win32Error.WSAECONNRESET));
        assertTrue(Win32Error.isReset(Win32Error.ERROR_NETNAME_DELETED));
        assertFalse(Win32Error.isReset(Win32Error.ERROR_OPERATION_ABORTED));
        assertTrue(Win32Error.isAborted(995));
    }
}
