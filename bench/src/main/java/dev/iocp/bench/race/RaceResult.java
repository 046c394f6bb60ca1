package dev.iocp.bench.race;

import java.util.List;
import java.util.Locale;

/**
 * What a race run saw. The summary counts are end to end (client side: the echo of everything sent); the server's
 * own check of what it received is kept apart ({@code server*}) to tell which direction went wrong.
 *
 * @param sent          bytes the clients wrote
 * @param echoed        bytes the server wrote back
 * @param verified      bytes of the echo the clients verified at their right position
 * @param firstBad      the first anomaly (where, expected vs found), prefixed by its side; null if none
 * @param errors        callbacks that threw, timeouts, failures to connect
 * @param lostCauses    non-null causes passed to connectionLost, by connection
 * @param opsInFlight   ops still in flight on all loops after the run (must be 0)
 */
public record RaceResult(int packets, int size, int connections, long sent, long echoed, long verified, long lost,
                         long duplicated, long reordered, long corrupt, long serverVerified, long serverLost,
                         long serverDuplicated, long serverReordered, long serverCorrupt, long expectedBytes,
                         String firstBad, long pauses, long elapsedNanos, List<String> errors,
                         List<String> lostCauses, int opsInFlight, boolean serverChecked) {

    public double elapsedSeconds() {
        return elapsedNanos / 1e9;
    }

    /** Exactly {@code race: packets=N size=S sent=X echoed=Y verified=Z lost=L reordered=R elapsed=Ts}. */
    public String toSummaryLine() {
        return String.format(Locale.ROOT,
                "race: packets=%d size=%d sent=%d echoed=%d verified=%d lost=%d reordered=%d elapsed=%.3fs",
                packets, size, sent, echoed, verified, lost, reordered, elapsedSeconds());
    }

    /** Everything else, on one line. */
    public String toDetailLine() {
        return "race: detail connections=" + connections + " expected=" + expectedBytes + " duplicated=" + duplicated
                + " corrupt=" + corrupt + (serverChecked ? " server-verified=" + serverVerified + " server-lost="
                + serverLost + " server-duplicated=" + serverDuplicated + " server-reordered=" + serverReordered
                + " server-corrupt=" + serverCorrupt : "") + " pauses=" + pauses + " ops-in-flight=" + opsInFlight
                + " errors=" + errors + " lost-causes=" + lostCauses + (firstBad == null ? "" : " | " + firstBad);
    }

    /** No byte lost, duplicated, reordered or corrupt, in either direction; all verified; all clean. */
    public boolean ok() {
        return lost == 0 && duplicated == 0 && reordered == 0 && corrupt == 0 && firstBad == null
                && verified == expectedBytes && sent == expectedBytes
                && (!serverChecked || (serverVerified == expectedBytes && serverLost == 0 && serverDuplicated == 0
                && serverReordered == 0 && serverCorrupt == 0))
                && errors.isEmpty() && lostCauses.isEmpty() && opsInFlight == 0;
    }
}
