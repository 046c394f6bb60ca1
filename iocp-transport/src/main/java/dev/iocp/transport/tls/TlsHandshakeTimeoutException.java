package dev.iocp.transport.tls;

import javax.net.ssl.SSLHandshakeException;

/** The TLS handshake did not finish within {@link TlsConfig#handshakeTimeoutMillis()}; the connection was aborted. */
public class TlsHandshakeTimeoutException extends SSLHandshakeException {
    /**
     * The exception.
     *
     * @param timeoutMillis the deadline that passed
     */
    public TlsHandshakeTimeoutException(long timeoutMillis) {
        super("the TLS handshake did not finish within " + timeoutMillis + " ms; aborted (RST)");
    }
}
