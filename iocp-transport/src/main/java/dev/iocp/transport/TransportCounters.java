package dev.iocp.transport;

/**
 * What one connection's read stream went through, in plain counts: how often reading was paused and resumed, and
 * how often the dangerous moment of bpo-33694 happened — a receive completing while reading was paused (the
 * <em>race window</em>: CPython cancelled that receive on pause and, when the cancel came too late, dropped its
 * data). Here such a receive is <em>held</em> and delivered on resume; these counters say how often that was.
 *
 * <p>Get it from {@link Transport#counters()}. The counts only grow, and are written by the connection's loop
 * thread, with no synchronisation (plain {@code long}s: they cost an increment each). Read them <b>on that loop</b>
 * for exact values — in a callback, in a task submitted to {@link Transport#loop()}, or in
 * {@link Protocol#connectionLost}, after which they no longer change. A read from another thread is racy: it may
 * be stale (and, on a 32-bit JVM, a {@code long} may even be torn); good enough for a progress line, not for a
 * check.
 *
 * <p>Invariants, for a connection whose counters are read on its loop:
 * {@code pausesWithReceiveInFlight <= pauses}, {@code held <= pausesWithReceiveInFlight} (a pause with a receive
 * in flight can hold at most that one receive), and
 * {@code heldData + heldEof + heldError + heldUndelivered() == held}.
 */
public final class TransportCounters {
    long pauses;
    long pausesWithReceiveInFlight;
    long resumes;
    long held;
    long heldData;
    long heldEof;
    long heldError;
    long noProvidedBuffer;
    long heldMovedOutOfRing;

    TransportCounters() {}

    /** Loop thread: {@code pauseReading()} is about to act in read state {@code s}; counts it if it stops reading. */
    void pausing(IocpConnection.ReadState s, boolean receiveInFlight) {
        if (s == IocpConnection.ReadState.RECEIVING || s == IocpConnection.ReadState.RESUMED_HOLDING) {
            pauses++;
            if (s == IocpConnection.ReadState.RECEIVING && receiveInFlight) {
                pausesWithReceiveInFlight++;
            }
        }
    }

    /** Loop thread: {@code resumeReading()} is about to act in read state {@code s}; counts it if it restarts reading. */
    void resuming(IocpConnection.ReadState s) {
        if (s == IocpConnection.ReadState.PAUSED_RECEIVING || s == IocpConnection.ReadState.PAUSED
                || s == IocpConnection.ReadState.HOLDING) {
            resumes++;
        }
    }

    /** Loop thread: a held receive's result was handed to the protocol on resume. */
    void heldDelivered(int bytes, int error) {
        if (error != 0) {
            heldError++;
        } else if (bytes == 0) {
            heldEof++;
        } else {
            heldData++;
        }
    }

    /**
     * {@code pauseReading()} calls that stopped reading. A pause while already paused, or after reading ended,
     * is not counted.
     *
     * @return the count
     */
    public long pauses() {
        return pauses;
    }

    /**
     * Those of {@link #pauses()} that left a receive in flight: the race window opened. (A pause from inside
     * {@code dataReceived} has nothing in flight — the receive just completed and is not re-armed — so it cannot
     * hold anything.)
     *
     * @return the count
     */
    public long pausesWithReceiveInFlight() {
        return pausesWithReceiveInFlight;
    }

    /**
     * {@return {@code resumeReading()} calls that restarted reading (calls while already reading, or after the end, don't count)}
     */
    public long resumes() {
        return resumes;
    }

    /**
     * Receives that completed while reading was paused and were held, as they were, for {@code resumeReading()}:
     * the times the race window was hit.
     *
     * @return the count
     */
    public long held() {
        return held;
    }

    /** {@return held results delivered on resume that were data ({@code dataReceived})} */
    public long heldData() {
        return heldData;
    }

    /** {@return held results delivered on resume that were the peer's FIN ({@code eofReceived})} */
    public long heldEof() {
        return heldEof;
    }

    /** {@return held results delivered on resume that were an error (a reset, say: then {@code connectionLost})} */
    public long heldError() {
        return heldError;
    }

    /**
     * {@link ReceiveMode#PROVIDED}: receives into a provided buffer that found every buffer of the loop out
     * (NO_BUFFERS). Each consumed nothing; the connection waited for readiness instead, losing nothing.
     *
     * @return the count
     */
    public long noProvidedBuffer() {
        return noProvidedBuffer;
    }

    /**
     * {@link ReceiveMode#PROVIDED}: held receives whose bytes were moved out of their provided buffer into one of the
     * loop's pool, because paused connections already held as much of the loop's ring as they may.
     *
     * @return the count
     */
    public long heldMovedOutOfRing() {
        return heldMovedOutOfRing;
    }

    /**
     * Held and not delivered: still waiting for {@code resumeReading()}, or discarded because the user closed or
     * aborted the connection while it was held ({@link Transport#close()} says why).
     *
     * @return the count
     */
    public long heldUndelivered() {
        return held - heldData - heldEof - heldError;
    }

    @Override
    public String toString() {
        return "pauses=" + pauses + " pauses-with-receive-in-flight=" + pausesWithReceiveInFlight + " resumes="
                + resumes + " held=" + held + " held-data=" + heldData + " held-eof=" + heldEof + " held-error="
                + heldError;
    }
}
