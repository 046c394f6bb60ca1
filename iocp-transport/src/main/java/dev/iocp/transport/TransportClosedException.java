package dev.iocp.transport;

/** A call the caller could have avoided: writing after its own close(), abort() or writeEof(). */
public class TransportClosedException extends IllegalStateException {
    /**
     * The exception.
     *
     * @param message which call, after what
     */
    public TransportClosedException(String message) {
        super(message);
    }
}
