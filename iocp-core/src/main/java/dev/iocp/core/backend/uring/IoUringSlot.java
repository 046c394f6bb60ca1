package dev.iocp.core.backend.uring;

import dev.iocp.core.backend.Op;

import static dev.iocp.core.backend.uring.IoUringAbi.MSGHDR_SIZE;

/**
 * The io_uring backend's layout of an op's native area ({@link Op#nativeArea()}): what an SQE points at besides
 * the data buffers, and so what the kernel may read until the op's CQE (invariant 2).
 * <pre>
 *   0  iovec[Op.MAX_BUFFERS] (16 bytes each: void *base, size_t len), for SENDMSG / RECVMSG
 * 256  msghdr (56 bytes) naming that iovec array
 * 320  sockaddr (up to 128 bytes): a CONNECT's target, a SENDMSG's datagram target, or where a RECVMSG's kernel
 *      writes the datagram's source (the msghdr's msg_name points here; the kernel writes msg_namelen back)
 * </pre>
 * The op itself is found by its id, which the SQE carries as user_data: nothing of it is stored here.
 */
final class IoUringSlot {
    private IoUringSlot() {}

    static final int IOVEC = 0;
    static final int IOVEC_SIZE = 16;
    static final int MSGHDR = IOVEC + Op.MAX_BUFFERS * IOVEC_SIZE; // 256
    static final int SOCKADDR = 320;
    static final int SOCKADDR_SIZE = 128;

    static {
        if (MSGHDR + MSGHDR_SIZE > SOCKADDR || SOCKADDR + SOCKADDR_SIZE > Op.NATIVE_AREA_SIZE) {
            throw new AssertionError("the io_uring slot layout does not fit the op's native area");
        }
    }

    static long iovec(Op op) {
        return op.nativeArea() + IOVEC;
    }

    static long msghdr(Op op) {
        return op.nativeArea() + MSGHDR;
    }

    static long sockaddr(Op op) {
        return op.nativeArea() + SOCKADDR;
    }
}
