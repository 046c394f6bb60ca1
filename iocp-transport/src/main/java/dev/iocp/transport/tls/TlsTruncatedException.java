package dev.iocp.transport.tls;

import javax.net.ssl.SSLException;

/**
 * The peer closed the TCP connection (FIN) without TLS's close_notify while we were still reading: what arrived may
 * be cut short (RFC 8446 §6.1 — an attacker can end a stream with a FIN; only close_notify proves its end). Reported
 * to connectionLost instead of an eofReceived.
 */
public class TlsTruncatedException extends SSLException {
    /**
     * The exception.
     *
     * @param reason what the engine said, or a description
     */
    public TlsTruncatedException(String reason) {
        super("the peer closed the connection without close_notify; the data may be truncated (" + reason + ")");
    }
}
