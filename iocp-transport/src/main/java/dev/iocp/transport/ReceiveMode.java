package dev.iocp.transport;

import java.util.Locale;

/**
 * How a connection waits for the peer's bytes. Every mode keeps the lossless pause (invariant 3): pausing never
 * cancels what is in flight, and what completes while paused is held.
 *
 * <table>
 *   <caption>the three modes</caption>
 *   <tr><th></th><th>{@link #PROVIDED}</th><th>{@link #READINESS}</th><th>{@link #BUFFERED}</th></tr>
 *   <tr><td>waiting for data</td><td>a receive that names no buffer: the backend picks one of the loop's provided
 *       buffers when bytes arrive (io_uring: a provided-buffer ring)</td><td>a readiness receive: no buffer (Win32:
 *       a zero-byte WSARecv; io_uring: a one-shot poll)</td><td>a receive into a buffer of
 *       {@code receiveBufferSize} from the loop's pool</td></tr>
 *   <tr><td>data arrives</td><td>the packet carries the bytes, in the buffer it names</td><td>non-blocking
 *       receives into a loop-owned buffer, delivered at once, until one does not fill the buffer (the socket is
 *       then known to be empty)</td><td>the packet carries the bytes</td></tr>
 *   <tr><td>an idle connection keeps</td><td>no data buffer (the loop's ring is shared)</td><td>no data
 *       buffer</td><td>one buffer (64 KiB by default)</td></tr>
 *   <tr><td>held while paused</td><td>the completed receive, in its ring buffer (while half the ring or less is
 *       out; beyond that it is moved to a buffer of the loop's pool, so paused connections cannot take the whole
 *       ring)</td><td>"readable" — nothing consumed, the bytes stay in the socket</td><td>the completed receive, in
 *       its buffer</td></tr>
 *   <tr><td>kernel calls per message</td><td>—</td><td>one more: the receive after the readiness packet</td>
 *       <td>—</td></tr>
 * </table>
 *
 * <p>{@link #PROVIDED} needs a backend with provided buffers ({@code Backend.providedBuffers()}: io_uring on Linux
 * ≥ 5.19 unless {@code -Diocp.uring.providedBuffers=false}); elsewhere (Win32, older kernels) a PROVIDED connection
 * receives exactly as {@link #READINESS}, and so does one whose loop's ring is momentarily empty (every buffer out:
 * held, retained, or being delivered) — nothing is lost either way, it only costs the readiness mode's extra call.
 *
 * <p>{@link #DEFAULT} is {@link #PROVIDED}: lean when idle, like READINESS, and one kernel step per message, like
 * BUFFERED, where the backend can. {@code -Diocp.receiveMode=provided|readiness|buffered} changes the default of a
 * JVM.
 */
public enum ReceiveMode {
    /**
     * Wait with no buffer; the backend picks one of its loop's provided buffers when bytes arrive. Where the backend
     * has none, the same as {@link #READINESS}.
     */
    PROVIDED,
    /** Wait with no buffer; take the bytes when the socket is readable. Memory-lean on every backend. */
    READINESS,
    /** Wait with a buffer in the receive: one kernel call fewer per message than READINESS, one buffer pinned per connection. */
    BUFFERED;

    /** {@code -Diocp.receiveMode=provided|readiness|buffered}, else {@link #PROVIDED}. */
    public static final ReceiveMode DEFAULT = fromProperty(System.getProperty("iocp.receiveMode"));

    static ReceiveMode fromProperty(String value) {
        if (value == null || value.isBlank()) {
            return PROVIDED;
        }
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "-Diocp.receiveMode must be provided, readiness or buffered, got '" + value + "'");
        }
    }
}
