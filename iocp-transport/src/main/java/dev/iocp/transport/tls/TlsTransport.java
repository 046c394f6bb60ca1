package dev.iocp.transport.tls;

import dev.iocp.transport.Transport;

import javax.net.ssl.SSLSession;

/**
 * A {@link Transport} that encrypts: what {@code Transports.startTls}, and {@code listen} / {@code connect} with a
 * {@link TlsConfig}, hand out once the handshake has finished. Every promise of the plain transport holds (see
 * {@code docs/tls.md}): writes are copied at call time (or owned, {@link #writeOwned}), pausing holds what
 * arrived and cancels nothing, water marks count what is queued, callbacks never nest. What differs:
 * <ul>
 *   <li>{@link #close()} sends close_notify after everything queued, then waits for the peer's close_notify (or its
 *       FIN) within the close deadline; past it, the connection is aborted ({@link dev.iocp.transport.CloseTimeoutException});</li>
 *   <li>{@link #abort()} resets the connection (RST) without close_notify;</li>
 *   <li>{@link #writeEof()} is close_notify then FIN on TLS 1.3, where closing one direction is defined; on TLS 1.2
 *       it is refused ({@link UnsupportedOperationException});</li>
 *   <li>the peer's close_notify is {@code eofReceived}; its FIN without close_notify is not an EOF but a truncation:
 *       connectionLost gets a {@link TlsTruncatedException};</li>
 *   <li>a failed handshake or a bad record ends the connection with the JDK's {@link javax.net.ssl.SSLException}
 *       (its message is the engine's reason); a handshake past its deadline with {@link TlsHandshakeTimeoutException}.</li>
 * </ul>
 */
public interface TlsTransport extends Transport {

    /** {@return the negotiated session: protocol version, cipher suite, the peer's certificates} */
    SSLSession session();

    /** {@return the protocol ALPN chose, or null if none was negotiated} */
    String applicationProtocol();

    /**
     * {@return whether the peer's close_notify has arrived} After a {@link #close()} whose connectionLost cause is
     * null, this says how the peer ended: true — it answered with close_notify; false — it sent FIN without one
     * (nothing was lost on our side, which had stopped reading, but the peer did not close TLS properly).
     */
    boolean closeNotifyReceived();
}
