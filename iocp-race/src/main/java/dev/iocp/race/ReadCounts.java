package dev.iocp.race;

import dev.iocp.transport.TransportCounters;

/**
 * A snapshot of {@link TransportCounters}, summed over connections (and rounds) by the race harness.
 *
 * @param pauses                    pauseReading() calls that stopped reading
 * @param pausesWithReceiveInFlight those that left a receive in flight: the race window opened
 * @param resumes                   resumeReading() calls that restarted reading
 * @param held                      receives that completed while paused and were held: the window was hit
 * @param heldData                  held results delivered on resume: data
 * @param heldEof                   ... the peer's FIN
 * @param heldError                 ... an error
 */
public record ReadCounts(long pauses, long pausesWithReceiveInFlight, long resumes, long held, long heldData,
                         long heldEof, long heldError) {
    public static final ReadCounts ZERO = new ReadCounts(0, 0, 0, 0, 0, 0, 0);

    /** Exact when called on the connection's loop (the harness calls it in connectionLost); racy elsewhere. */
    public static ReadCounts of(TransportCounters c) {
        return new ReadCounts(c.pauses(), c.pausesWithReceiveInFlight(), c.resumes(), c.held(), c.heldData(),
                c.heldEof(), c.heldError());
    }

    public ReadCounts plus(ReadCounts o) {
        return new ReadCounts(pauses + o.pauses, pausesWithReceiveInFlight + o.pausesWithReceiveInFlight,
                resumes + o.resumes, held + o.held, heldData + o.heldData, heldEof + o.heldEof, heldError + o.heldError);
    }

    /** Held results delivered on resume, of any kind. */
    public long heldDelivered() {
        return heldData + heldEof + heldError;
    }

    /** Held and never delivered (discarded by a close or abort while held). 0 in a clean race. */
    public long heldUndelivered() {
        return held - heldDelivered();
    }
}
