package dev.iocp.transport;

import java.nio.ByteBuffer;

/**
 * What a user implements: the callbacks of one connection, in the spirit of asyncio's {@code Protocol}. Every
 * callback runs on the connection's loop thread. {@code dataReceived}, {@code eofReceived} and
 * {@code connectionLost} never run inside another callback; {@code pauseWriting}/{@code resumeWriting} may, exactly
 * where asyncio calls them: inside the {@link Transport#write} (or the send completion) that crossed a water mark.
 *
 * <p>An exception thrown from any callback aborts that connection only (the peer sees a reset) and
 * {@link #connectionLost} receives the exception as its cause; the loop and every other connection carry on.
 */
public interface Protocol {

    /**
     * The connection is established; keep the transport to write to it. Called first, once.
     *
     * @param transport the connection's transport
     */
    default void connectionMade(Transport transport) {}

    /**
     * Bytes arrived, in order. {@code data} is a view of the transport's receive buffer, valid only during this call:
     * copy what you want to keep. Never called with an empty buffer, and never while reading is paused.
     *
     * @param data the bytes, readable from its position to its limit
     */
    void dataReceived(ByteBuffer data);

    /**
     * The peer sent FIN (shutdown or close): it will send nothing more. This is not an error.
     *
     * @return {@code true} to keep the connection half-open (you may still write, then {@link Transport#close()});
     *         {@code false} to let the transport close it (after flushing what is queued)
     */
    default boolean eofReceived() {
        return false;
    }

    /**
     * The connection is gone and every one of its operations has finished. Called exactly once, last, as a loop task
     * of its own: never inside another callback (a close() in eofReceived returns before this runs).
     *
     * @param cause {@code null} for a clean close (ours or after the peer's FIN); {@link ConnectionResetException}
     *              when the peer reset it (RST); {@link CloseTimeoutException} when a graceful close hit its deadline
     *              and was turned into an abort; {@link LoopShutdownException} when the loop shut down under
     *              the connection; the exception a callback of this protocol threw; or a
     *              {@link dev.iocp.core.backend.IoException} naming another failure (its {@code code()} says what
     *              it was, its message the native error: {@code receive: WSAENOBUFS (10055)})
     */
    default void connectionLost(Throwable cause) {}

    /** The write buffer rose above the high-water mark: stop writing until {@link #resumeWriting()}. */
    default void pauseWriting() {}

    /** The write buffer drained to the low-water mark. */
    default void resumeWriting() {}
}
