package dev.iocp.core.backend.uring;

import com.sun.jna.Native;
import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.BatchFailures;
import dev.iocp.core.backend.CancelResult;
import dev.iocp.core.backend.CompletionSink;
import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.IoException;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpSlab;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.backend.SockAddrCodec;
import dev.iocp.core.backend.SocketOpt;
import io.netty.util.internal.PlatformDependent;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Optional;

import static dev.iocp.core.backend.uring.IoUringAbi.*;

/**
 * The {@link Backend} over one Linux io_uring instance: the same loop and transport as on Windows, on a real
 * completion interface.
 *
 * <h2>How an op travels</h2>
 * A submit writes one SQE into the mapped SQE array with {@code user_data} = the op's id, and marks the op in flight;
 * it does not enter the kernel. {@link #poll} publishes the SQ tail once (a release store) and makes one
 * {@code io_uring_enter} that both submits the whole batch and waits for the first completion; it then reaps the CQ
 * ring up to the tail it read (an acquire load), finding each op by {@code slab.byId(user_data)} — an array index,
 * no lookup table, no allocation — and releases each CQE slot (a release store of the CQ head) before handing the
 * op to the sink.
 *
 * <h2>Invariants kept here</h2>
 * <ul>
 *   <li><b>Exactly one packet per successful submit.</b> A submit that returns 0 has written one SQE whose
 *       user_data is the op id; the kernel posts exactly one CQE for it (no multishot ops, no CQE skipping, and
 *       IORING_FEAT_NODROP: a full CQ overflows into a kernel list that the next enter flushes — never dropped).
 *       Even an SQE the kernel rejects at submission time comes back as a CQE with the error.</li>
 *   <li><b>The packet is the only truth</b> (invariant 1, ARCHITECTURE.md): {@link #cancel} asks with
 *       IORING_REGISTER_SYNC_CANCEL; REQUESTED or NOT_FOUND, the op's CQE still comes and is delivered as it is:
 *       a RECV that completed with data before the cancel reached it delivers its bytes.</li>
 *   <li><b>The kernel owns the op's memory from submit to CQE</b> (invariant 2): the SQE names the op's buffers,
 *       and for SENDMSG/RECVMSG the iovec array and msghdr, for CONNECT the sockaddr, all in the op's native area
 *       ({@link IoUringSlot}); nothing here frees or rewrites them before the CQE is reaped.</li>
 *   <li><b>Program order reaches the kernel.</b> Any synchronous call that changes a socket's state or asks about
 *       its ops ({@link #cancel}, {@link #close(long, boolean)}, {@link #shutdownOutput}) first submits the SQEs
 *       written so far, so the kernel sees ops and state changes in the order the loop made them (a SEND written
 *       before a shutdown is in the kernel before the shutdown; a cancel finds the op it names).</li>
 *   <li><b>Every reaped CQE reaches the sink</b>, even if the sink throws for an earlier one: a CQE whose slot was
 *       released exists nowhere else.</li>
 * </ul>
 *
 * <h2>Threading</h2>
 * Everything but {@link #wakeup()} runs on the loop thread: the SQ tail, CQ head and the scratch memory need no
 * locking. {@link #wakeup()} only writes to an eventfd.
 *
 * <p>Requires Linux ≥ 6.0 (IORING_REGISTER_SYNC_CANCEL, IORING_SETUP_SUBMIT_ALL, IORING_ENTER_EXT_ARG); see
 * {@link #unavailableReason()}.
 */
public final class IoUringBackend implements Backend {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(IoUringBackend.class);

    public static final int DEFAULT_SQ_ENTRIES = 1024;
    public static final int DEFAULT_CQ_ENTRIES = 8192;

    /**
     * Reserved user_data values. Op ids are non-negative ints, so every negative value is free for the backend's
     * own requests; a CQE with one of these is consumed here and never reaches the sink.
     */
    static final long WAKEUP_USER_DATA = -1L;
    /** Never submitted: the sync-cancel probe looks for it and must get -ENOENT. */
    static final long PROBE_USER_DATA = -2L;

    // Layout of the loop-thread scratch block.
    private static final int SYNC_SOCKADDR = 0;      // 128: a sockaddr
    private static final int SYNC_LENGTH = 128;      // socklen_t in/out
    private static final int SYNC_VALUE = 136;       // 8: option value / struct linger {int, int}
    private static final int SYNC_TIMESPEC = 144;    // 16: __kernel_timespec for the wait
    private static final int SYNC_GETEVENTS = 160;   // 24: io_uring_getevents_arg
    private static final int SYNC_CANCEL = 192;      // 64: io_uring_sync_cancel_reg
    private static final int SYNC_WAKE_BUFFER = 256; // 8: where the pending eventfd read writes (kernel-owned)
    private static final int SYNC_PARAMS = 264;      // 120: io_uring_params at setup
    private static final int SYNC_SIZE = 384;

    private static final String UNAVAILABLE = IoUringProbe.probe();

    private final int ringFd;
    private final long ringMem;
    private final long ringSize;
    private final long sqes;
    private final long sqesSize;
    private final int sqEntries;
    private final int sqMask;
    private final long sqHeadAddr;
    private final long sqTailAddr;
    private final long sqFlagsAddr;
    private final int cqMask;
    private final long cqHeadAddr;
    private final long cqTailAddr;
    private final long cqesAddr;
    private final int eventFd;
    private final long sync;

    /** Our SQ tail: SQEs [kernel head, sqeTail) are written; published to the kernel at {@link #enter}. */
    private int sqeTail;
    /** Whether the eventfd read is in the ring (or written and about to be); re-armed after its CQE. */
    private boolean wakeArmed;
    private volatile boolean closed;

    public IoUringBackend() throws IoException {
        this(DEFAULT_SQ_ENTRIES, DEFAULT_CQ_ENTRIES);
    }

    /**
     * @param sqEntries submission ring size (SQEs written between two polls; a full ring is flushed early)
     * @param cqEntries completion ring size (CQEs the kernel can post before we reap; beyond it NODROP overflows)
     */
    public IoUringBackend(int sqEntries, int cqEntries) throws IoException {
        if (UNAVAILABLE != null) {
            throw new UnsupportedOperationException("io_uring backend unavailable: " + UNAVAILABLE);
        }
        long s = PlatformDependent.allocateMemory(SYNC_SIZE);
        PlatformDependent.setMemory(s, SYNC_SIZE, (byte) 0);
        this.sync = s;
        long p = s + SYNC_PARAMS;
        // COOP_TASKRUN: completions' follow-up work runs when the loop next enters the kernel, instead of the kernel
        // interrupting the loop thread for each one; TASKRUN_FLAG tells us (IORING_SQ_TASKRUN) when such work waits,
        // so a non-blocking poll still enters to run it. (Measured: see bench/RESULTS.md.)
        PlatformDependent.putInt(p + P_FLAGS, IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE
                | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG);
        PlatformDependent.putInt(p + P_CQ_ENTRIES, cqEntries);
        long fd = LibC.syscall(LibC.SYS_IO_URING_SETUP, sqEntries, p, 0, 0, 0, 0);
        if (fd < 0) {
            int errno = Native.getLastError();
            PlatformDependent.freeMemory(s);
            throw Errno.ERRORS.exception("io_uring_setup", errno);
        }
        this.ringFd = (int) fd;
        this.sqEntries = PlatformDependent.getInt(p + P_SQ_ENTRIES);
        int cqCount = PlatformDependent.getInt(p + P_CQ_ENTRIES);
        long sqOff = p + P_SQ_OFF;
        long cqOff = p + P_CQ_OFF;
        // IORING_FEAT_SINGLE_MMAP (checked by probe()): SQ and CQ rings share one mapping.
        long sqRingSize = PlatformDependent.getInt(sqOff + SQ_OFF_ARRAY) + 4L * this.sqEntries;
        long cqRingSize = PlatformDependent.getInt(cqOff + CQ_OFF_CQES) + (long) CQE_SIZE * cqCount;
        this.ringSize = Math.max(sqRingSize, cqRingSize);
        long ring = LibC.mmap(0, ringSize, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED | LibC.MAP_POPULATE,
                ringFd, IORING_OFF_SQ_RING);
        if (ring == LibC.MAP_FAILED) {
            int errno = Native.getLastError();
            LibC.close(ringFd);
            PlatformDependent.freeMemory(s);
            throw Errno.ERRORS.exception("mmap (io_uring rings)", errno);
        }
        this.ringMem = ring;
        this.sqesSize = (long) SQE_SIZE * this.sqEntries;
        long sqeMem = LibC.mmap(0, sqesSize, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED | LibC.MAP_POPULATE,
                ringFd, IORING_OFF_SQES);
        if (sqeMem == LibC.MAP_FAILED) {
            int errno = Native.getLastError();
            LibC.munmap(ring, ringSize);
            LibC.close(ringFd);
            PlatformDependent.freeMemory(s);
            throw Errno.ERRORS.exception("mmap (io_uring SQEs)", errno);
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
        this.sqeTail = PlatformDependent.getVolatileInt(null, sqTailAddr);

        int efd = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        if (efd < 0) {
            int errno = Native.getLastError();
            releaseRing();
            PlatformDependent.freeMemory(s);
            throw Errno.ERRORS.exception("eventfd", errno);
        }
        this.eventFd = efd;
        armWakeup();
    }

    // ------------------------------------------------------------------------------------------ availability

    /**
     * Why this backend cannot run here, or empty if it can. Tests skip with it
     * ({@code assumeTrue(unavailableReason().isEmpty(), ...)}) so that a skip says why.
     */
    public static Optional<String> unavailableReason() {
        return Optional.ofNullable(UNAVAILABLE);
    }

    @Override
    public String name() {
        return "io_uring";
    }

    // ------------------------------------------------------------------------------------------ sockets

    /** A synchronous call failed: its errno, as the SPI reports it (the egress point of synchronous errors). */
    private static IoException failure(String call) {
        return Errno.ERRORS.exception(call, Native.getLastError());
    }

    /**
     * A close-on-exec TCP socket. It stays blocking: io_uring tries each op without blocking and, when it would
     * block, arms a poll on the socket instead of tying up a thread, so blocking sockets cost nothing here and
     * the synchronous calls (connect is never one) behave as usual.
     *
     * <p>Two defaults are set so that the Linux socket behaves like the Winsock one the transport was written on:
     * SO_REUSEADDR=1 (Windows lets a listener rebind a port whose old connections sit in TIME_WAIT without any
     * option; Linux needs this) and, for IPv6, IPV6_V6ONLY=1 (Windows' default; Linux's is dual-stack).
     */
    @Override
    public long openTcpSocket(boolean ipv6) throws IoException {
        int fd = LibC.socket(ipv6 ? LibC.AF_INET6 : LibC.AF_INET, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC,
                LibC.IPPROTO_TCP);
        if (fd < 0) {
            throw failure("socket");
        }
        try {
            setInt(fd, LibC.SOL_SOCKET, LibC.SO_REUSEADDR, 1, "setsockopt SO_REUSEADDR");
            if (ipv6) {
                setInt(fd, LibC.IPPROTO_IPV6, LibC.IPV6_V6ONLY, 1, "setsockopt IPV6_V6ONLY");
            }
        } catch (IoException e) {
            LibC.close(fd);
            throw e;
        }
        return fd;
    }

    /** Nothing to do: an fd belongs to the process, and any ring may submit ops on it (unlike a port association). */
    @Override
    public void register(long socket) {
    }

    @Override
    public void bind(long socket, InetSocketAddress address) throws IoException {
        int len = encodeSockaddr(address, sync + SYNC_SOCKADDR);
        if (LibC.bind((int) socket, sync + SYNC_SOCKADDR, len) != 0) {
            throw failure("bind " + address);
        }
    }

    @Override
    public void listen(long socket, int backlog) throws IoException {
        if (LibC.listen((int) socket, backlog) != 0) {
            throw failure("listen");
        }
    }

    @Override
    public InetSocketAddress localAddress(long socket) throws IoException {
        PlatformDependent.putInt(sync + SYNC_LENGTH, 128);
        if (LibC.getsockname((int) socket, sync + SYNC_SOCKADDR, sync + SYNC_LENGTH) != 0) {
            throw failure("getsockname");
        }
        return decodeSockaddr(sync + SYNC_SOCKADDR);
    }

    @Override
    public InetSocketAddress remoteAddress(long socket) throws IoException {
        PlatformDependent.putInt(sync + SYNC_LENGTH, 128);
        if (LibC.getpeername((int) socket, sync + SYNC_SOCKADDR, sync + SYNC_LENGTH) != 0) {
            throw failure("getpeername");
        }
        return decodeSockaddr(sync + SYNC_SOCKADDR);
    }

    /**
     * All five options are int-valued on Linux. Note Linux doubles SO_RCVBUF/SO_SNDBUF on set (room for its
     * bookkeeping) and {@link #getOption} reports the doubled, real size.
     */
    @Override
    public void setOption(long socket, SocketOpt option, int value) throws IoException {
        setInt((int) socket, level(option), optionName(option), value, "setsockopt " + option);
    }

    private void setInt(int fd, int level, int name, int value, String call) throws IoException {
        PlatformDependent.putInt(sync + SYNC_VALUE, value);
        if (LibC.setsockopt(fd, level, name, sync + SYNC_VALUE, 4) != 0) {
            throw failure(call);
        }
    }

    @Override
    public int getOption(long socket, SocketOpt option) throws IoException {
        PlatformDependent.putLong(sync + SYNC_VALUE, 0L);
        PlatformDependent.putInt(sync + SYNC_LENGTH, 4);
        if (LibC.getsockopt((int) socket, level(option), optionName(option), sync + SYNC_VALUE, sync + SYNC_LENGTH)
                != 0) {
            throw failure("getsockopt " + option);
        }
        return PlatformDependent.getInt(sync + SYNC_VALUE);
    }

    private static int level(SocketOpt option) {
        return option == SocketOpt.TCP_NODELAY ? LibC.IPPROTO_TCP : LibC.SOL_SOCKET;
    }

    private static int optionName(SocketOpt option) {
        switch (option) {
            case TCP_NODELAY: return LibC.TCP_NODELAY;
            case SO_KEEPALIVE: return LibC.SO_KEEPALIVE;
            case SO_RCVBUF: return LibC.SO_RCVBUF;
            case SO_SNDBUF: return LibC.SO_SNDBUF;
            case SO_REUSEADDR: return LibC.SO_REUSEADDR;
            default: throw new IllegalArgumentException("unsupported option " + option);
        }
    }

    @Override
    public void shutdownOutput(long socket) throws IoException {
        submitPending(); // a SEND written before this must reach the kernel before the FIN does
        if (LibC.shutdown((int) socket, LibC.SHUT_WR) != 0) {
            throw failure("shutdown (SHUT_WR)");
        }
    }

    /**
     * Closes the socket — after cancelling every op of ours still on it. On Linux {@code close(fd)} does not end the
     * io_uring ops on that fd: each holds its own reference to the file, so a pending RECV would stay pending
     * forever (and the socket would not even be released: no FIN), and the loop's shutdown would wait for its CQE
     * in vain. So: (1) submit what is written (an SQE still in our ring would otherwise reach the kernel after the
     * close, on an fd number that may by then name another socket); (2) IORING_REGISTER_SYNC_CANCEL with
     * IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL: every op of this ring on the fd is cancelled and completes
     * with -ECANCELED (reported as {@link ErrorCode#ABORTED}), or with its result if it had already finished —
     * either way its CQE comes (invariants 1 and 2); (3) for an abortive close SO_LINGER {1, 0}, so the final
     * release of the socket sends RST and drops unsent data; (4) close(fd). If a cancelled request still holds the
     * file when close returns, the socket is released (FIN or RST) as soon as that request's CQE is posted.
     */
    @Override
    public void close(long socket, boolean abortive) {
        int fd = (int) socket;
        if (!closed) {
            submitPending();
            int r = syncCancel(0L, fd, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL);
            if (r < 0 && r != -Errno.ENOENT) {
                logger.debug("cancelling the ops of fd {} before close failed: {}", fd, Errno.ERRORS.describe(-r));
            }
        }
        if (abortive) {
            // struct linger { int l_onoff = 1; int l_linger = 0; }
            PlatformDependent.putInt(sync + SYNC_VALUE, 1);
            PlatformDependent.putInt(sync + SYNC_VALUE + 4, 0);
            if (LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_LINGER, sync + SYNC_VALUE, 8) != 0) {
                logger.debug("setsockopt(SO_LINGER {{1,0}}) on {} failed: {}", fd, Errno.ERRORS.describe(Native.getLastError()));
            }
        }
        if (LibC.close(fd) != 0) {
            logger.debug("close({}) failed: {}", fd, Errno.ERRORS.describe(Native.getLastError()));
        }
    }

    // ------------------------------------------------------------------------------------------ submits

    /**
     * The next free SQE, zeroed, with its tail slot taken; 0 if the SQ is full even after submitting what it holds.
     * The SQE is not visible to the kernel until {@link #enter} publishes the tail.
     */
    private long nextSqe() {
        int head = PlatformDependent.getVolatileInt(null, sqHeadAddr); // acquire: the kernel is done with the slots
        if (sqeTail - head == sqEntries) {
            submitPending();
            head = PlatformDependent.getVolatileInt(null, sqHeadAddr);
            if (sqeTail - head == sqEntries) {
                return 0;
            }
        }
        long sqe = sqes + (long) (sqeTail & sqMask) * SQE_SIZE;
        for (int i = 0; i < SQE_SIZE; i += 8) {
            PlatformDependent.putLong(sqe + i, 0L);
        }
        sqeTail++;
        return sqe;
    }

    private static void sqe(long sqe, byte opcode, int fd, long addr, int len, long off, int opFlags, long userData) {
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
    private static long encodeMsghdr(Op op) {
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

    /** The tail of every submit: the SQE is written, so one CQE will come (the SPI's "0"). */
    private static int submitted(Op op) {
        op.markInFlight();
        return 0;
    }

    /** A submit failed before reaching the kernel, for the reason this errno names: the SPI's error. */
    private static int submitFailed(int errno) {
        return Errno.ERRORS.error(errno);
    }

    /**
     * The SQ is full even after submitting what it held. No call failed: ENOBUFS stands in for "no room to queue
     * this now", which is what it means to the transport ({@link ErrorCode#NO_BUFFERS}: back off and retry).
     */
    private static int ringFull() {
        return submitFailed(Errno.ENOBUFS);
    }

    /**
     * RECV into the single buffer (the transport's case), RECVMSG over several. A receive with no room is refused
     * (EINVAL): Winsock allows a zero-byte WSARecv as a readiness probe, but on Linux it completes at once with 0,
     * which the transport would read as the peer's FIN.
     */
    @Override
    public int submitRecv(Op op) {
        int room = 0;
        for (int i = 0; i < op.bufferCount(); i++) {
            room |= op.bufferLength(i);
        }
        if (room == 0) {
            return submitFailed(Errno.EINVAL);
        }
        long sqe = nextSqe();
        if (sqe == 0) {
            return ringFull();
        }
        if (op.bufferCount() == 1) {
            sqe(sqe, IORING_OP_RECV, (int) op.socket(), op.bufferAddress(0), op.bufferLength(0), 0, 0, op.id());
            // IORING_RECVSEND_POLL_FIRST: the transport re-arms its receive right after consuming the last one, so the
            // socket is usually empty: skip the attempt that would fail and arm the poll at once.
            PlatformDependent.putShort(sqe + SQE_IOPRIO, (short) 1);
        } else {
            sqe(sqe, IORING_OP_RECVMSG, (int) op.socket(), encodeMsghdr(op), 0, 0, 0, op.id());
        }
        return submitted(op);
    }

    /**
     * SEND for one buffer, SENDMSG gathering several; MSG_NOSIGNAL (a send after the peer's reset fails with EPIPE,
     * never raises SIGPIPE). Without MSG_WAITALL a stream send may complete short: its CQE reports the bytes sent
     * and the transport submits the rest.
     */
    @Override
    public int submitSend(Op op) {
        long sqe = nextSqe();
        if (sqe == 0) {
            return ringFull();
        }
        if (op.bufferCount() == 1) {
            sqe(sqe, IORING_OP_SEND, (int) op.socket(), op.bufferAddress(0), op.bufferLength(0), 0,
                    LibC.MSG_NOSIGNAL, op.id());
        } else {
            sqe(sqe, IORING_OP_SENDMSG, (int) op.socket(), encodeMsghdr(op), 0, 0, LibC.MSG_NOSIGNAL, op.id());
        }
        return submitted(op);
    }

    /**
     * ACCEPT on the listener, peer address not asked for, the new fd close-on-exec. Unlike AcceptEx no socket is
     * prepared: the CQE's result is the new fd, which {@link #poll} records with {@link Op#acceptSocket(long)} (so
     * after a failed CQE {@code acceptSocket()} stays 0: nothing to close).
     */
    @Override
    public int submitAccept(Op op) {
        long sqe = nextSqe();
        if (sqe == 0) {
            return ringFull();
        }
        op.acceptSocket(0);
        sqe(sqe, IORING_OP_ACCEPT, (int) op.socket(), 0, 0, 0, LibC.SOCK_CLOEXEC, op.id());
        return submitted(op);
    }

    /** The accepted fd needs no finishing on Linux (no SO_UPDATE_ACCEPT_CONTEXT); the caller owns it from here. */
    @Override
    public long finishAccept(Op op) {
        return op.acceptSocket();
    }

    /** CONNECT to the sockaddr encoded in the op's native area (no wildcard bind needed on Linux). */
    @Override
    public int submitConnect(Op op, InetSocketAddress remote) {
        int len;
        try {
            len = encodeSockaddr(remote, IoUringSlot.sockaddr(op));
        } catch (IllegalArgumentException e) {
            return submitFailed(Errno.EFAULT);
        }
        long sqe = nextSqe();
        if (sqe == 0) {
            return ringFull();
        }
        // IORING_OP_CONNECT: addr = sockaddr, off (addr2) = its length.
        sqe(sqe, IORING_OP_CONNECT, (int) op.socket(), IoUringSlot.sockaddr(op), 0, len, 0, op.id());
        return submitted(op);
    }

    @Override
    public void finishConnect(Op op) {
        // Nothing: a connected Linux socket already answers getpeername/shutdown.
    }

    // ------------------------------------------------------------------------------------------ cancel

    /**
     * Synchronous cancel of this op by its user_data (IORING_REGISTER_SYNC_CANCEL). 0: the kernel found the op and
     * cancelled it ({@link CancelResult#REQUESTED}; its CQE will say -ECANCELED). -ENOENT: the op is no longer
     * pending — it completed and its CQE, possibly with data, is posted or about to be ({@link
     * CancelResult#NOT_FOUND}; dropping that CQE is bpo-33694). -EALREADY (then -ETIME, since we give the kernel no
     * time to wait): the op is running and will complete as it completes — also NOT_FOUND. In every case the CQE
     * comes and decides (invariant 1).
     *
     * <p>The SQEs written so far are submitted first: the op may still be an SQE in our ring, which the kernel
     * cannot find; after the flush it is either pending in the kernel (cancelled) or already complete (NOT_FOUND).
     */
    @Override
    public CancelResult cancel(Op op) {
        if (op.state() != Op.State.IN_FLIGHT) {
            throw new IllegalStateException("cancel of " + op + ": not in flight");
        }
        op.noteCancelRequested();
        submitPending();
        int r = syncCancel(op.id(), -1, 0);
        if (r == 0) {
            return CancelResult.REQUESTED;
        }
        if (r != -Errno.ENOENT && r != -Errno.EALREADY && r != -Errno.ETIME) {
            logger.debug("sync cancel of {} failed: {}", op, Errno.ERRORS.describe(-r));
        }
        return CancelResult.NOT_FOUND;
    }

    /** io_uring_register(IORING_REGISTER_SYNC_CANCEL) with a zero timeout; returns the result or -errno. */
    private int syncCancel(long userData, int fd, int flags) {
        long reg = sync + SYNC_CANCEL;
        for (int i = 0; i < 64; i += 8) {
            PlatformDependent.putLong(reg + i, 0L);
        }
        PlatformDependent.putLong(reg, userData);
        PlatformDependent.putInt(reg + 8, fd);
        PlatformDependent.putInt(reg + 12, flags);
        // timeout {0, 0}: don't wait for an op that is already running (-1/-1 would wait without limit).
        long r = LibC.syscall(LibC.SYS_IO_URING_REGISTER, ringFd, IORING_REGISTER_SYNC_CANCEL, reg, 1, 0, 0);
        return r < 0 ? -Native.getLastError() : (int) r;
    }

    // ------------------------------------------------------------------------------------------ poll / wakeup

    /** Submits the SQEs written so far without waiting for anything. */
    private void submitPending() {
        if (sqeTail != PlatformDependent.getVolatileInt(null, sqHeadAddr)) {
            int r = enter(0, 0, 0);
            if (r < 0 && r != -Errno.EINTR && r != -Errno.EAGAIN && r != -Errno.EBUSY) {
                logger.warn("io_uring_enter (submit) failed: {}", Errno.ERRORS.describe(-r));
            }
        }
    }

    /**
     * One io_uring_enter: publishes our SQ tail with a release store (every SQE written before it is visible to
     * the kernel before the tail is) and submits everything between the kernel's head and it.
     *
     * @return what the syscall returned (SQEs submitted), or -errno
     */
    private int enter(int minComplete, int flags, long arg) {
        int toSubmit = sqeTail - PlatformDependent.getVolatileInt(null, sqHeadAddr);
        PlatformDependent.putOrderedInt(null, sqTailAddr, sqeTail);
        long r = LibC.syscall(LibC.SYS_IO_URING_ENTER, ringFd, toSubmit, minComplete, flags, arg,
                arg != 0 ? 24 : 0);
        return r < 0 ? -Native.getLastError() : (int) r;
    }

    @Override
    public int poll(OpSlab slab, CompletionSink sink, long timeoutNanos) {
        if (closed) {
            throw new IllegalStateException("io_uring backend is closed");
        }
        if (!wakeArmed) {
            armWakeup();
        }
        boolean pending = sqeTail != PlatformDependent.getVolatileInt(null, sqHeadAddr);
        boolean ready = PlatformDependent.getVolatileInt(null, cqTailAddr)
                != PlatformDependent.getInt(cqHeadAddr);
        int r = 0;
        if (timeoutNanos == 0 || ready) {
            // Don't wait. Enter only if there is something to submit or CQEs waiting in the overflow list.
            int sqFlags = PlatformDependent.getVolatileInt(null, sqFlagsAddr);
            boolean getEvents = (sqFlags & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN)) != 0;
            if (pending || getEvents) {
                r = enter(0, getEvents ? IORING_ENTER_GETEVENTS : 0, 0);
            }
        } else if (timeoutNanos < 0) {
            r = enter(1, IORING_ENTER_GETEVENTS, 0);
        } else {
            long ts = sync + SYNC_TIMESPEC;
            PlatformDependent.putLong(ts, timeoutNanos / 1_000_000_000L);
            PlatformDependent.putLong(ts + 8, timeoutNanos % 1_000_000_000L);
            long arg = sync + SYNC_GETEVENTS; // io_uring_getevents_arg { sigmask, sigmask_sz, min_wait_usec, ts }
            PlatformDependent.putLong(arg, 0L);
            PlatformDependent.putInt(arg + 8, 0);
            PlatformDependent.putInt(arg + 12, 0);
            PlatformDependent.putLong(arg + 16, ts);
            r = enter(1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, arg);
        }
        if (r < 0 && r != -Errno.ETIME && r != -Errno.EINTR && r != -Errno.EAGAIN && r != -Errno.EBUSY) {
            throw new UncheckedIOException(Errno.ERRORS.exception("io_uring_enter", -r));
        }
        return reap(slab, sink);
    }

    /**
     * Hands every CQE up to the tail read now to the sink, in ring order. The tail load is an acquire (the CQE
     * contents the kernel wrote before moving the tail are visible); each CQE's fields are copied out and its slot
     * released (a release store of the head) before the sink runs, so a sink that throws cannot make us read it twice
     * or lose it, and the kernel can reuse the slot at once.
     */
    private int reap(OpSlab slab, CompletionSink sink) {
        int head = PlatformDependent.getInt(cqHeadAddr); // only we write the CQ head
        int tail = PlatformDependent.getVolatileInt(null, cqTailAddr);
        int delivered = 0;
        Throwable firstFailure = null;
        while (head != tail) {
            long cqe = cqesAddr + (long) (head & cqMask) * CQE_SIZE;
            long userData = PlatformDependent.getLong(cqe + CQE_USER_DATA);
            int res = PlatformDependent.getInt(cqe + CQE_RES);
            head++;
            PlatformDependent.putOrderedInt(null, cqHeadAddr, head);
            if (userData < 0) {
                internalCompletion(userData, res);
                continue;
            }
            try {
                Op op = slab.byId((int) userData);
                int bytes;
                int error;
                if (res >= 0) {
                    error = 0;
                    if (op.type() == OpType.ACCEPT) {
                        op.acceptSocket(res); // the new fd; the op's owner takes it with finishAccept
                        bytes = 0;
                    } else if (op.type() == OpType.CONNECT) {
                        bytes = 0;
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

    private void internalCompletion(long userData, int res) {
        if (userData == WAKEUP_USER_DATA) {
            // The eventfd read completed: its only job was to end the wait. Re-arm it (submitted at the next enter).
            wakeArmed = false;
            if (res < 0 && res != -Errno.ECANCELED && res != -Errno.EINTR) {
                logger.warn("eventfd read (wake-up) failed: {}", Errno.ERRORS.describe(-res));
            }
            if (!closed) {
                armWakeup();
            }
        } else {
            logger.warn("ignoring a CQE with unknown internal user_data {}", userData);
        }
    }

    /** Writes the pending 8-byte eventfd read (not yet submitted: the next enter takes it). */
    private void armWakeup() {
        long sqe = nextSqe();
        if (sqe == 0) {
            return; // SQ full: poll tries again
        }
        sqe(sqe, IORING_OP_READ, eventFd, sync + SYNC_WAKE_BUFFER, 8, 0, 0, WAKEUP_USER_DATA);
        wakeArmed = true;
    }

    /**
     * Adds 1 to the eventfd: the pending read completes and the current or next wait returns. If the read is not
     * armed at this moment (its CQE is being handled), the count stays and the re-armed read completes at once.
     * Safe from any thread; a wake-up after {@link #close()} is ignored.
     */
    @Override
    public void wakeup() {
        if (closed) {
            return;
        }
        if (LibC.eventfd_write(eventFd, 1L) != 0) {
            logger.warn("eventfd_write (wake-up) failed: {}", Errno.ERRORS.describe(Native.getLastError()));
        }
    }

    /**
     * Closes the ring (the kernel cancels what is left in it: only the wake-up read, since the caller waited for
     * every op's CQE), unmaps it and closes the eventfd. Op memory is the slab's and is not touched here.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        releaseRing();
        LibC.close(eventFd);
        PlatformDependent.freeMemory(sync);
    }

    private void releaseRing() {
        LibC.munmap(sqes, sqesSize);
        LibC.munmap(ringMem, ringSize);
        LibC.close(ringFd);
    }

    // ------------------------------------------------------------------------------------------ sockaddr

    /** Linux's sockaddr_in / sockaddr_in6, with the codec every backend shares; returns the length written. */
    static int encodeSockaddr(InetSocketAddress address, long p) {
        return SockAddrCodec.LINUX.encode(address, p);
    }

    /**
     * Decodes what getsockname/getpeername wrote at {@code p}. Its length is not kept by the callers; the family
     * decides the layout, and the buffer always has room for the larger one.
     */
    static InetSocketAddress decodeSockaddr(long p) {
        return SockAddrCodec.LINUX.decode(p, SockAddrCodec.MAX_SIZE);
    }
}
