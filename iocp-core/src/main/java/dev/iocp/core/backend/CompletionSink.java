package dev.iocp.core.backend;

/** Where a backend hands each dequeued op packet; implemented by the loop's dispatch. */
@FunctionalInterface
public interface CompletionSink {
    /**
     * @param op the op whose packet this is (still IN_FLIGHT: the sink marks it completed)
     * @param bytesTransferred bytes the kernel reported
     * @param error 0 on success, else a Win32 error number (for sockets, the Winsock one: WSAECONNRESET, not
     *              ERROR_NETNAME_DELETED, where the backend can tell)
     */
    void onPacket(Op op, int bytesTransferred, int error);
}
