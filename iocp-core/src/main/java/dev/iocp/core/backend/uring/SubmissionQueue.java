package dev.iocp.core.backend.uring;

import io.netty.util.internal.PlatformDependent;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import static dev.iocp.core.backend.uring.IoUringAbi.*;

/**
 * The submission side of a ring: our SQ tail, handing out SQEs, and publishing them to the kernel. An SQE written
 * here is invisible to the kernel until {@link #enter} publishes the tail with a release store (every SQE written
 * before it is visible to the kernel before the tail is), so a batch of submits costs one syscall.
 *
 * <p>Loop thread only.
 */
final class SubmissionQueue {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(SubmissionQueue.class);

    private final IoUringRing ring;
    // The ring's SQ fields, copied here so that a submit reads them one load away, as when they were the backend's.
    private final int entries;
    private final int mask;
    private final long headAddr;
    private final long tailAddr;
    private final long flagsAddr;
    private final long sqes;
    /** Our SQ tail: SQEs [kernel head, sqeTail) are written; published to the kernel at {@link #enter}. */
    private int sqeTail;

    SubmissionQueue(IoUringRing ring) {
        this.ring = ring;
        this.entries = ring.sqEntries;
        this.mask = ring.sqMask;
        this.headAddr = ring.sqHeadAddr;
        this.tailAddr = ring.sqTailAddr;
        this.flagsAddr = ring.sqFlagsAddr;
        this.sqes = ring.sqes;
        this.sqeTail = PlatformDependent.getVolatileInt(null, tailAddr);
    }

    /**
     * The next free SQE, zeroed, with its tail slot taken; 0 if the SQ is full even after submitting what it holds.
     * The SQE is not visible to the kernel until {@link #enter} publishes the tail.
     */
    long next() {
        int head = PlatformDependent.getVolatileInt(null, headAddr); // acquire: the kernel is done with the slots
        if (sqeTail - head == entries) {
            submitPending();
            head = PlatformDependent.getVolatileInt(null, headAddr);
            if (sqeTail - head == entries) {
                return 0;
            }
        }
        long sqe = sqes + (long) (sqeTail & mask) * SQE_SIZE;
        for (int i = 0; i < SQE_SIZE; i += 8) {
            PlatformDependent.putLong(sqe + i, 0L);
        }
        sqeTail++;
        return sqe;
    }

    /** Whether SQEs are written that the kernel has not taken yet. */
    boolean hasPending() {
        return sqeTail != PlatformDependent.getVolatileInt(null, headAddr);
    }

    /** The kernel's SQ flags (IORING_SQ_CQ_OVERFLOW, IORING_SQ_TASKRUN). */
    int flags() {
        return PlatformDependent.getVolatileInt(null, flagsAddr);
    }

    /** Submits the SQEs written so far without waiting for anything. */
    void submitPending() {
        if (hasPending()) {
            int r = enter(0, 0, 0);
            if (r < 0 && r != -Errno.EINTR && r != -Errno.EAGAIN && r != -Errno.EBUSY) {
                logger.warn("io_uring_enter (submit) failed: {}", Errno.ERRORS.describe(-r));
            }
        }
    }

    /**
     * One io_uring_enter: publishes our SQ tail and submits everything between the kernel's head and it, waiting as
     * {@link IoUringRing#enter} says.
     *
     * @return what the syscall returned (SQEs submitted), or -errno
     */
    int enter(int minComplete, int flags, long timeoutNanos) {
        int toSubmit = sqeTail - PlatformDependent.getVolatileInt(null, headAddr);
        PlatformDependent.putOrderedInt(null, tailAddr, sqeTail);
        return ring.enter(toSubmit, minComplete, flags, timeoutNanos);
    }
}
