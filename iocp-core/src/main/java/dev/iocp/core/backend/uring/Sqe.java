package dev.iocp.core.backend.uring;

import dev.iocp.core.backend.Op;
import io.netty.util.internal.PlatformDependent;

import static dev.iocp.core.backend.uring.IoUringAbi.*;

/**
 * The encoding of one SQE per op kind, into an SQE that {@link SubmissionQueue#next} handed out zeroed. Every op's
 * SQE carries the op id as user_data, so its CQE finds the op by an array index; whatever an SQE points at besides
 * the data buffers lives in the op's native area ({@link IoUringSlot}) and is the kernel's until the CQE.
 */
final class Sqe {
    private Sqe() {}

    /** The IORING_RECVSEND_POLL_FIRST flag, in the SQE's ioprio field. */
    private static final short RECVSEND_POLL_FIRST = 1;

    /**
     * RECV into the single buffer (the transport's case), RECVMSG over several. IORING_RECVSEND_POLL_FIRST on RECV
     * only when the owner knows the socket is empty ({@link Op#socketKnownEmpty()}: its last receive did not fill
     * its buffer).
     */
    static void recv(long sqe, Op op) {
        if (op.bufferCount() == 1) {
            put(sqe, IORING_OP_RECV, (int) op.socket(), op.bufferAddress(0), op.bufferLength(0), 0, 0, op.id());
            if (op.socketKnownEmpty()) {
                // Empty for sure: arm the poll straight away instead of a try that would fail with EAGAIN. With
                // data likely waiting (the last receive filled its buffer), trying first is what saves the poll.
                PlatformDependent.putShort(sqe + SQE_IOPRIO, RECVSEND_POLL_FIRST);
            }
        } else {
            put(sqe, IORING_OP_RECVMSG, (int) op.socket(), msghdr(op), 0, 0, 0, op.id());
        }
    }

    /**
     * A RECV into a provided buffer (IOSQE_BUFFER_SELECT from group {@link BufferRing#GROUP}): no address, {@code len}
     * the op's limit (the kernel takes the smaller of it and the buffer's size). The kernel picks the buffer only
     * when it has bytes to copy; a try on an empty socket puts it back before it waits. POLL_FIRST as for
     * {@link #recv}: only when the socket is known to be empty.
     */
    static void recvIntoProvided(long sqe, Op op) {
        put(sqe, IORING_OP_RECV, (int) op.socket(), 0L, op.selectLimit(), 0, 0, op.id());
        PlatformDependent.putByte(sqe + SQE_FLAGS, IOSQE_BUFFER_SELECT);
        PlatformDependent.putShort(sqe + SQE_BUF_GROUP, BufferRing.GROUP);
        if (op.socketKnownEmpty()) {
            PlatformDependent.putShort(sqe + SQE_IOPRIO, RECVSEND_POLL_FIRST);
        }
    }

    /**
     * A readiness receive (a RECV op with no buffers, see {@code Backend.submitRecv}): a one-shot POLL_ADD for
     * POLLIN (poll32_events in the op-flags word). POLLHUP and POLLERR always wake a poll too, so a FIN or a reset
     * completes it; the CQE's result is the revents mask, which the completion queue reports as 0 bytes.
     */
    static void readable(long sqe, Op op) {
        put(sqe, IORING_OP_POLL_ADD, (int) op.socket(), 0, 0, 0, LibC.POLLIN, op.id());
    }

    /**
     * SEND for one buffer, SENDMSG gathering several; MSG_NOSIGNAL (a send after the peer's reset fails with EPIPE,
     * never raises SIGPIPE). Without MSG_WAITALL a stream send may complete short: its CQE reports the bytes sent.
     */
    static void send(long sqe, Op op) {
        if (op.bufferCount() == 1) {
            put(sqe, IORING_OP_SEND, (int) op.socket(), op.bufferAddress(0), op.bufferLength(0), 0,
                    LibC.MSG_NOSIGNAL, op.id());
        } else {
            put(sqe, IORING_OP_SENDMSG, (int) op.socket(), msghdr(op), 0, 0, LibC.MSG_NOSIGNAL, op.id());
        }
    }

    /**
     * RECVMSG of one datagram over the op's buffers, its source written to the op's sockaddr ({@link IoUringSlot}:
     * msg_name, msg_namelen = its room). MSG_TRUNC: the result is the datagram's real length, so a datagram larger
     * than the buffers shows as a result larger than their room (see {@code CompletionQueue}).
     */
    static void recvFrom(long sqe, Op op) {
        long msg = msghdr(op);
        PlatformDependent.putLong(msg + MSG_NAME, IoUringSlot.sockaddr(op));
        PlatformDependent.putInt(msg + MSG_NAMELEN, IoUringSlot.SOCKADDR_SIZE);
        put(sqe, IORING_OP_RECVMSG, (int) op.socket(), msg, 0, 0, LibC.MSG_TRUNC, op.id());
    }

    /**
     * SENDMSG of one datagram gathering the op's buffers, to the sockaddr of {@code nameLength} bytes already in the
     * op's native area; {@code nameLength} 0: no msg_name, to the connected peer.
     */
    static void sendTo(long sqe, Op op, int nameLength) {
        long msg = msghdr(op);
        if (nameLength > 0) {
            PlatformDependent.putLong(msg + MSG_NAME, IoUringSlot.sockaddr(op));
            PlatformDependent.putInt(msg + MSG_NAMELEN, nameLength);
        }
        put(sqe, IORING_OP_SENDMSG, (int) op.socket(), msg, 0, 0, LibC.MSG_NOSIGNAL, op.id());
    }

    /** ACCEPT on the listener, peer address not asked for, the new fd close-on-exec; the CQE's result is the fd. */
    static void accept(long sqe, Op op) {
        put(sqe, IORING_OP_ACCEPT, (int) op.socket(), 0, 0, 0, LibC.SOCK_CLOEXEC, op.id());
    }

    /** CONNECT to the sockaddr of {@code length} bytes already in the op's native area (off = addr2 = its length). */
    static void connect(long sqe, Op op, int length) {
        put(sqe, IORING_OP_CONNECT, (int) op.socket(), IoUringSlot.sockaddr(op), 0, length, 0, op.id());
    }

    /** READ of {@code length} bytes from {@code fd} into {@code buffer}: the backend's own requests (the wake-up). */
    static void read(long sqe, int fd, long buffer, int length, long userData) {
        put(sqe, IORING_OP_READ, fd, buffer, length, 0, 0, userData);
    }

    private static void put(long sqe, byte opcode, int fd, long addr, int len, long off, int opFlags, long userData) {
        PlatformDependent.putByte(sqe + SQE_OPCODE, opcode);
        PlatformDependent.putInt(sqe + SQE_FD, fd);
        PlatformDependent.putLong(sqe + SQE_OFF, off);
        PlatformDependent.putLong(sqe + SQE_ADDR, addr);
        PlatformDependent.putInt(sqe + SQE_LEN, len);
        PlatformDependent.putInt(sqe + SQE_OP_FLAGS, opFlags);
        PlatformDependent.putLong(sqe + SQE_USER_DATA, userData);
    }

    /**
     * iovec { void *base; size_t len; } × bufferCount and a msghdr pointing at them, in the op's native area
     * ({@link IoUringSlot}). Both belong to the kernel until the op's CQE.
     */
    private static long msghdr(Op op) {
        long iov = IoUringSlot.iovec(op);
        int n = op.bufferCount();
        for (int i = 0; i < n; i++) {
            long v = iov + (long) i * IoUringSlot.IOVEC_SIZE;
            PlatformDependent.putLong(v, op.bufferAddress(i));
            PlatformDependent.putLong(v + 8, op.bufferLength(i));
        }
        long msg = IoUringSlot.msghdr(op);
        for (int i = 0; i < MSGHDR_SIZE; i += 8) {
            PlatformDependent.putLong(msg + i, 0L);
        }
        PlatformDependent.putLong(msg + MSG_IOV, iov);
        PlatformDependent.putLong(msg + MSG_IOVLEN, n);
        return msg;
    }
}
