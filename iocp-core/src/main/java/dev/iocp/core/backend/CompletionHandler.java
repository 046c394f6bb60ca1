package dev.iocp.core.backend;

/**
 * The owner of an op: told on the loop thread when the op's packet is dequeued.
 *
 * <p>When this is called the kernel has let go of the op (state {@link Op.State#OWNED}); the handler decides
 * whether to submit it again, keep it (a held receive), or {@link Op#release() release} it.
 * An exception thrown here is caught by the loop, logged, and handed to {@link #onDispatchFailure}.
 */
public interface CompletionHandler {
    /**
     * The op's packet was dequeued.
     *
     * @param op the op, OWNED by this handler again
     * @param bytesTransferred bytes moved by the op (0 with success on a receive means the peer sent FIN)
     * @param error {@code 0} on success, otherwise a packed {@link IoError}: decide by {@link IoError#code}, show
     *              with {@link IoError#describe}
     */
    void onCompletion(Op op, int bytesTransferred, int error);

    /**
     * {@link #onCompletion} threw. The loop has already logged it; the owner should tear down what it owns
     * (a connection aborts itself). Must not throw; if it does, the loop logs that too and carries on.
     *
     * @param op the op whose completion failed
     * @param cause what {@link #onCompletion} threw
     */
    default void onDispatchFailure(Op op, Throwable cause) {}
}
