package dev.iocp.core.backend.uring;

import com.sun.jna.Native;
import dev.iocp.core.backend.IoException;
import io.netty.util.internal.PlatformDependent;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

/**
 * The wake-up: an eventfd with an 8-byte READ of it kept in the ring. {@link #wake} (any thread) adds 1 to the
 * eventfd, the pending read completes, and the loop's current or next wait returns; the read's CQE is consumed by
 * {@link #onCompletion}, which re-arms it. If the read is not armed at the moment of a wake (its CQE is being
 * handled), the count stays and the re-armed read completes at once: no wake-up is lost.
 */
final class Wakeup {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(Wakeup.class);

    private final SubmissionQueue sq;
    private final int eventFd;
    /** Where the pending read writes: the kernel's while the read is armed (8 bytes). */
    private final long buffer;
    /** Whether the read is in the ring (or written and about to be submitted); re-armed after its CQE. */
    private boolean armed;
    private volatile boolean closed;

    Wakeup(SubmissionQueue sq) throws IoException {
        this.sq = sq;
        int efd = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        if (efd < 0) {
            throw Errno.ERRORS.exception("eventfd", Native.getLastError());
        }
        this.eventFd = efd;
        this.buffer = PlatformDependent.allocateMemory(8);
        arm();
    }

    /** Loop thread, before a wait: the read must be in the ring for a wake to end the wait. */
    void ensureArmed() {
        if (!armed) {
            arm();
        }
    }

    /** Writes the pending 8-byte eventfd read (not yet submitted: the next enter takes it). */
    private void arm() {
        long sqe = sq.next();
        if (sqe == 0) {
            return; // SQ full: the next poll tries again
        }
        Sqe.read(sqe, eventFd, buffer, 8, IoUringBackend.WAKEUP_USER_DATA);
        armed = true;
    }

    /** Loop thread: a CQE with a reserved (negative) user_data was reaped. */
    void onCompletion(long userData, int res) {
        if (userData != IoUringBackend.WAKEUP_USER_DATA) {
            logger.warn("ignoring a CQE with unknown internal user_data {}", userData);
            return;
        }
        // The eventfd read completed: its only job was to end the wait. Re-arm it (submitted at the next enter).
        armed = false;
        if (res < 0 && res != -Errno.ECANCELED && res != -Errno.EINTR) {
            logger.warn("eventfd read (wake-up) failed: {}", Errno.ERRORS.describe(-res));
        }
        if (!closed) {
            arm();
        }
    }

    /** Adds 1 to the eventfd. Safe from any thread; a wake-up after {@link #close()} is ignored. */
    void wake() {
        if (closed) {
            return;
        }
        if (LibC.eventfd_write(eventFd, 1L) != 0) {
            logger.warn("eventfd_write (wake-up) failed: {}", Errno.ERRORS.describe(Native.getLastError()));
        }
    }

    /** From now on {@link #wake} does nothing and a completed read is not re-armed: the first step of a close. */
    void stop() {
        closed = true;
    }

    /**
     * Closes the eventfd and frees the read's buffer. The caller has {@link #stop stopped} this and closed the ring
     * first: that cancels the pending read, so the kernel no longer owns the buffer.
     */
    void close() {
        LibC.close(eventFd);
        PlatformDependent.freeMemory(buffer);
    }
}
