package dev.iocp.transport;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The accept back-off's schedule, exactly (no clock involved). */
class AcceptBackoffTest {
    @Test
    void startsAtTheMinimumDoublesPerFailedRoundIsCappedAndResets() {
        AcceptBackoff b = new AcceptBackoff(10, 1000);
        long[] expected = {10, 20, 40, 80, 160, 320, 640, 1000, 1000};
        for (long e : expected) {
            assertEquals(e, b.next());
        }
        b.reset();
        assertEquals(10, b.next());
        assertEquals(20, b.next());
    }

    @Test
    void aMinimumOfZeroIsNoBackOff() {
        AcceptBackoff b = new AcceptBackoff(0, 1000);
        for (int i = 0; i < 5; i++) {
            assertEquals(0, b.next());
        }
    }

    @Test
    void boundsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new AcceptBackoff(-1, 10));
        assertThrows(IllegalArgumentException.class, () -> new AcceptBackoff(20, 10));
    }
}
