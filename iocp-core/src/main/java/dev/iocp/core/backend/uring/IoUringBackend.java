package dev.iocp.core.backend.uring;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.CancelResult;
import dev.iocp.core.backend.CompletionSink;
import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoException;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpSlab;
import dev.iocp.core.backend.ProvidedBuffers;
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
 * completion interface. It composes one native concept per class: {@link IoUringRing} (set-up, mapping, the ring
 * syscalls), {@link SubmissionQueue} (handing out and publishing SQEs), {@link Sqe} (one SQE per op kind),
 * {@link CompletionQueue} (reaping), {@link Wakeup} (the eventfd), {@link Sockets} (the synchronous socket calls);
 * {@link IoUringAbi} holds the kernel's numbers, {@link IoUringSlot} the layout of an op's native area.
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
 *   <li><b>Every reaped CQE reaches the sink</b> ({@link CompletionQueue#reap}).</li>
 *   <li><b>A provided buffer has one owner at a time</b> ({@link BufferRing}): the ring's (the kernel may write it)
 *       until a CQE names it (IORING_CQE_F_BUFFER), then the op owner's until it gives it back; the ring's memory
 *       is let go of only after it is unregistered with no selecting receive in flight ({@link #close()}).</li>
 * </ul>
 *
 * <h2>Receives into provided buffers</h2>
 * A RECV marked {@link Op#selectBuffer} is one SQE with IOSQE_BUFFER_SELECT (Linux ≥ 5.19 for the ring itself,
 * IORING_REGISTER_PBUF_RING; buffer selection on RECV exists since 5.7). The kernel picks the buffer when it has
 * bytes to copy: a try on an empty socket puts it back and waits for readiness, so a waiting receive pins nothing
 * (measured by {@code IoUringProvidedBuffersTest}: three waiting receives on a ring of two, none out). One SQE, one
 * CQE, the bytes in it: one kernel step per message where a readiness receive needs a poll and then a recv. With
 * the ring empty the CQE is -ENOBUFS and nothing was consumed (the same test). Kernels that refuse the registration
 * (EINVAL before 5.19), and {@code -Diocp.uring.providedBuffers=false}, leave {@link #providedBuffers()} null: the
 * transport then waits for readiness instead. One-shot receives only (no IORING_RECV_MULTISHOT): a multishot
 * receive goes on filling buffers while its owner is paused, which a lossless pause would have to hold without
 * bound.
 *
 * <h2>Errors</h2>
 * An errno enters the SPI at three points, each translated by {@link Errno#ERRORS} there and nowhere else: a failed
 * submit ({@link #submitFailed}), a CQE ({@link CompletionQueue#reap}), a failed synchronous call ({@link Sockets}).
 *
 * <h2>Threading</h2>
 * Everything but {@link #wakeup()} runs on the loop thread: the SQ tail, CQ head and the scratch memory need no
 * locking. {@link #wakeup()} only writes to an eventfd. With DEFER_TASKRUN (the default where the kernel has it) the
 * kernel holds the loop to that: the first thread to make a syscall on the ring becomes its only issuer, and an
 * enter from any other thread fails with EEXIST.
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
     * own requests; a CQE with one of these is consumed by {@link Wakeup} and never reaches the sink.
     */
    static final long WAKEUP_USER_DATA = -1L;
    /** Never submitted: the sync-cancel probe looks for it and must get -ENOENT. */
    static final long PROBE_USER_DATA = -2L;

    private static final String UNAVAILABLE = IoUringProbe.probe();

    private final IoUringRing ring;
    private final SubmissionQueue sq;
    private final Wakeup wakeup;
    private final CompletionQueue cq;
    private final Sockets sockets;
    /** The provided buffers receives pick from at completion time, or null (see {@link #providedBuffers()}). */
    private final BufferRing buffers;
    private volatile boolean closed;

    /**
     * {@code -Diocp.uring.providedBuffers=false} turns the provided-buffer ring off: receives that want no buffer
     * pinned while waiting then wait for readiness (a poll, then a receive).
     */
    static final boolean PROVIDED_BUFFERS_BY_DEFAULT =
            !"false".equalsIgnoreCase(System.getProperty("iocp.uring.providedBuffers"));
    /**
     * Buffers in each loop's ring ({@code -Diocp.uring.providedBufferCount}, a power of two): 64 × 64 KiB, 4 MiB a
     * loop, whatever the number of connections. The size is the transport's default receive size, so a receive
     * takes as much as a BUFFERED one: streaming 16 KiB messages (4 in flight) through {@code iocp echo} took 0.66
     * io_uring_enter per message with 64 KiB buffers, 1.16 with 16 KiB ones (BUFFERED: 0.64; strace -c, one run on a
     * shared machine). 64 of them cover the connections of a loop that have a receive being delivered, held or
     * retained at one time; past that, receives wait for readiness until buffers come back (nothing is lost).
     */
    public static final int PROVIDED_BUFFER_COUNT = Integer.getInteger("iocp.uring.providedBufferCount", 64);
    /** Bytes in each buffer of the ring ({@code -Diocp.uring.providedBufferSize}): the most one such receive takes. */
    public static final int PROVIDED_BUFFER_SIZE = Integer.getInteger("iocp.uring.providedBufferSize", 64 * 1024);
    /**
     * The most of those buffers in the kernel's ring at once ({@code -Diocp.uring.providedBuffersPosted}; the rest
     * wait in a stack, warmest first: see {@link BufferRing}); at most the count.
     */
    public static final int PROVIDED_BUFFERS_POSTED = Integer.getInteger("iocp.uring.providedBuffersPosted", 16);

    /**
     * Whether rings defer their task work to the loop's own enters (IORING_SETUP_DEFER_TASKRUN; see
     * {@link IoUringRing}): yes unless {@code -Diocp.uring.deferTaskrun=false}, and where the kernel has it (≥ 6.1).
     */
    static final boolean DEFER_TASK_WORK_BY_DEFAULT =
            !"false".equalsIgnoreCase(System.getProperty("iocp.uring.deferTaskrun"));

    public IoUringBackend() throws IoException {
        this(DEFAULT_SQ_ENTRIES, DEFAULT_CQ_ENTRIES);
    }

    /**
     * @param sqEntries submission ring size (SQEs written between two polls; a full ring is flushed early)
     * @param cqEntries completion ring size (CQEs the kernel can post before we reap; beyond it NODROP overflows)
     */
    public IoUringBackend(int sqEntries, int cqEntries) throws IoException {
        this(sqEntries, cqEntries, DEFER_TASK_WORK_BY_DEFAULT);
    }

    /**
     * A backend whose provided-buffer ring has {@code count} buffers of {@code size} bytes instead of the configured
     * default (for tuning, and for tests that want a ring small enough to run empty).
     *
     * @param count buffers in the ring, a power of two up to 32768; 0: no ring (receives wait for readiness)
     * @param size bytes in each buffer
     * @return the backend
     * @throws IoException if io_uring_setup fails
     */
    public static IoUringBackend withProvidedBuffers(int count, int size) throws IoException {
        return new IoUringBackend(DEFAULT_SQ_ENTRIES, DEFAULT_CQ_ENTRIES, DEFER_TASK_WORK_BY_DEFAULT, count, size);
    }

    /**
     * @param deferTaskWork ask for IORING_SETUP_DEFER_TASKRUN (the ring then belongs to the first thread that
     *                      polls it: the loop's); false, or a kernel without it: COOP_TASKRUN
     */
    IoUringBackend(int sqEntries, int cqEntries, boolean deferTaskWork) throws IoException {
        this(sqEntries, cqEntries, deferTaskWork, PROVIDED_BUFFERS_BY_DEFAULT ? PROVIDED_BUFFER_COUNT : 0,
                PROVIDED_BUFFER_SIZE);
    }

    /**
     * @param providedBufferCount buffers in the provided-buffer ring (a power of two); 0: no ring — also where the
     *                            kernel has none (older than 5.19: the registration fails and receives fall back)
     * @param providedBufferSize  bytes in each
     */
    IoUringBackend(int sqEntries, int cqEntries, boolean deferTaskWork, int providedBufferCount,
                   int providedBufferSize) throws IoException {
        this(sqEntries, cqEntries, deferTaskWork, providedBufferCount, providedBufferSize,
                Math.min(PROVIDED_BUFFERS_POSTED, providedBufferCount)); // a bad setting (< 1) is refused below
    }

    /** @param providedBuffersPosted the most buffers in the kernel's ring at once, 1..providedBufferCount */
    IoUringBackend(int sqEntries, int cqEntries, boolean deferTaskWork, int providedBufferCount,
                   int providedBufferSize, int providedBuffersPosted) throws IoException {
        if (UNAVAILABLE != null) {
            throw new UnsupportedOperationException("io_uring backend unavailable: " + UNAVAILABLE);
        }
        // Checked before anything native exists, so a bad setting leaks nothing.
        if (providedBufferCount != 0 && (Integer.bitCount(providedBufferCount) != 1 || providedBufferCount > 32768
                || providedBufferSize <= 0 || providedBuffersPosted < 1
                || providedBuffersPosted > providedBufferCount)) {
            throw new IllegalArgumentException("provided buffers: need a power of two up to 32768 buffers (0: none) of "
                    + "more than 0 bytes, 1..count of them posted, got " + providedBufferCount + " x "
                    + providedBufferSize + ", " + providedBuffersPosted + " posted"
                    + " (-Diocp.uring.providedBufferCount / providedBufferSize / providedBuffersPosted)");
        }
        this.ring = new IoUringRing(sqEntries, cqEntries, deferTaskWork);
        this.sq = new SubmissionQueue(ring);
        try {
            this.wakeup = new Wakeup(sq);
        } catch (IoException e) {
            ring.close();
            throw e;
        }
        // Registered before the ring is enabled: the loop thread becomes its issuer later, at its first enter.
        this.buffers = providedBufferCount > 0 ? BufferRing.register(ring, providedBufferCount, providedBufferSize,
                providedBuffersPosted) : null;
        this.cq = new CompletionQueue(ring, wakeup, buffers);
        this.sockets = new Sockets();
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

    /** Whether this ring defers task work to the loop's enters (DEFER_TASKRUN) rather than COOP_TASKRUN. */
    boolean defersTaskWork() {
        return ring.defersTaskWork();
    }

    // ------------------------------------------------------------------------------------------ sockets

    @Override
    public long openTcpSocket(boolean ipv6) throws IoException {
        return sockets.openTcp(ipv6);
    }

    /** Nothing to do: an fd belongs to the process, and any ring may submit ops on it (unlike a port association). */
    @Override
    public void register(long socket) {
    }

    @Override
    public void bind(long socket, InetSocketAddress address) throws IoException {
        sockets.bind((int) socket, address);
    }

    @Override
    public void listen(long socket, int backlog) throws IoException {
        sockets.listen((int) socket, backlog);
    }

    @Override
    public InetSocketAddress localAddress(long socket) throws IoException {
        return sockets.localAddress((int) socket);
    }

    @Override
    public InetSocketAddress remoteAddress(long socket) throws IoException {
        return sockets.remoteAddress((int) socket);
    }

    @Override
    public void setOption(long socket, SocketOpt option, int value) throws IoException {
        sockets.setOption((int) socket, option, value);
    }

    @Override
    public int getOption(long socket, SocketOpt option) throws IoException {
        return sockets.getOption((int) socket, option);
    }

    @Override
    public int bytesAvailable(long socket) throws IoException {
        return sockets.bytesAvailable((int) socket);
    }

    @Override
    public void submitNow() {
        sq.submitPending();
    }

    @Override
    public void shutdownOutput(long socket) throws IoException {
        sq.submitPending(); // a SEND written before this must reach the kernel before the FIN does
        sockets.shutdownOutput((int) socket);
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
            sq.submitPending();
            int r = ring.syncCancel(0L, fd, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL);
            if (r < 0 && r != -Errno.ENOENT) {
                logger.debug("cancelling the ops of fd {} before close failed: {}", fd, Errno.ERRORS.describe(-r));
            }
        }
        sockets.close(fd, abortive);
    }

    // ------------------------------------------------------------------------------------------ submits

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
     * No buffers: a readiness receive, a one-shot POLL_ADD ({@link Sqe#readable}). Buffers with no room are refused
     * (EINVAL): on Linux a zero-length RECV completes at once with 0, which the owner would read as the peer's FIN.
     */
    @Override
    public int submitRecv(Op op) {
        if (op.selectsBuffer()) {
            if (buffers == null) {
                throw new IllegalStateException("a receive into a provided buffer on a ring without provided buffers");
            }
            long sqe = sq.next();
            if (sqe == 0) {
                return ringFull();
            }
            Sqe.recvIntoProvided(sqe, op);
            buffers.selectingInFlight++;
            return submitted(op);
        }
        if (op.bufferCount() == 0) {
            long sqe = sq.next();
            if (sqe == 0) {
                return ringFull();
            }
            Sqe.readable(sqe, op);
            return submitted(op);
        }
        int room = 0;
        for (int i = 0; i < op.bufferCount(); i++) {
            room |= op.bufferLength(i);
        }
        if (room == 0) {
            return submitFailed(Errno.EINVAL);
        }
        long sqe = sq.next();
        if (sqe == 0) {
            return ringFull();
        }
        Sqe.recv(sqe, op);
        return submitted(op);
    }

    /**
     * The ring's provided buffers (Linux ≥ 5.19, IORING_REGISTER_PBUF_RING), or null where the kernel refused the
     * registration or {@code -Diocp.uring.providedBuffers=false}.
     */
    @Override
    public ProvidedBuffers providedBuffers() {
        return buffers;
    }

    @Override
    public int receiveNow(long socket, long address, int length) {
        return sockets.receiveNow((int) socket, address, length);
    }

    @Override
    public int submitSend(Op op) {
        long sqe = sq.next();
        if (sqe == 0) {
            return ringFull();
        }
        Sqe.send(sqe, op);
        return submitted(op);
    }

    /**
     * Unlike AcceptEx no socket is prepared: the CQE's result is the new fd, which {@link CompletionQueue#reap}
     * records with {@link Op#acceptSocket(long)} (so after a failed CQE {@code acceptSocket()} stays 0: nothing to
     * close).
     */
    @Override
    public int submitAccept(Op op) {
        long sqe = sq.next();
        if (sqe == 0) {
            return ringFull();
        }
        op.acceptSocket(0);
        Sqe.accept(sqe, op);
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
            len = Sockets.encode(remote, IoUringSlot.sockaddr(op));
        } catch (IllegalArgumentException e) {
            return submitFailed(Errno.EFAULT);
        }
        long sqe = sq.next();
        if (sqe == 0) {
            return ringFull();
        }
        Sqe.connect(sqe, op, len);
        return submitted(op);
    }

    @Override
    public void finishConnect(Op op) {
        // Nothing: a connected Linux socket already answers getpeername/shutdown.
    }

    // ------------------------------------------------------------------------------------------ datagrams

    @Override
    public long openUdpSocket(boolean ipv6) throws IoException {
        return sockets.openUdp(ipv6);
    }

    /** RECVMSG with the source into the op's sockaddr ({@link Sqe#recvFrom}); buffers with no room are refused. */
    @Override
    public int submitReceiveFrom(Op op) {
        int room = 0;
        for (int i = 0; i < op.bufferCount(); i++) {
            room |= op.bufferLength(i);
        }
        if (room == 0) {
            return submitFailed(Errno.EINVAL);
        }
        long sqe = sq.next();
        if (sqe == 0) {
            return ringFull();
        }
        Sqe.recvFrom(sqe, op);
        return submitted(op);
    }

    /** What the kernel wrote at msg_name, of the length it wrote back into msg_namelen. */
    @Override
    public InetSocketAddress receivedFrom(Op op) {
        int length = PlatformDependent.getInt(IoUringSlot.msghdr(op) + MSG_NAMELEN);
        return SockAddrCodec.LINUX.decode(IoUringSlot.sockaddr(op), length);
    }

    /** SENDMSG to the target encoded into the op's sockaddr ({@link Sqe#sendTo}); no target: the connected peer. */
    @Override
    public int submitSendTo(Op op, InetSocketAddress target) {
        int len = 0;
        if (target != null) {
            try {
                len = Sockets.encode(target, IoUringSlot.sockaddr(op));
            } catch (IllegalArgumentException e) {
                return submitFailed(Errno.EFAULT);
            }
        }
        long sqe = sq.next();
        if (sqe == 0) {
            return ringFull();
        }
        Sqe.sendTo(sqe, op, len);
        return submitted(op);
    }

    @Override
    public void connectDatagram(long socket, InetSocketAddress remote) throws IoException {
        sq.submitPending(); // a datagram written before the connect goes where it was meant to
        sockets.connectDatagram((int) socket, remote);
    }

    @Override
    public void disconnectDatagram(long socket) throws IoException {
        sq.submitPending();
        sockets.disconnectDatagram((int) socket);
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
        sq.submitPending();
        int r = ring.syncCancel(op.id(), -1, 0);
        if (r == 0) {
            return CancelResult.REQUESTED;
        }
        if (r != -Errno.ENOENT && r != -Errno.EALREADY && r != -Errno.ETIME) {
            logger.debug("sync cancel of {} failed: {}", op, Errno.ERRORS.describe(-r));
        }
        return CancelResult.NOT_FOUND;
    }

    // ------------------------------------------------------------------------------------------ poll / wakeup

    @Override
    public int poll(OpSlab slab, CompletionSink sink, long timeoutNanos) {
        if (closed) {
            throw new IllegalStateException("io_uring backend is closed");
        }
        wakeup.ensureArmed();
        int r = 0;
        if (timeoutNanos == 0 || cq.hasReady()) {
            // Don't wait. Enter only if there is something to submit or CQEs waiting in the overflow list (or
            // task work, with COOP_TASKRUN, that must run for completions to be posted).
            boolean getEvents = (sq.flags() & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN)) != 0;
            if (sq.hasPending() || getEvents) {
                r = sq.enter(0, getEvents ? IORING_ENTER_GETEVENTS : 0, 0);
            }
        } else {
            // Submit the batch and wait for the first completion: negative waits without limit.
            r = sq.enter(1, IORING_ENTER_GETEVENTS, timeoutNanos);
        }
        if (r < 0 && r != -Errno.ETIME && r != -Errno.EINTR && r != -Errno.EAGAIN && r != -Errno.EBUSY) {
            throw new UncheckedIOException(Errno.ERRORS.exception("io_uring_enter", -r));
        }
        return cq.reap(slab, sink);
    }

    /**
     * Makes the current or next wait return ({@link Wakeup}). Safe from any thread; a wake-up after
     * {@link #close()} is ignored.
     */
    @Override
    public void wakeup() {
        wakeup.wake();
    }

    /**
     * Closes the ring (the kernel cancels what is left in it: only the wake-up read, since the caller waited for
     * every op's CQE), unmaps it and closes the eventfd. Op memory is the slab's and is not touched here.
     *
     * <p>The provided buffers first: the ring is unregistered while the ring fd is still open (so no receive picks
     * a buffer from now on), and their memory is let go of only if no selecting receive is still in flight (one
     * that picked a buffer may be copying into it) — else it stays allocated for the process's life
     * ({@link BufferRing#release}).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        wakeup.stop();
        if (buffers != null) {
            buffers.release();
        }
        ring.close();
        wakeup.close();
        sockets.free();
    }
}
