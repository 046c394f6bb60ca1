package dev.iocp.core.backend.win32;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The nanos→milliseconds rule of {@link Win32Backend#poll}; pure arithmetic, runs on any OS. */
class Win32BackendTimeoutTest {
    @Test
    void roundsUpNeverDownToABusyZero() {
        assertEquals(0, Win32Backend.timeoutMillis(0));
        assertEquals(1, Win32Backend.timeoutMillis(1));
        assertEquals(1, Win32Backend.timeoutMillis(1_000_000));
        assertEquals(2, Win32Backend.timeoutMillis(1_000_001));
        assertEquals(50, Win32Backend.timeoutMillis(50_000_000));
    }

    @Test
    void negativeIsInfiniteAndHugeStaysFinite() {
        assertEquals(0xFFFFFFFF, Win32Backend.timeoutMillis(-1));
        assertEquals(0xFFFFFFFE, Win32Backend.timeoutMillis(Long.MAX_VALUE / 2));
    }

    /** A deadline still pending, however close, waits at least 1 ms: a 0 would return at once and spin the loop. */
    @Test
    void aPendingSubMillisecondDeadlineWaitsOneMillisecondNeverZero() {
        for (long nanos : new long[] {1, 1_000, 500_000, 999_999}) {
            assertEquals(1, Win32Backend.timeoutMillis(nanos), nanos + " ns");
        }
        assertEquals(16, Win32Backend.timeoutMillis(15_600_000), "never shorter than asked: 15.6 ms waits 16");
    }
}
