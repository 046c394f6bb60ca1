package dev.iocp.transport;

import java.util.Locale;

/**
 * How a connection waits for the peer's bytes. Both keep the lossless pause (invariant 3): pausing never cancels
 * what is in flight, and what completes while paused is held.
 *
 * <table>
 *   <caption>the two modes</caption>
 *   <tr><th></th><th>{@link #READINESS}</th><th>{@link #BUFFERED}</th></tr>
 *   <tr><td>waiting for data</td><td>a readiness receive: no buffer (Win32: a zero-byte WSARecv; io_uring: a
 *       one-shot poll)</td><td>a receive into a buffer of {@code receiveBufferSize} from the loop's pool</td></tr>
 *   <tr><td>data arrives</td><td>non-blocking receives into a loop-owned buffer, delivered at once, until one does
 *       not fill the buffer (the socket is then known to be empty)</td><td>the packet carries the bytes</td></tr>
 *   <tr><td>an idle connection keeps</td><td>no data buffer</td><td>one buffer (64 KiB by default)</td></tr>
 *   <tr><td>held while paused</td><td>"readable" — nothing consumed, the bytes stay in the socket</td><td>the
 *       completed receive, in its buffer</td></tr>
 *   <tr><td>kernel calls per message</td><td>one more: the receive after the readiness packet</td><td>—</td></tr>
 * </table>
 *
 * <p>{@link #DEFAULT} is {@link #READINESS} (measured in bench/RESULTS.md: the idle cost is what decides it, the
 * extra call is small next to it); {@code -Diocp.receiveMode=buffered} changes the default of a JVM.
 */
public enum ReceiveMode {
    /** Wait with no buffer; take the bytes when the socket is readable. The memory-lean mode. */
    READINESS,
    /** Wait with a buffer in the receive: one kernel call fewer per message, one buffer pinned per connection. */
    BUFFERED;

    /** {@code -Diocp.receiveMode=readiness|buffered}, else {@link #READINESS}. */
    public static final ReceiveMode DEFAULT = fromProperty(System.getProperty("iocp.receiveMode"));

    static ReceiveMode fromProperty(String value) {
        if (value == null || value.isBlank()) {
            return READINESS;
        }
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("-Diocp.receiveMode must be readiness or buffered, got '" + value + "'");
        }
    }
}
