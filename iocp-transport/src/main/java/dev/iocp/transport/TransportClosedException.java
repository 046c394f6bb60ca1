package dev.iocp.transport;

/** A call the caller could have avoided: writing after its own close(), abort() or writeEof(). */
public class TransportClosedException extends IllegalStateException {
    public TransportClosedException(String message) {
        super(message);
    }
}
