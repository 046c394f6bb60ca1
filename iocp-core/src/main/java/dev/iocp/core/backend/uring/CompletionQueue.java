package dev.iocp.core.backend.uring;

import dev.iocp.core.backend.BatchFailures;
import dev.iocp.core.backend.CompletionSink;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpSlab;
import dev.iocp.core.backend.OpType;
import io.netty.util.internal.PlatformDependent;

import static dev.iocp.core.backend.uring.IoUringAbi.*;

/**
 * The completion side of a ring: reaping CQEs in ring order and handing each op's to the sink. This is where an
 * errno from a CQE enters the SPI ({@code Errno.ERRORS.error}): the packets' one egress point.
 *
 * <p>Loop thread only: only we write the CQ head.
 */
final class CompletionQueue {
    // The ring's CQ fields, copied here so that reaping reads them one load away, as when they were the backend's.
    private final int mask;
    private final long headAddr;
    private final long tailAddr;
    private final long cqes;
    private final Wakeup wakeup;
    /** The provided buffers, or null: a selecting receive's CQE names one of them (IORING_CQE_F_BUFFER). */
    private final BufferRing buffers;

    CompletionQueue(IoUringRing ring, Wakeup wakeup, BufferRing buffers) {
        this.buffers = buffers;
        this.mask = ring.cqMask;
        this.headAddr = ring.cqHeadAddr;
        this.tailAddr = ring.cqTailAddr;
        this.cqes = ring.cqesAddr;
        this.wakeup = wakeup;
    }

    /** Whether CQEs are posted that we have not reaped. */
    boolean hasReady() {
        return PlatformDependent.getVolatileInt(null, tailAddr) != PlatformDependent.getInt(headAddr);
    }

    /**
     * Hands every CQE up to the tail read now to the sink, in ring order. The tail load is an acquire (the CQE
     * contents the kernel wrote before moving the tail are visible); each CQE's fields are copied out and its slot
     * released (a release store of the head) before the sink runs, so a sink that throws cannot make us read it twice
     * or lose it, and the kernel can reuse the slot at once. Every reaped CQE reaches the sink even if the sink
     * throws for an earlier one: a CQE whose slot was released exists nowhere else ({@link BatchFailures}).
     *
     * <p>A negative user_data is the backend's own request ({@link IoUringBackend#WAKEUP_USER_DATA}): consumed here,
     * never handed to the sink.
     *
     * @return the number of op CQEs handed to the sink
     */
    int reap(OpSlab slab, CompletionSink sink) {
        int head = PlatformDependent.getInt(headAddr); // only we write the CQ head
        int tail = PlatformDependent.getVolatileInt(null, tailAddr);
        int delivered = 0;
        Throwable firstFailure = null;
        while (head != tail) {
            long cqe = cqes + (long) (head & mask) * CQE_SIZE;
            long userData = PlatformDependent.getLong(cqe + CQE_USER_DATA);
            int res = PlatformDependent.getInt(cqe + CQE_RES);
            int flags = PlatformDependent.getInt(cqe + CQE_FLAGS);
            head++;
            PlatformDependent.putOrderedInt(null, headAddr, head);
            if (userData < 0) {
                wakeup.onCompletion(userData, res);
                continue;
            }
            try {
                Op op = slab.byId((int) userData);
                int bytes;
                int error;
                if (op.selectsBuffer()) {
                    // Whatever the result, a CQE that names a buffer hands it to the op's owner (it is out of the
                    // ring now); one that names none (an error before a buffer was picked, ENOBUFS) hands nothing.
                    buffers.selectingInFlight--;
                    if ((flags & IORING_CQE_F_BUFFER) != 0) {
                        int id = flags >>> IORING_CQE_BUFFER_SHIFT;
                        op.selectedBuffer(id);
                        buffers.handedOut(id);
                    }
                }
                if (res >= 0) {
                    error = IoError.SUCCESS;
                    if (op.type() == OpType.ACCEPT) {
                        op.acceptSocket(res); // the new fd; the op's owner takes it with finishAccept
                        bytes = 0;
                    } else if (op.type() == OpType.CONNECT || (op.bufferCount() == 0 && !op.selectsBuffer())) {
                        bytes = 0; // a CONNECT, or a readiness receive (its result is a poll mask, not bytes)
                    } else if (op.type() == OpType.RECV_FROM && res > totalRoom(op)) {
                        // MSG_TRUNC reported the datagram's real length: what fitted was received, the rest lost.
                        bytes = totalRoom(op);
                        error = Errno.ERRORS.error(Errno.EMSGSIZE);
                    } else {
                        bytes = res;
                    }
                } else {
                    bytes = 0;
                    error = Errno.ERRORS.error(-res); // the packets' egress point
                }
                delivered++;
                sink.onPacket(op, bytes, error);
            } catch (Throwable failure) {
                // Keep going: the remaining CQEs are ours alone now (BatchFailures).
                firstFailure = BatchFailures.add(firstFailure, failure);
            }
        }
        BatchFailures.rethrowIfAny(firstFailure);
        return delivered;
    }

    private static int totalRoom(Op op) {
        int room = 0;
        for (int i = 0; i < op.bufferCount(); i++) {
            room += op.bufferLength(i);
        }
        return room;
    }
}
