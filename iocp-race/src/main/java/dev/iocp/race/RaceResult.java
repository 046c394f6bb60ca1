package dev.iocp.race;

import java.util.List;
import java.util.Locale;

/**
 * What a race run saw. The summary counts are end to end (client side: the echo of everything sent); the server's
 * own check of what it received is kept apart ({@code server*}) to tell which direction went wrong.
 *
 * @param sent          bytes the clients wrote
 * @param echoed        bytes the server wrote back
 * @param echoedInPlace of those, the bytes the server wrote back from the buffer they arrived in (no copy); 0 when
 *                      the server is in another process
 * @param verified      bytes of the echo the clients verified at their right position
 * @param firstBad      the first anomaly (where, expected vs found), prefixed by its side; null if none
 * @param errors        callbacks that threw, timeouts, failures to connect
 * @param lostCauses    non-null causes passed to connectionLost, by connection
 * @param opsInFlight   ops still in flight on all loops after the run (must be 0)
 * @param client        the clients' transports' read counts ({@link ReadCounts}), summed
 * @param server        the server's accepted transports' read counts, summed ({@link ReadCounts#ZERO} when the
 *                      server is in another process)
 * @param rounds        how many race exchanges this result adds up (see {@link RaceRounds})
 */
public record RaceResult(int packets, int size, int connections, long sent, long echoed, long echoedInPlace, long verified, long lost,
                         long duplicated, long reordered, long corrupt, long serverVerified, long serverLost,
                         long serverDuplicated, long serverReordered, long serverCorrupt, long expectedBytes,
                         String firstBad, long pauses, long elapsedNanos, List<String> errors,
                         List<String> lostCauses, int opsInFlight, boolean serverChecked, ReadCounts client,
                         ReadCounts server, int rounds) {

    public double elapsedSeconds() {
        return elapsedNanos / 1e9;
    }

    /** Both sides' read counts. */
    public ReadCounts counts() {
        return client.plus(server);
    }

    /** Receives that completed while reading was paused and were held, both sides: the race window hit. */
    public long held() {
        return counts().held();
    }

    /**
     * {@code race: packets=N size=S sent=X echoed=Y verified=Z lost=L reordered=R elapsed=Ts} — unchanged, so scripts
     * keep parsing it — then the window counts: {@code held=H held-data=.. held-eof=.. held-error=..} (both sides;
     * held results delivered on resume, by kind), {@code client-held= server-held=}, {@code client-pauses=
     * client-resumes= server-pauses= server-resumes=} (as the transports counted them), {@code rounds=}.
     */
    public String toSummaryLine() {
        ReadCounts all = counts();
        return String.format(Locale.ROOT,
                "race: packets=%d size=%d sent=%d echoed=%d verified=%d lost=%d reordered=%d elapsed=%.3fs"
                        + " held=%d held-data=%d held-eof=%d held-error=%d client-held=%d server-held=%d"
                        + " client-pauses=%d client-resumes=%d server-pauses=%d server-resumes=%d rounds=%d",
                packets, size, sent, echoed, verified, lost, reordered, elapsedSeconds(),
                all.held(), all.heldData(), all.heldEof(), all.heldError(), client.held(), server.held(),
                client.pauses(), client.resumes(), server.pauses(), server.resumes(), rounds);
    }

    /** Everything else, on one line. */
    public String toDetailLine() {
        return "race: detail connections=" + connections + " expected=" + expectedBytes + " duplicated=" + duplicated
                + " corrupt=" + corrupt + " server-echoed-in-place=" + echoedInPlace + (serverChecked ? " server-verified=" + serverVerified + " server-lost="
                + serverLost + " server-duplicated=" + serverDuplicated + " server-reordered=" + serverReordered
                + " server-corrupt=" + serverCorrupt : "") + " timer-pauses=" + pauses
                + " client-pauses-with-receive-in-flight=" + client.pausesWithReceiveInFlight()
                + " server-pauses-with-receive-in-flight=" + server.pausesWithReceiveInFlight()
                + " held-undelivered=" + counts().heldUndelivered() + " ops-in-flight=" + opsInFlight
                + " errors=" + errors + " lost-causes=" + lostCauses + (firstBad == null ? "" : " | " + firstBad);
    }

    /**
     * Several rounds as one result: counts added up, the first anomaly kept, errors and causes prefixed by their
     * round; {@code elapsedNanos} is the wall time of them all (set-up between rounds included).
     */
    public static RaceResult combine(List<RaceResult> rounds, long elapsedNanos) {
        if (rounds.isEmpty()) {
            throw new IllegalArgumentException("no rounds");
        }
        if (rounds.size() == 1) {
            RaceResult r = rounds.get(0);
            return new RaceResult(r.packets, r.size, r.connections, r.sent, r.echoed, r.echoedInPlace, r.verified, r.lost,
                    r.duplicated, r.reordered, r.corrupt, r.serverVerified, r.serverLost, r.serverDuplicated,
                    r.serverReordered, r.serverCorrupt, r.expectedBytes, r.firstBad, r.pauses, elapsedNanos,
                    r.errors, r.lostCauses, r.opsInFlight, r.serverChecked, r.client, r.server, 1);
        }
        RaceResult f = rounds.get(0);
        long sent = 0, echoed = 0, echoedInPlace = 0, verified = 0, lost = 0, dup = 0, reord = 0, corrupt = 0;
        long sv = 0, sl = 0, sd = 0, sr = 0, sc = 0, expected = 0, pauses = 0;
        int inFlight = 0;
        boolean serverChecked = true;
        String firstBad = null;
        List<String> errors = new java.util.ArrayList<>();
        List<String> causes = new java.util.ArrayList<>();
        ReadCounts client = ReadCounts.ZERO;
        ReadCounts server = ReadCounts.ZERO;
        for (int i = 0; i < rounds.size(); i++) {
            RaceResult r = rounds.get(i);
            String round = "round " + (i + 1) + ": ";
            sent += r.sent;
            echoed += r.echoed;
            echoedInPlace += r.echoedInPlace;
            verified += r.verified;
            lost += r.lost;
            dup += r.duplicated;
            reord += r.reordered;
            corrupt += r.corrupt;
            sv += r.serverVerified;
            sl += r.serverLost;
            sd += r.serverDuplicated;
            sr += r.serverReordered;
            sc += r.serverCorrupt;
            expected += r.expectedBytes;
            pauses += r.pauses;
            inFlight += r.opsInFlight;
            serverChecked &= r.serverChecked;
            if (firstBad == null && r.firstBad != null) {
                firstBad = round + r.firstBad;
            }
            r.errors.forEach(e -> errors.add(round + e));
            r.lostCauses.forEach(c -> causes.add(round + c));
            client = client.plus(r.client);
            server = server.plus(r.server);
        }
        return new RaceResult(f.packets, f.size, f.connections, sent, echoed, echoedInPlace, verified, lost, dup, reord, corrupt,
                sv, sl, sd, sr, sc, expected, firstBad, pauses, elapsedNanos, List.copyOf(errors),
                List.copyOf(causes), inFlight, serverChecked, client, server, rounds.size());
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
