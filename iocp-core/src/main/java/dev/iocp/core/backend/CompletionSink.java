package dev.iocp.core.backend;

/** Where a backend hands each dequeued op packet; implemented by the loop's dispatch. */
@FunctionalInterface
public interface CompletionSink {
    /**
     * @param op the op whose packet this is (still IN_FLIGHT: the sink marks it completed)
     * @param bytesTransferred bytes the kernel reported
     * @param error 0 on success, else a packed {@link IoError}, translated by the backend from its native number
     */
    void onPacket(Op op, int bytesTransferred, int error);
}
