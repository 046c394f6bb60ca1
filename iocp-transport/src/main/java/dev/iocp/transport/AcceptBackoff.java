package dev.iocp.transport;

/**
 * The delay before a server re-arms its parked accepts: {@code min} at first, doubled after every round that
 * failed again, capped at {@code max}; {@link #reset()} (a successful accept) starts over. With {@code min == 0} it
 * is always 0: no back-off. Loop thread only.
 */
final class AcceptBackoff {
    private final long minMillis;
    private final long maxMillis;
    private long nextMillis;

    AcceptBackoff(long minMillis, long maxMillis) {
        if (minMillis < 0 || maxMillis < minMillis) {
            throw new IllegalArgumentException("back-off bounds " + minMillis + ".." + maxMillis + " ms");
        }
        this.minMillis = minMillis;
        this.maxMillis = maxMillis;
        this.nextMillis = minMillis;
    }

    /** The delay for the round starting now; the next round's is longer (up to the cap). */
    long next() {
        long d = nextMillis;
        nextMillis = Math.min(maxMillis, d * 2);
        return d;
    }

    void reset() {
        nextMillis = minMillis;
    }
}
