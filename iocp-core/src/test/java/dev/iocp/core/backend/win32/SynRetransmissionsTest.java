package dev.iocp.core.backend.win32;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which Windows reads MaxSynRetransmissions 0xFE as "no retransmission" (Windows 10 1709, build 16299, on): an
 * earlier one would read 254 retransmissions, so the loopback ioctl must be skipped there. Pure logic, any OS.
 */
class SynRetransmissionsTest {
    private static boolean knows(int major, int minor, int build) {
        return Win32Backend.knowsNoSynRetransmissions(new int[] {major, minor, build});
    }

    @Test
    void windows10From1709AndLaterKnowTheValue() {
        assertTrue(knows(10, 0, 16299), "1709");
        assertTrue(knows(10, 0, 17763), "1809 / Server 2019");
        assertTrue(knows(10, 0, 20348), "Server 2022");
        assertTrue(knows(10, 0, 26100), "Windows 11 24H2 / Server 2025 (still major 10)");
        assertTrue(knows(11, 0, 0), "a future major version");
    }

    @Test
    void earlierSystemsAndAnUnknownVersionDoNot() {
        assertFalse(knows(10, 0, 15063), "1703");
        assertFalse(knows(10, 0, 14393), "1607 / Server 2016");
        assertFalse(knows(6, 3, 9600), "8.1 / Server 2012 R2: has the ioctl, not the value");
        assertFalse(knows(6, 1, 7601), "7");
        assertFalse(knows(0, 0, 0), "RtlGetVersion failed");
    }
}
