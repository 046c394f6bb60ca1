package dev.iocp.transport;

import java.io.IOException;

/**
 * The cause of a connection aborted because nothing was received or sent on it for
 * {@link TransportConfig#idleTimeoutMillis()}: the peer is silent, or gone without a FIN or RST (its path became a
 * black hole) — from this side the two cannot be told apart.
 */
public class IdleTimeoutException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The idle timeout that passed, in milliseconds. */
    private final long idleTimeoutMillis;

    /**
     * The exception.
     *
     * @param idleTimeoutMillis the idle timeout that passed
     */
    public IdleTimeoutException(long idleTimeoutMillis) {
        super("no receive or send completed for " + idleTimeoutMillis + " ms: connection aborted");
        this.idleTimeoutMillis = idleTimeoutMillis;
    }

    /** {@return the idle timeout that passed, in milliseconds} */
    public long idleTimeoutMillis() {
        return idleTimeoutMillis;
    }
}
