package dev.iocp.core.backend.uring;

import com.sun.jna.Native;
import dev.iocp.core.backend.IoException;
import io.netty.util.internal.PlatformDependent;

import static dev.iocp.core.backend.uring.IoUringAbi.*;

/**
 * One io_uring instance: io_uring_setup, the mmap of its SQ/CQ rings (one mapping: IORING_FEAT_SINGLE_MMAP, checked
 * by {@link IoUringProbe}) and of its SQE array, the addresses of the ring fields the queues read and write, the two
 * syscalls made on the ring fd ({@link #enter}, {@link #syncCancel}), and teardown. It knows the kernel's layout;
 * {@link SubmissionQueue} and {@link CompletionQueue} know the protocols.
 *
 * <p>Loop thread only (its scratch block is written by every call).
 */
final class IoUringRing {
    // The ring's own scratch block (loop thread only).
    private static final int SCRATCH_TIMESPEC = 0;   // 16: __kernel_timespec for a bounded wait
    private static final int SCRATCH_GETEVENTS = 16; // 24: io_uring_getevents_arg naming it
    private static final int SCRATCH_CANCEL = 40;    // 64: io_uring_sync_cancel_reg
    private static final int SCRATCH_PARAMS = 104;   // 120: io_uring_params at setup
    private static final int SCRATCH_BUF_REG = SCRATCH_PARAMS + PARAMS_SIZE; // 40: io_uring_buf_reg
    private static final int SCRATCH_SIZE = SCRATCH_BUF_REG + BUF_REG_SIZE;
    /** sizeof(struct io_uring_getevents_arg): what IORING_ENTER_EXT_ARG wants as the argument's size. */
    private static final int GETEVENTS_ARG_SIZE = 24;

    final int fd;
    final int sqEntries;
    final int sqMask;
    final long sqHeadAddr;
    final long sqTailAddr;
    final long sqFlagsAddr;
    final long sqes;
    final int cqMask;
    final long cqHeadAddr;
    final long cqTailAddr;
    final long cqesAddr;

    private final boolean deferTaskrun;
    /** Created with R_DISABLED and not yet enabled: see {@link #enableOnFirstUse}. */
    private boolean disabled;
    private final long ringMem;
    private final long ringSize;
    private final long sqesSize;
    private final long scratch;

    /**
     * Sets up a ring whose completions' follow-up work (task work) runs only when the loop enters the kernel, never
     * by interrupting the loop thread while it runs Java code:
     * <ul>
     *   <li>DEFER_TASKRUN with SINGLE_ISSUER (Linux ≥ 6.1; the default): the work waits for the loop's next
     *       {@code io_uring_enter} with GETEVENTS and runs there, in one batch. The ring then belongs to one thread:
     *       it is created disabled (R_DISABLED, since the loop's backend is created before its thread runs) and
     *       enabled by the first syscall made on it ({@link #enableOnFirstUse}), which makes the calling thread, the
     *       loop's, its only issuer. Measured against COOP_TASKRUN: bench/RESULTS.md.</li>
     *   <li>COOP_TASKRUN otherwise (when not asked for, or an older kernel refuses the flags with EINVAL): the
     *       work runs at the next transition into the kernel.</li>
     * </ul>
     * Either way TASKRUN_FLAG tells us (IORING_SQ_TASKRUN) when such work waits, so a non-blocking poll still enters
     * to run it. SUBMIT_ALL: an SQE the kernel rejects does not stop the rest of the batch; it comes back as its own
     * CQE.
     */
    IoUringRing(int sqEntries, int cqEntries, boolean deferTaskWork) throws IoException {
        long s = PlatformDependent.allocateMemory(SCRATCH_SIZE);
        PlatformDependent.setMemory(s, SCRATCH_SIZE, (byte) 0);
        this.scratch = s;
        long p = s + SCRATCH_PARAMS;
        int common = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE | IORING_SETUP_TASKRUN_FLAG;
        long ringFd = -1;
        boolean deferred = deferTaskWork;
        if (deferred) {
            ringFd = setup(p, sqEntries, cqEntries,
                    common | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_R_DISABLED);
            deferred = ringFd >= 0;
        }
        if (ringFd < 0) {
            ringFd = setup(p, sqEntries, cqEntries, common | IORING_SETUP_COOP_TASKRUN);
        }
        this.disabled = deferred;
        this.deferTaskrun = deferred;
        if (ringFd < 0) {
            IoException e = failure("io_uring_setup");
            PlatformDependent.freeMemory(s);
            throw e;
        }
        this.fd = (int) ringFd;
        this.sqEntries = PlatformDependent.getInt(p + P_SQ_ENTRIES);
        int cqCount = PlatformDependent.getInt(p + P_CQ_ENTRIES);
        long sqOff = p + P_SQ_OFF;
        long cqOff = p + P_CQ_OFF;
        // SQ and CQ rings share one mapping, as large as the larger of the two.
        long sqRingSize = PlatformDependent.getInt(sqOff + SQ_OFF_ARRAY) + 4L * this.sqEntries;
        long cqRingSize = PlatformDependent.getInt(cqOff + CQ_OFF_CQES) + (long) CQE_SIZE * cqCount;
        this.ringSize = Math.max(sqRingSize, cqRingSize);
        long ring = LibC.mmap(0, ringSize, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED | LibC.MAP_POPULATE,
                fd, IORING_OFF_SQ_RING);
        if (ring == LibC.MAP_FAILED) {
            IoException e = failure("mmap (io_uring rings)");
            LibC.close(fd);
            PlatformDependent.freeMemory(s);
            throw e;
        }
        this.ringMem = ring;
        this.sqesSize = (long) SQE_SIZE * this.sqEntries;
        long sqeMem = LibC.mmap(0, sqesSize, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED | LibC.MAP_POPULATE,
                fd, IORING_OFF_SQES);
        if (sqeMem == LibC.MAP_FAILED) {
            IoException e = failure("mmap (io_uring SQEs)");
            LibC.munmap(ring, ringSize);
            LibC.close(fd);
            PlatformDependent.freeMemory(s);
            throw e;
        }
        this.sqes = sqeMem;
        this.sqMask = PlatformDependent.getInt(ring + PlatformDependent.getInt(sqOff + SQ_OFF_MASK));
        this.sqHeadAddr = ring + PlatformDependent.getInt(sqOff + SQ_OFF_HEAD);
        this.sqTailAddr = ring + PlatformDependent.getInt(sqOff + SQ_OFF_TAIL);
        this.sqFlagsAddr = ring + PlatformDependent.getInt(sqOff + SQ_OFF_FLAGS);
        this.cqMask = PlatformDependent.getInt(ring + PlatformDependent.getInt(cqOff + CQ_OFF_MASK));
        this.cqHeadAddr = ring + PlatformDependent.getInt(cqOff + CQ_OFF_HEAD);
        this.cqTailAddr = ring + PlatformDependent.getInt(cqOff + CQ_OFF_TAIL);
        this.cqesAddr = ring + PlatformDependent.getInt(cqOff + CQ_OFF_CQES);
        // The SQ index array is the identity, written once: SQE slot i is always ring entry i.
        long array = ring + PlatformDependent.getInt(sqOff + SQ_OFF_ARRAY);
        for (int i = 0; i < this.sqEntries; i++) {
            PlatformDependent.putInt(array + 4L * i, i);
        }
    }

    /** io_uring_setup with these flags, into the zeroed params at {@code p}: the ring fd, or -1 (errno set). */
    private static long setup(long p, int sqEntries, int cqEntries, int flags) {
        PlatformDependent.setMemory(p, PARAMS_SIZE, (byte) 0);
        PlatformDependent.putInt(p + P_FLAGS, flags);
        PlatformDependent.putInt(p + P_CQ_ENTRIES, cqEntries);
        return LibC.syscall(LibC.SYS_IO_URING_SETUP, sqEntries, p, 0, 0, 0, 0);
    }

    /** Whether the ring defers task work to the loop's enters (DEFER_TASKRUN); false: COOP_TASKRUN. */
    boolean defersTaskWork() {
        return deferTaskrun;
    }

    /**
     * Enables a ring created with R_DISABLED: the calling thread becomes its single issuer. Called at the top of
     * every syscall on the ring, so the first one, on the loop thread, decides; a disabled ring would refuse it.
     */
    private void enableOnFirstUse() {
        if (disabled) {
            long r = LibC.syscall(LibC.SYS_IO_URING_REGISTER, fd, IORING_REGISTER_ENABLE_RINGS, 0, 0, 0, 0);
            if (r < 0) {
                throw new java.io.UncheckedIOException(failure("io_uring_register(ENABLE_RINGS)"));
            }
            disabled = false;
        }
    }

    /** A failed ring call: its errno, as the SPI reports it. */
    private static IoException failure(String call) {
        return Errno.ERRORS.exception(call, Native.getLastError());
    }

    /**
     * io_uring_enter: submits {@code toSubmit} SQEs (the caller has published the SQ tail) and, with
     * IORING_ENTER_GETEVENTS, waits for {@code minComplete} CQEs — at most {@code timeoutNanos} if it is positive
     * (IORING_ENTER_EXT_ARG with a timespec), else without limit.
     *
     * @return what the syscall returned (SQEs submitted), or -errno
     */
    int enter(int toSubmit, int minComplete, int flags, long timeoutNanos) {
        enableOnFirstUse();
        long arg = 0;
        if (timeoutNanos > 0) {
            long ts = scratch + SCRATCH_TIMESPEC;
            PlatformDependent.putLong(ts, timeoutNanos / 1_000_000_000L);
            PlatformDependent.putLong(ts + 8, timeoutNanos % 1_000_000_000L);
            arg = scratch + SCRATCH_GETEVENTS; // io_uring_getevents_arg { sigmask, sigmask_sz, min_wait_usec, ts }
            PlatformDependent.putLong(arg, 0L);
            PlatformDependent.putInt(arg + 8, 0);
            PlatformDependent.putInt(arg + 12, 0);
            PlatformDependent.putLong(arg + 16, ts);
            flags |= IORING_ENTER_EXT_ARG;
        }
        long r = LibC.syscall(LibC.SYS_IO_URING_ENTER, fd, toSubmit, minComplete, flags, arg,
                arg != 0 ? GETEVENTS_ARG_SIZE : 0);
        return r < 0 ? -Native.getLastError() : (int) r;
    }

    /**
     * io_uring_register(IORING_REGISTER_SYNC_CANCEL) with a zero timeout: cancels the ops matching {@code userData}
     * (or, with IORING_ASYNC_CANCEL_FD, {@code fd}); returns the result or -errno.
     */
    int syncCancel(long userData, int fd, int flags) {
        enableOnFirstUse();
        long reg = scratch + SCRATCH_CANCEL;
        for (int i = 0; i < 64; i += 8) {
            PlatformDependent.putLong(reg + i, 0L);
        }
        PlatformDependent.putLong(reg, userData);
        PlatformDependent.putInt(reg + 8, fd);
        PlatformDependent.putInt(reg + 12, flags);
        // timeout {0, 0}: don't wait for an op that is already running (-1/-1 would wait without limit).
        long r = LibC.syscall(LibC.SYS_IO_URING_REGISTER, this.fd, IORING_REGISTER_SYNC_CANCEL, reg, 1, 0, 0);
        return r < 0 ? -Native.getLastError() : (int) r;
    }

    /**
     * io_uring_register(IORING_REGISTER_PBUF_RING): our ring of {@code entries} buffer entries at {@code ringAddr}
     * (page-aligned) becomes buffer group {@code group}. Allowed before the ring is enabled (R_DISABLED), which is
     * when the backend's constructor calls it: it does not make the calling thread the ring's issuer.
     *
     * @return 0, or -errno (EINVAL on a kernel older than 5.19, which has no buffer rings)
     */
    int registerBufferRing(long ringAddr, int entries, int group) {
        return bufferRingCall(IORING_REGISTER_PBUF_RING, ringAddr, entries, group);
    }

    /** io_uring_register(IORING_UNREGISTER_PBUF_RING): the kernel picks no more buffers from the group. */
    int unregisterBufferRing(int group) {
        return bufferRingCall(IORING_UNREGISTER_PBUF_RING, 0L, 0, group);
    }

    private int bufferRingCall(int opcode, long ringAddr, int entries, int group) {
        long reg = scratch + SCRATCH_BUF_REG;
        PlatformDependent.setMemory(reg, BUF_REG_SIZE, (byte) 0);
        PlatformDependent.putLong(reg + BUF_REG_RING_ADDR, ringAddr);
        PlatformDependent.putInt(reg + BUF_REG_RING_ENTRIES, entries);
        PlatformDependent.putShort(reg + BUF_REG_BGID, (short) group);
        long r = LibC.syscall(LibC.SYS_IO_URING_REGISTER, fd, opcode, reg, 1, 0, 0);
        return r < 0 ? -Native.getLastError() : (int) r;
    }

    /** Unmaps the rings and closes the ring fd (the kernel cancels whatever is left in it). */
    void close() {
        LibC.munmap(sqes, sqesSize);
        LibC.munmap(ringMem, ringSize);
        LibC.close(fd);
        PlatformDependent.freeMemory(scratch);
    }
}
