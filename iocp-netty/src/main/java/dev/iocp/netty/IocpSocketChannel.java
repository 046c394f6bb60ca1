package dev.iocp.netty;

import dev.iocp.core.backend.CancelResult;
import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.EventLoop;
import io.netty.channel.FileRegion;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.internal.PlatformDependent;
import io.netty.util.internal.StringUtil;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.FileChannel;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A TCP connection on iocp: Netty's {@link SocketChannel} over a completion port (or io_uring, or the simulated
 * backend). At most one receive, one send and one connect are in flight at a time.
 *
 * <h2>Reading: the receive is never cancelled</h2>
 * Netty asks for data with {@code read()} (or auto-read) and stops asking when auto-read is turned off. Here one
 * receive stays in flight whenever the connection is up and its input open, asked for or not; asking only decides
 * when its result is delivered. Turning auto-read off cancels nothing: a receive that completes while nobody asks
 * for data is <em>held</em> — the filled {@link ByteBuf} is the stash — and delivered by the next {@code read()},
 * before anything received after it. That is the whole defence against bpo-33694 (CPython cancelled the receive on
 * pause, and lost the data of a receive that completed as it was cancelled), and why no byte is lost or reordered
 * whatever auto-read does. The peer's FIN and a reset are not data: they are delivered at once (as epoll reports
 * RDHUP), and cannot overtake held data, since nothing is in flight while data is held.
 * <pre>
 *   receive state   event                                     next
 *   IDLE            connection up, input open                 IN_FLIGHT (a receive: see "readiness" below)
 *   IN_FLIGHT       data; reading requested, or batch open    IDLE, then IN_FLIGHT again (delivered: channelRead)
 *   IN_FLIGHT       data; reading not requested               HELD      (kept as it came, buffer and all)
 *   IN_FLIGHT       FIN                                       INPUT_SHUT (delivered at once: no more receives)
 *   IN_FLIGHT       error                                     FAILED    (exceptionCaught, then close; no receive again)
 *   HELD            read requested                            IDLE, then IN_FLIGHT (delivered from a task)
 * </pre>
 * A receive whose submit fails at once (Windows fails a WSARecv on a reset socket without a packet) is IN_FLIGHT
 * too: its failure is handed on from a loop task, as its packet would be, never inside the call that submitted it
 * (callbacks never nest; see {@link #submitReceive}).
 * A read batch (Netty's "read loop": channelReads, then one channelReadComplete) goes on while the allocator handle
 * wants more and the socket holds more; see {@link #deliver}.
 * A receive is in flight only in IN_FLIGHT; only the packet leaves it (invariant 1, ARCHITECTURE.md).
 *
 * <h2>Readiness receives: an idle channel pins no buffer</h2>
 * With {@link IocpChannelOption#READINESS_RECEIVES} (the default) the receive in flight names no buffer: its
 * packet says only that the socket is readable. The buffer is allocated then and filled by a receive that never
 * waits ({@link dev.iocp.core.backend.Backend#receiveNow}), whose result takes the same path as a buffered
 * receive's packet (data, FIN or error: delivered, or held while nobody asks). A batch goes on with further such
 * receives, as epoll's read loop does, until one does not fill its buffer or the allocator handle has had enough;
 * a receive that finds nothing (WOULD_BLOCK: the readiness was spurious) consumed nothing and arms the next
 * readiness receive. Held, the channel keeps one buffer, as a buffered receive would. The price: one kernel call
 * more per message when every readiness finds one message; the gain: an idle connection costs no buffer (on
 * Windows a pending receive's buffer is locked in physical memory) — see bench/RESULTS.md section 5.
 *
 * <h2>Writing: gathering, straight from the outbound buffer</h2>
 * A flush sends up to {@link Op#MAX_BUFFERS} flushed buffers, and at most {@link IocpChannelOption#MAX_BYTES_PER_SEND}
 * bytes (the last buffer only in part if need be), in one gathering send, from their own memory (heap
 * buffers are copied to direct ones when written, as Netty's native transports do). Every buffer the send names is
 * retained until its packet, whatever the channel does meanwhile — a close or shutdownOutput fails and releases the
 * outbound buffer's messages, and the kernel may still be reading them (invariant 2). The packet then removes the
 * bytes sent and the next send goes out.
 *
 * <h2>Files: a FileRegion is staged, then sent</h2>
 * A {@link FileRegion} is read into a direct staging buffer of {@link #REGION_STAGING_BYTES}, which is then sent as
 * a send of its own (buffers written before the region go out first, in order): a {@code DefaultFileRegion} with
 * positional reads of its file (see {@link #fileOf}), any other region through its own
 * {@link FileRegion#transferTo}. Each packet advances the region's progress ({@code ChannelProgressivePromise}); the
 * region is removed, and its promise completed, once every byte it counts was sent. A region that yields no bytes
 * before its count (a file truncated under the transfer) fails its write with the {@link IOException} that says so,
 * never a hang. The read is blocking file I/O on the loop thread, as Netty's own sendfile is (a page-cache hit for
 * a file being served). It costs one copy per byte more than sending from the file itself (TransmitFile, splice),
 * which is not built yet. The staging buffer is retained by the send that names it (invariant 2) and given back
 * once the outbound buffer has drained, as the send op is.
 *
 * <h2>Errors</h2>
 * A reset is an {@link IOException} in the words frameworks match, naming the native error
 * ({@code "receive: Connection reset by peer (WSAECONNRESET 10054)"}); a clean EOF
 * is a 0-byte receive: the two are never confused. A refused connect is a {@link ConnectException}.
 * A reset that follows the peer's TLS close_notify (its RST overtaking its FIN: our close_notify reply reached a
 * socket it had closed) is reported like any reset, as Netty's other transports report it — whether it comes before
 * the FIN is a race on every OS — and it is Netty's {@code SslHandler}, which alone knows close_notify
 * was read, that takes it for the normal end: it swallows an IOException whose message reads as a reset or a broken
 * pipe once its close is done. Those words are why the message has them.
 */
public class IocpSocketChannel extends AbstractIocpChannel implements SocketChannel {
    private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);

    enum ReceiveState { IDLE, IN_FLIGHT, HELD, INPUT_SHUT, FAILED }

    private final IocpSocketChannelConfig config;
    /**
     * For an accepted channel: the listener's backend, which closes the socket if the channel is closed before it is
     * registered (e.g. {@code closeForcibly()} in the server's channelRead), when no loop of its own has it yet.
     */
    private final dev.iocp.core.backend.Backend acceptorBackend;

    private volatile boolean active;
    private volatile boolean inputShutdown;
    private volatile boolean outputShutdown;

    // ---- receive (loop thread) ----
    ReceiveState receiveState = ReceiveState.IDLE;
    /** Netty's readPending: someone asked for data (read() or auto-read) and has not had it yet. */
    private boolean readRequested;
    private Op recvOp;
    private ByteBuf recvBuf;
    /** The receive in flight is a readiness receive (no buffer; see the class comment), not a buffered one. */
    private boolean readinessInFlight;
    private int heldBytes;
    private int heldError;
    private boolean heldDeliveryScheduled;
    /** A read batch is open: its channelReadComplete is still to come (see deliver). */
    private boolean batchOpen;
    private boolean inputShutdownEventFired;
    private boolean inputShutdownReadCompleteFired;
    private final Runnable deliverHeld = this::deliverHeld;
    private long receivesHeld;

    // ---- send (loop thread) ----
    private Op sendOp;
    private boolean sendInFlight;
    /**
     * While a send's packet removes its bytes from the outbound buffer: that fires writability events, and a handler
     * that flushes from one (ChunkedWriteHandler does) must not start a second send beside the one about to follow.
     */
    private boolean sendCompleting;
    private final ByteBuf[] sendRetained = new ByteBuf[Op.MAX_BUFFERS];
    /** {@link #addToSend} as the outbound buffer's visitor: made once, so a send allocates nothing. */
    private final ChannelOutboundBuffer.MessageProcessor addToSend =
            msg -> msg instanceof ByteBuf && addToSend((ByteBuf) msg); // a FileRegion goes in a send of its own
    private int sendRetainedCount;
    /** Bytes the send being gathered may still name (from {@link IocpChannelOption#MAX_BYTES_PER_SEND}). */
    private int sendBudget;
    private boolean shutdownOutputAfterSend;
    /** How much of a FileRegion one send carries (see "Files" above). */
    static final int REGION_STAGING_BYTES = 128 * 1024;
    /** The bytes of the outbound buffer's current FileRegion taken from it and not yet sent; null when none. */
    private ByteBuf regionStaging;
    /** How many bytes of the current DefaultFileRegion were read into the staging buffer so far (see regionTaken). */
    private long regionTaken;
    /** The send in flight carries {@link #regionStaging}, not gathered ByteBufs. */
    private boolean sendingRegion;
    private final RegionStagingSink regionStagingSink = new RegionStagingSink();

    /** A graceful close still waiting for the peer's FIN (see LingeringClose); null otherwise. */
    private LingeringClose lingering;

    // ---- connect (loop thread) ----
    private Op connectOp;
    private ChannelPromise connectPromise;
    private Future<?> connectTimeout;
    private InetSocketAddress requestedRemote;

    /** A client channel; Netty's {@code Bootstrap} makes one through {@code channel(IocpSocketChannel.class)}. */
    public IocpSocketChannel() {
        super(null);
        this.acceptorBackend = null;
        this.config = new IocpSocketChannelConfig(this);
    }

    /** An accepted connection (from {@link IocpServerSocketChannel}). */
    IocpSocketChannel(IocpServerSocketChannel parent, long acceptedSocket, InetSocketAddress remote) {
        super(parent, acceptedSocket);
        this.acceptorBackend = parent.backend();
        this.config = new IocpSocketChannelConfig(this);
        this.remote = remote;
        this.active = true;
    }

    @Override
    public IocpSocketChannelConfig config() {
        return config;
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }

    @Override
    public ServerSocketChannel parent() {
        return (ServerSocketChannel) super.parent();
    }

    @Override
    public boolean isActive() {
        return open && active;
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) super.localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) super.remoteAddress();
    }

    /** {@return receives that completed while nobody asked for data, and were held (the race window was hit)} */
    public long receivesHeld() {
        return receivesHeld;
    }

    @Override
    protected IocpUnsafe newUnsafe() {
        return new SocketUnsafe();
    }

    @Override
    void socketOpened() throws IOException {
        config.applyTo(socket);
    }

    @Override
    void acceptedSocketRegistered() throws IOException {
        local = backend().localAddress(socket);
        config.applyTo(socket);
        // Armed from a task: the pipeline gets its handlers (and channelActive) once registration completes.
        eventLoop().execute(this::connectionUp);
    }

    // ------------------------------------------------------------------------------------------------ reading

    @Override
    protected void doBeginRead() {
        if (inputShutdown) {
            if (inputShutdownEventFired) { // never before the ChannelInputShutdownEvent it completes
                fireInputShutdownReadCompleteOnce();
            }
            return;
        }
        readRequested = true;
        switch (receiveState) {
            case IDLE:
                keepReceiveArmed();
                break;
            case HELD:
                scheduleHeldDelivery();
                break;
            default:
                break;
        }
    }

    /** Auto-read was turned off: stop asking. Nothing is cancelled (see the class comment). */
    void readingStopped() {
        if (!isRegistered() || eventLoop().inEventLoop()) { // not registered yet: no loop thread to race with
            readRequested = false;
        } else {
            eventLoop().execute(() -> readRequested = false);
        }
    }

    private void submitReceive() {
        if (!isActive() || registration == null || !registration.isValid()) {
            return;
        }
        boolean readiness = config.isReadinessReceives();
        ByteBuf buf = readiness ? null : allocateReceiveBuffer();
        if (recvOp == null) {
            recvOp = registration.newOp(OpType.RECV, socket);
        } else {
            recvOp.prepare(OpType.RECV, socket, registration);
        }
        if (buf != null) {
            recvOp.addBuffer(buf.memoryAddress() + buf.writerIndex(), buf.writableBytes());
        }
        int error = registration.submit(recvOp);
        if (error != 0) {
            if (buf != null) {
                buf.release();
            }
            recvBuf = null;
            readinessInFlight = false;
            // No packet will come for it (the SPI's contract), so the failure is this receive's result, and it takes
            // the packet's path from a loop task, never from here: callbacks never nest. The caller may be a
            // handler's read() (auto-read's, from channelReadComplete), and on a reset socket, where Windows fails
            // every WSARecv at once, handling it here recursed read → fail → channelReadComplete → read until the
            // loop thread's stack overflowed. Until the task runs the receive counts as in flight: nothing re-arms.
            receiveState = ReceiveState.IN_FLIGHT;
            Op failed = recvOp;
            eventLoop().execute(() -> onPacket(failed, 0, error));
            return;
        }
        recvBuf = buf;
        readinessInFlight = readiness;
        receiveState = ReceiveState.IN_FLIGHT;
    }

    /** A buffer for one receive, as the allocator handle guesses its size; always direct (the kernel writes it). */
    private ByteBuf allocateReceiveBuffer() {
        ByteBuf buf = unsafe().recvBufAllocHandle().allocate(config.getAllocator());
        if (!buf.hasMemoryAddress()) {
            // A heap (or unaddressable) buffer cannot be handed to the kernel: take a direct one of the same size.
            int capacity = buf.capacity();
            buf.release();
            buf = config.getAllocator().directBuffer(capacity);
        }
        return buf;
    }

    /**
     * The socket is readable (a readiness packet, or a batch going on after a receive that filled its buffer): takes
     * what it holds now into a buffer allocated for it, and hands the result on as a receive's packet would be. A
     * WOULD_BLOCK consumed nothing: the batch (if one is open) ends, and the next readiness receive is armed.
     */
    private void receiveReadable() {
        receiveState = ReceiveState.IDLE;
        ByteBuf buf = allocateReceiveBuffer();
        int n = backend().receiveNow(socket, buf.memoryAddress() + buf.writerIndex(), buf.writableBytes());
        if (n < 0 && IoError.is(-n, ErrorCode.WOULD_BLOCK)) {
            buf.release();
            endBatchAndRearm();
            return;
        }
        recvBuf = buf;
        if (n >= 0) {
            receiveCompleted(n, 0);
        } else {
            receiveCompleted(0, -n);
        }
    }

    /** The receive's packet (or a submit failure, with no buffer). A test seam: the lossy variant overrides it. */
    void receiveCompleted(int bytes, int error) {
        receiveState = ReceiveState.IDLE; // the kernel has let go of the op and its buffer
        if (!isOpen() || deferredClose != null) {
            // Closed, or closing: close() was asked and waits only for the send in flight (deferClose). Nothing
            // more reaches the pipeline, as with NIO, whose close() is done by then: what arrives now is the peer's
            // answer to a connection the user has ended — typically its RST, as a peer that closes with our last
            // bytes unread resets (Netty's SocketSslGreetingTest under Wine 10, NIO server x iocp client: the
            // client's close_notify unread at the server's close). The receive is not re-armed; the close drains.
            releaseReceive();
            return;
        }
        if (inputShutdown) { // shutdownInput() was asked meanwhile: drop on request
            releaseReceive();
            receiveState = ReceiveState.INPUT_SHUT;
            return;
        }
        boolean data = error == 0 && bytes > 0;
        if (data && !batchOpen && (!readRequested || registration == null || !registration.isValid())) {
            receiveState = ReceiveState.HELD;
            heldBytes = bytes;
            heldError = error;
            receivesHeld++;
            return;
        }
        deliver(bytes, error);
    }

    // ---- for the negative control only (LossyCancelOnPauseChannel, in the tests): what this channel never does ----

    /** Cancels the receive in flight (a request: its packet still comes). */
    final void cancelReceiveInFlight() {
        if (receiveState == ReceiveState.IN_FLIGHT) {
            requestCancel(recvOp);
        }
    }

    /** Whether a cancel was requested on the receive whose packet is being handled. */
    final boolean cancelRequestedOnReceive() {
        return recvOp != null && recvOp.cancelRequested();
    }

    /** Forgets the receive whose packet is being handled, data and all, as a cancelled one. */
    final void dropReceiveAsCancelled() {
        receiveState = ReceiveState.IDLE;
        if (recvBuf != null) {
            recvBuf.release();
            recvBuf = null;
        }
        keepReceiveArmed();
    }

    private void scheduleHeldDelivery() {
        if (!heldDeliveryScheduled) {
            heldDeliveryScheduled = true;
            eventLoop().execute(deliverHeld);
        }
    }

    private void deliverHeld() {
        heldDeliveryScheduled = false;
        if (receiveState == ReceiveState.HELD && readRequested && isOpen()) {
            deliver(heldBytes, heldError);
        }
    }

    /** The connection is up (connected, or accepted and registered): start listening. */
    void connectionUp() {
        keepReceiveArmed();
    }

    /**
     * Hands one receive's result to the pipeline, as part of a read batch ("read loop" in Netty's words: several
     * channelReads, then one channelReadComplete). A batch goes on while the allocator handle wants more and the
     * socket holds more ({@link dev.iocp.core.backend.Backend#bytesAvailable}: the next receive then completes at
     * once); otherwise it ends now, so channelReadComplete never waits for data that is not there.
     */
    private void deliver(int bytes, int error) {
        ChannelPipeline pipeline = pipeline();
        RecvByteBufAllocator.Handle allocHandle = unsafe().recvBufAllocHandle();
        if (!batchOpen) {
            allocHandle.reset(config);
            batchOpen = true;
        }
        ByteBuf buf = recvBuf;
        recvBuf = null;
        receiveState = ReceiveState.IDLE;
        if (error != 0) {
            if (buf != null) {
                buf.release();
            }
            // Nothing is received after an error: set before any handler runs, so a read() from channelReadComplete
            // (auto-read's) arms no receive on the dead socket.
            receiveState = ReceiveState.FAILED;
            endBatch(allocHandle);
            IOException cause = NettyErrors.exception("receive", error);
            pipeline.fireExceptionCaught(cause);
            unsafe().close(unsafe().voidPromise());
            return;
        }
        if (bytes == 0) {
            buf.release();
            // Input is shut before any handler runs: a read() from channelReadComplete must not arm a receive.
            receiveState = ReceiveState.INPUT_SHUT;
            inputShutdown = true;
            allocHandle.lastBytesRead(-1);
            endBatch(allocHandle);
            inputClosed();
            return;
        }
        int attempted = buf.writableBytes();
        buf.writerIndex(buf.writerIndex() + bytes);
        allocHandle.attemptedBytesRead(attempted);
        allocHandle.lastBytesRead(bytes);
        allocHandle.incMessagesRead(1);
        readRequested = false;
        pipeline.fireChannelRead(buf);
        boolean readiness = config.isReadinessReceives();
        if (isOpen() && bytes == attempted && allocHandle.continueReading() && (readiness || moreAvailable())) {
            if (receiveState == ReceiveState.IDLE) { // (a read() from channelRead may have armed it already)
                if (readiness) {
                    receiveReadable(); // the batch goes on (or ends) in there: the buffer was full, so ask again now
                    return;
                }
                submitReceive();
            }
            if (receiveState == ReceiveState.IN_FLIGHT) {
                return; // the batch goes on with that receive's packet
            }
        }
        endBatchAndRearm();
    }

    /** A batch is over (if one was open): channelReadComplete, then auto-read asks again and a receive is armed. */
    private void endBatchAndRearm() {
        if (batchOpen) {
            endBatch(unsafe().recvBufAllocHandle());
            if (config.isAutoRead()) {
                readRequested = true;
            }
        }
        keepReceiveArmed();
    }

    /**
     * One receive stays in flight whenever the connection is up and its input open, asked for or not: reading
     * requests decide only when a result is delivered. So the peer's FIN or a reset is noticed even while nobody
     * reads (as epoll's RDHUP is), and data that arrives meanwhile is held, never lost.
     */
    private void keepReceiveArmed() {
        if (receiveState == ReceiveState.IDLE && isActive() && !inputShutdown) {
            submitReceive();
        }
    }

    private void endBatch(RecvByteBufAllocator.Handle allocHandle) {
        if (batchOpen) {
            batchOpen = false;
            allocHandle.readComplete();
            pipeline().fireChannelReadComplete();
        }
    }

    private boolean moreAvailable() {
        try {
            return backend().bytesAvailable(socket) > 0;
        } catch (IOException e) {
            return false; // only a hint: the next receive tells the truth
        }
    }

    /** The peer's FIN was delivered: half-closure if allowed, else close, as Netty's NIO transport does. */
    private void inputClosed() {
        readRequested = false;
        if (config.isAllowHalfClosure()) {
            inputShutdownEventFired = true;
            pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
            // Reading on past the FIN reads nothing more: said at once, asked for or not, as Netty's epoll transport
            // does when the peer's FIN is reported (RDHUP); a later read() does not say it again.
            fireInputShutdownReadCompleteOnce();
        } else {
            unsafe().close(unsafe().voidPromise());
        }
    }

    private void fireInputShutdownReadCompleteOnce() {
        if (!inputShutdownReadCompleteFired) {
            inputShutdownReadCompleteFired = true;
            pipeline().fireUserEventTriggered(ChannelInputShutdownReadComplete.INSTANCE);
        }
    }

    /** Releases the receive's buffer and op, unless the kernel still has them (their packet releases them then). */
    private void releaseReceive() {
        if (recvOp != null && recvOp.state() == Op.State.IN_FLIGHT) {
            return;
        }
        if (recvBuf != null) {
            recvBuf.release();
            recvBuf = null;
        }
        if (recvOp != null) {
            recvOp.release();
            recvOp = null;
        }
        if (receiveState == ReceiveState.HELD) {
            receiveState = ReceiveState.IDLE;
        }
    }

    // ------------------------------------------------------------------------------------------------ writing

    @Override
    protected Object filterOutboundMessage(Object msg) {
        if (msg instanceof ByteBuf) {
            ByteBuf buf = (ByteBuf) msg;
            if (buf.hasMemoryAddress() || (buf.isDirect() && buf.nioBufferCount() <= Op.MAX_BUFFERS)) {
                return buf;
            }
            return copyToDirect(buf);
        }
        if (msg instanceof FileRegion) {
            return msg;
        }
        throw new UnsupportedOperationException("unsupported message type: " + StringUtil.simpleClassName(msg)
                + " (iocp channels write ByteBufs and FileRegions)");
    }

    private ByteBuf copyToDirect(ByteBuf buf) {
        int readable = buf.readableBytes();
        ByteBufAllocator alloc = alloc();
        ByteBuf direct = alloc.isDirectBufferPooled() ? alloc.directBuffer(readable)
                : io.netty.buffer.ByteBufUtil.threadLocalDirectBuffer();
        if (direct == null) {
            direct = alloc.directBuffer(readable);
        }
        direct.writeBytes(buf, buf.readerIndex(), readable);
        ReferenceCountUtil.safeRelease(buf);
        return direct;
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) {
        if (sendInFlight || sendCompleting) {
            return; // the packet of the send in flight continues the flush (one send at a time, in order)
        }
        sendFlushed(in);
    }

    /**
     * Submits the next send: the flushed buffers gathered into one, or the next piece of a FileRegion on its own;
     * nothing to send, nothing submitted.
     */
    private void sendFlushed(ChannelOutboundBuffer in) {
        for (;;) {
            Object msg = in.current();
            if (msg == null) {
                // Drained: the op and the staging buffer go back (an idle connection keeps neither; taking them for
                // the next send costs no allocation from the pools).
                if (sendOp != null) {
                    sendOp.release();
                    sendOp = null;
                }
                releaseRegionStaging();
                maybeShutdownOutputNow();
                return;
            }
            if (msg instanceof FileRegion) {
                FileRegion region = (FileRegion) msg;
                if (regionStaging != null && regionStaging.isReadable()) {
                    break; // the rest of a piece a short send left
                }
                if (regionTaken(region) >= region.count()) {
                    in.remove(); // all of it sent (or an empty region)
                    regionTaken = 0;
                    continue;
                }
                try {
                    stageRegion(region);
                } catch (Throwable t) {
                    ((SocketUnsafe) unsafe()).writeFailed(t);
                    return;
                }
                break;
            }
            if (((ByteBuf) msg).readableBytes() == 0) {
                in.remove();
                continue;
            }
            break;
        }
        if (sendOp == null) {
            sendOp = registration.newOp(OpType.SEND, socket);
        } else {
            sendOp.prepare(OpType.SEND, socket, registration);
        }
        sendBudget = config.getMaxBytesPerSend();
        sendingRegion = in.current() instanceof FileRegion;
        if (sendingRegion) {
            int length = Math.min(regionStaging.readableBytes(), sendBudget);
            sendOp.addBuffer(regionStaging.memoryAddress() + regionStaging.readerIndex(), length);
            sendRetained[sendRetainedCount++] = regionStaging.retain();
        } else {
            try {
                in.forEachFlushedMessage(addToSend);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        int error = registration.submit(sendOp);
        if (error != 0) {
            releaseSendRetained();
            ((SocketUnsafe) unsafe()).writeFailed(NettyErrors.exception("send", error));
            return;
        }
        sendInFlight = true;
    }

    /** Takes the region's next piece into the (empty) staging buffer: at least one byte, or an IOException. */
    private void stageRegion(FileRegion region) throws IOException {
        if (regionStaging == null) {
            regionStaging = alloc().directBuffer(REGION_STAGING_BYTES, REGION_STAGING_BYTES);
            if (!regionStaging.hasMemoryAddress()) {
                ByteBuf unsafeBacked = io.netty.buffer.UnpooledByteBufAllocator.DEFAULT
                        .directBuffer(REGION_STAGING_BYTES, REGION_STAGING_BYTES);
                regionStaging.release();
                regionStaging = unsafeBacked;
            }
        }
        regionStaging.clear();
        FileChannel file = region instanceof DefaultFileRegion ? fileOf((DefaultFileRegion) region) : null;
        long taken;
        if (file != null) {
            int want = (int) Math.min(regionStaging.capacity(), region.count() - regionTaken);
            taken = file.read(regionStaging.internalNioBuffer(0, want), region.position() + regionTaken);
            if (taken > 0) {
                regionStaging.writerIndex((int) taken);
            }
        } else {
            // Netty's transports pass the region's own count of what it gave: some regions check it.
            taken = region.transferTo(regionStagingSink, region.transferred());
        }
        if (taken <= 0 || !regionStaging.isReadable()) {
            // The file ended before the region did (truncated under the transfer, or a count past its end); a
            // DefaultFileRegion read through transferTo says so itself. Either way the write ends here, never spins.
            throw new IOException("FileRegion " + StringUtil.simpleClassName(region) + " gave no bytes at "
                    + regionTaken(region) + " of " + region.count() + " (the file ended early)");
        }
        regionTaken += regionStaging.readableBytes();
    }

    /**
     * How much of the region was taken into the staging buffer so far: counted here for a DefaultFileRegion read
     * directly (its own count moves only in its transferTo), the region's own count for any other.
     */
    private long regionTaken(FileRegion region) {
        return region instanceof DefaultFileRegion && DEFAULT_FILE_REGION_FILE >= 0 ? regionTaken : region.transferred();
    }

    /**
     * A DefaultFileRegion's open FileChannel, read with positional reads straight into the staging buffer: one copy
     * and no allocation, where its transferTo into a channel of ours goes through the JDK's own heap buffers (two
     * copies and ~2 MB allocated per 32 MiB file, measured). Netty gives the channel no accessor, as its native
     * transports read it natively; the field is read through netty-common's Unsafe, and without Unsafe (or if
     * the field is not there) transferTo is used.
     */
    private static FileChannel fileOf(DefaultFileRegion region) throws IOException {
        if (DEFAULT_FILE_REGION_FILE < 0) {
            return null;
        }
        region.open(); // a region made from a File opens it on first use
        return (FileChannel) PlatformDependent.getObject(region, DEFAULT_FILE_REGION_FILE);
    }

    private static final long DEFAULT_FILE_REGION_FILE = fileFieldOffset();

    private static long fileFieldOffset() {
        if (!PlatformDependent.hasUnsafe()) {
            return -1;
        }
        try {
            java.lang.reflect.Field field = DefaultFileRegion.class.getDeclaredField("file");
            return field.getType() == FileChannel.class ? PlatformDependent.objectFieldOffset(field) : -1;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return -1;
        }
    }

    /** Where a FileRegion's transferTo writes: the staging buffer's free space, and no further. */
    private final class RegionStagingSink implements WritableByteChannel {
        @Override
        public int write(ByteBuffer src) {
            int n = Math.min(src.remaining(), regionStaging.writableBytes());
            int limit = src.limit();
            src.limit(src.position() + n);
            regionStaging.writeBytes(src);
            src.limit(limit);
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    private void releaseRegionStaging() {
        if (regionStaging != null) {
            regionStaging.release(); // the send in flight, if any, holds its own reference (invariant 2)
            regionStaging = null;
        }
        regionTaken = 0;
    }

    /**
     * Adds one flushed buffer (or its components) to the send, as much of it as the send's byte budget leaves room
     * for; false when the send is full (its buffers, or its bytes: a buffer that did not fit whole ends it, and the
     * packet's {@code removeBytes} leaves its rest first in line for the next send).
     */
    private boolean addToSend(ByteBuf buf) {
        int readable = buf.readableBytes();
        if (readable == 0) {
            return true;
        }
        int length = Math.min(readable, sendBudget);
        if (buf.hasMemoryAddress()) {
            if (sendOp.bufferCount() == Op.MAX_BUFFERS) {
                return false;
            }
            sendOp.addBuffer(buf.memoryAddress() + buf.readerIndex(), length);
        } else {
            int count = buf.nioBufferCount();
            if (sendOp.bufferCount() + count > Op.MAX_BUFFERS) {
                return false;
            }
            for (ByteBuffer nio : buf.nioBuffers(buf.readerIndex(), length)) {
                if (nio.remaining() > 0) {
                    sendOp.addBuffer(PlatformDependent.directBufferAddress(nio) + nio.position(), nio.remaining());
                }
            }
        }
        sendBudget -= length;
        sendRetained[sendRetainedCount++] = buf.retain();
        return sendBudget > 0;
    }

    private void sendCompleted(int bytes, int error) {
        sendInFlight = false;
        releaseSendRetained();
        ChannelOutboundBuffer in = unsafe().outboundBuffer();
        if (error != 0) {
            if (isOpen()) {
                ((SocketUnsafe) unsafe()).writeFailed(NettyErrors.exception("send", error));
            }
            finishDeferredClose();
            return;
        }
        if (in == null) {
            // Closed or output shut down meanwhile: the outbound buffer already failed its messages.
            maybeShutdownOutputNow();
            return;
        }
        sendCompleting = true;
        try {
            if (sendingRegion) {
                regionSent(in, bytes);
            } else {
                in.removeBytes(bytes);
            }
        } finally {
            sendCompleting = false;
        }
        if (deferredClose != null) {
            finishDeferredClose(); // the close was waiting for this packet: no further send
        } else if (isActive() && unsafe().outboundBuffer() != null) {
            sendFlushed(in);
        }
    }

    /** A send of the current FileRegion's staged piece came back: its progress, and the region's end. */
    private void regionSent(ChannelOutboundBuffer in, int bytes) {
        regionStaging.skipBytes(bytes);
        in.progress(bytes);
        FileRegion region = (FileRegion) in.current();
        if (!regionStaging.isReadable() && region != null && regionTaken(region) >= region.count()) {
            in.remove();
            regionTaken = 0;
        }
    }

    /**
     * A close() asked while a send is in flight waits for that send's packet, as Netty's io_uring transport waits
     * for its pending ops: the packet says what was sent, so the write's promise tells the truth and its buffer
     * goes back to its owner before the close completes (Netty's own SocketBufReleaseTest checks exactly that).
     * A graceful close lets the send finish, for at most {@link #CLOSE_LINGER_MILLIS} (a peer that stopped reading
     * could hold it for ever), then cancels it; an abortive close (SO_LINGER 0) cancels it at once. A cancel is only
     * a request: the packet still decides (invariant 1).
     */
    private ChannelPromise deferredClose;
    private Future<?> deferredCloseDeadline;

    private boolean deferClose(ChannelPromise promise) {
        if (!sendInFlight || !isOpen()) {
            return false;
        }
        if (deferredClose != null) {
            if (promise != unsafe().voidPromise()) {
                closeFuture().addListener(f -> promise.trySuccess());
            }
            return true;
        }
        deferredClose = promise;
        if (config.getSoLinger() == 0) {
            requestCancel(sendOp);
        } else {
            deferredCloseDeadline = eventLoop().schedule(() -> requestCancel(sendOp), CLOSE_LINGER_MILLIS,
                    TimeUnit.MILLISECONDS);
        }
        return true;
    }

    private void finishDeferredClose() {
        ChannelPromise promise = deferredClose;
        if (promise == null) {
            return;
        }
        deferredClose = null;
        if (deferredCloseDeadline != null) {
            deferredCloseDeadline.cancel(false);
            deferredCloseDeadline = null;
        }
        ((SocketUnsafe) unsafe()).closeNow(promise);
    }

    private void releaseSendRetained() {
        for (int i = 0; i < sendRetainedCount; i++) {
            sendRetained[i].release();
            sendRetained[i] = null;
        }
        sendRetainedCount = 0;
    }

    // ------------------------------------------------------------------------------------------------ shutdown

    /** As Netty's NIO channel says it: also true once the connection is down (closed, or never connected). */
    @Override
    public boolean isInputShutdown() {
        return inputShutdown || !isActive();
    }

    @Override
    public boolean isOutputShutdown() {
        return outputShutdown || !isActive();
    }

    @Override
    public boolean isShutdown() {
        return inputShutdown && outputShutdown || !isActive();
    }

    @Override
    public ChannelFuture shutdownOutput() {
        return shutdownOutput(newPromise());
    }

    @Override
    public ChannelFuture shutdownOutput(ChannelPromise promise) {
        EventLoop loop = eventLoop();
        if (loop.inEventLoop()) {
            ((AbstractUnsafe) unsafe()).shutdownOutput(promise);
        } else {
            loop.execute(() -> ((AbstractUnsafe) unsafe()).shutdownOutput(promise));
        }
        return promise;
    }

    /**
     * Netty calls this, then fails what is still flushed. A send in flight is let finish first: on io_uring a
     * shutdown under a pending send fails it, and its bytes are already the kernel's, so the FIN follows them.
     */
    @Override
    protected void doShutdownOutput() throws Exception {
        if (!isActive()) {
            throw new NotYetConnectedException();
        }
        outputShutdown = true;
        if (sendInFlight) {
            shutdownOutputAfterSend = true;
        } else {
            backend().shutdownOutput(socket);
        }
    }

    private void maybeShutdownOutputNow() {
        if (shutdownOutputAfterSend && !sendInFlight && socket != 0) {
            shutdownOutputAfterSend = false;
            try {
                backend().shutdownOutput(socket);
            } catch (IOException e) {
                pipeline().fireExceptionCaught(e);
            }
        }
    }

    @Override
    public ChannelFuture shutdownInput() {
        return shutdownInput(newPromise());
    }

    /**
     * Stops reading for good: what the peer sends from now on is discarded by the system, as after
     * {@code shutdown(SD_RECEIVE)}. Nothing in flight is cancelled; a held or later result is dropped on request.
     */
    @Override
    public ChannelFuture shutdownInput(ChannelPromise promise) {
        EventLoop loop = eventLoop();
        if (loop.inEventLoop()) {
            shutdownInput0(promise);
        } else {
            loop.execute(() -> shutdownInput0(promise));
        }
        return promise;
    }

    private void shutdownInput0(ChannelPromise promise) {
        if (!isOpen()) {
            promise.setFailure(new ClosedChannelException());
            return;
        }
        if (!isActive()) {
            promise.setFailure(new NotYetConnectedException());
            return;
        }
        inputShutdown = true;
        readRequested = false;
        if (receiveState == ReceiveState.HELD) {
            releaseReceive();
        }
        if (receiveState != ReceiveState.IN_FLIGHT) {
            receiveState = ReceiveState.INPUT_SHUT;
        }
        promise.setSuccess();
        inputShutdownEventFired = true;
        pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
    }

    @Override
    public ChannelFuture shutdown() {
        return shutdown(newPromise());
    }

    @Override
    public ChannelFuture shutdown(ChannelPromise promise) {
        ChannelFuture output = shutdownOutput();
        output.addListener((ChannelFutureListener) f -> {
            ChannelFuture input = shutdownInput();
            input.addListener((ChannelFutureListener) f2 -> {
                Throwable cause = f.cause() != null ? f.cause() : f2.cause();
                if (cause != null) {
                    promise.setFailure(cause);
                } else {
                    promise.setSuccess();
                }
            });
        });
        return promise;
    }

    // ------------------------------------------------------------------------------------------------ bind/connect

    @Override
    protected void doBind(SocketAddress localAddress) throws IOException {
        InetSocketAddress address = checkResolved(localAddress);
        openSocket(address);
        backend().bind(socket, address);
        local = backend().localAddress(socket);
    }

    private boolean doConnect(InetSocketAddress remoteAddress, SocketAddress localAddress) throws IOException {
        if (localAddress != null) {
            doBind(localAddress);
        } else {
            openSocket(remoteAddress);
        }
        connectOp = registration.newOp(OpType.CONNECT, socket);
        int error = registration.submit(connectOp, remoteAddress);
        if (error != 0) {
            connectOp.release();
            connectOp = null;
            throw connectException(remoteAddress, error);
        }
        return false;
    }

    private static IOException connectException(InetSocketAddress remote, int error) {
        IOException e = NettyErrors.exception("connect to " + remote, error);
        if (NettyErrors.isRefused(error)) {
            ConnectException refused = new ConnectException(e.getMessage());
            refused.initCause(e);
            return refused;
        }
        return e;
    }

    private void connectCompleted(int error) {
        Op op = connectOp;
        connectOp = null;
        ChannelPromise promise = connectPromise;
        if (promise == null || !isOpen()) {
            op.release();
            return; // timed out or cancelled: the channel is closed already, the packet only returned the op
        }
        connectPromise = null;
        if (connectTimeout != null) {
            connectTimeout.cancel(false);
            connectTimeout = null;
        }
        if (error != 0) {
            op.release();
            promise.tryFailure(connectException(requestedRemote, error));
            unsafe().closeForcibly();
            return;
        }
        try {
            backend().finishConnect(op);
            local = backend().localAddress(socket);
            remote = backend().remoteAddress(socket);
        } catch (IOException e) {
            promise.tryFailure(e);
            unsafe().closeForcibly();
            return;
        } finally {
            op.release();
        }
        boolean wasActive = isActive();
        active = true;
        boolean activeNow = isActive(); // before the promise's listeners run: one of them may close the channel
        boolean promiseSet = promise.trySuccess();
        if (!wasActive && activeNow) {
            IocpIoHandler handler = registration.handler();
            handler.beginUnbatchedCallback();
            try {
                pipeline().fireChannelActive(); // channelInactive, if a listener closed it, comes after, as it must
            } finally {
                handler.endUnbatchedCallback();
            }
        }
        connectionUp();
        if (!promiseSet) {
            unsafe().close(unsafe().voidPromise()); // the user cancelled the connect meanwhile
        }
    }

    // ------------------------------------------------------------------------------------------------ close

    @Override
    protected void doClose() throws Exception {
        boolean wasOpen = open;
        boolean wasActive = isActive();
        open = false;
        active = false;
        ChannelPromise promise = connectPromise;
        if (promise != null) {
            connectPromise = null;
            promise.tryFailure(new ClosedChannelException());
        }
        if (connectTimeout != null) {
            connectTimeout.cancel(false);
            connectTimeout = null;
        }
        if (receiveState != ReceiveState.IN_FLIGHT) {
            releaseReceive();
        }
        if (sendOp != null && !sendInFlight) {
            sendOp.release();
            sendOp = null;
        }
        releaseRegionStaging();
        dev.iocp.core.backend.Backend owner = registration != null ? backend() : acceptorBackend;
        if (wasOpen && socket != 0 && owner != null) {
            boolean abortive = config.getSoLinger() == 0;
            if (!abortive && wasActive && registration != null) {
                lingering = new LingeringClose(socket);
                lingering.start();
            } else {
                // SO_LINGER 0: abortive (RST). The ops in flight complete with an error packet; their memory and
                // the buffers they name stay retained until then (see the class comment).
                owner.close(socket, abortive);
            }
        }
        socket = 0;
    }

    @Override
    void closeForDestroy() {
        if (lingering != null) {
            lingering.finish();
        } else {
            super.closeForDestroy();
        }
    }

    /** Loop shutdown: a lingering close ends now, and a close waits for no send (its packet still comes). */
    @Override
    void closeForShutdown() {
        if (lingering != null) {
            lingering.finish();
        } else {
            ((SocketUnsafe) unsafe()).closeNow(unsafe().voidPromise());
        }
    }

    /**
     * How long a graceful close waits for the peer's FIN before it closes the socket anyway:
     * {@code -Diocp.netty.closeLingerMillis} (default 10 000).
     */
    static final long CLOSE_LINGER_MILLIS = Long.getLong("iocp.netty.closeLingerMillis", 10_000L);

    /**
     * A graceful close that cannot turn into a reset. Closing a socket that holds bytes we have not read makes the
     * system send RST instead of FIN, and the peer then loses what it had not read yet of ours (a TLS peer's reply
     * to our close_notify is the common case: it arrives while our close_notify's send is still completing). So a
     * graceful close, once Netty has closed the channel, keeps the socket a little longer, off the channel's books:
     * FIN after the send in flight, a receive that discards until the peer's FIN (or an error), then the close —
     * or the close at the deadline ({@link #CLOSE_LINGER_MILLIS}) or at the loop's shutdown, whichever comes first.
     * {@code SO_LINGER 0} skips all of it: that close is meant to be a reset.
     */
    private final class LingeringClose {
        private final long lingerSocket;
        private final dev.iocp.core.backend.Backend owner = backend();
        private Future<?> deadline;
        private boolean peerClosed;
        private boolean finished;

        LingeringClose(long lingerSocket) {
            this.lingerSocket = lingerSocket;
            this.peerClosed = inputShutdown || receiveState == ReceiveState.FAILED; // a reset: nothing more comes
        }

        void start() {
            deadline = eventLoop().schedule(this::finish, CLOSE_LINGER_MILLIS, TimeUnit.MILLISECONDS);
            if (!sendInFlight) {
                sendFin();
            }
            if (receiveState == ReceiveState.HELD) {
                releaseReceive();
            }
            if (receiveState == ReceiveState.IDLE && !peerClosed) {
                drain();
            }
            finishIfDone();
        }

        private void sendFin() {
            if (!outputShutdown) {
                outputShutdown = true;
                try {
                    owner.shutdownOutput(lingerSocket);
                } catch (IOException e) {
                    finish(); // the connection is gone already: nothing to wait for
                }
            }
        }

        private void drain() {
            if (finished) {
                return;
            }
            ByteBuf buf = recvBuf != null ? recvBuf.clear() : config.getAllocator().directBuffer(16 * 1024);
            recvBuf = buf;
            if (recvOp == null) {
                recvOp = registration.newOp(OpType.RECV, lingerSocket);
            } else {
                recvOp.prepare(OpType.RECV, lingerSocket, registration);
            }
            recvOp.addBuffer(buf.memoryAddress() + buf.writerIndex(), buf.writableBytes());
            if (registration.submitForClose(recvOp) == 0) {
                receiveState = ReceiveState.IN_FLIGHT;
            } else {
                peerClosed = true; // cannot wait for it
            }
        }

        void onReceive(int bytes, int error, boolean readable) {
            receiveState = ReceiveState.IDLE;
            if (error == 0 && (bytes > 0 || readable)) {
                drain(); // discarded: the channel is closed (after a readiness packet: the receive then tells)
            } else {
                peerClosed = true;
            }
            finishIfDone();
        }

        void onSend() {
            sendInFlight = false;
            releaseSendRetained();
            sendFin();
            finishIfDone();
        }

        private void finishIfDone() {
            if (peerClosed && !sendInFlight) {
                finish();
            }
        }

        void finish() {
            if (finished) {
                return;
            }
            finished = true;
            lingering = null;
            if (deadline != null) {
                deadline.cancel(false);
            }
            // Ops still in flight complete with an error packet and are released on the closed channel's path.
            owner.close(lingerSocket, false);
            if (receiveState != ReceiveState.IN_FLIGHT) {
                releaseReceive();
            }
            if (sendOp != null && !sendInFlight) {
                sendOp.release();
                sendOp = null;
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ packets

    @Override
    void onPacket(Op op, int bytes, int error) {
        LingeringClose l = lingering;
        if (l != null && op == recvOp) {
            boolean readable = readinessInFlight && error == 0; // a readiness packet: data or the FIN is there
            readinessInFlight = false;
            l.onReceive(bytes, error, readable);
            return;
        }
        if (l != null && op == sendOp) {
            l.onSend();
            return;
        }
        if (op == recvOp) {
            if (readinessInFlight && error == 0 && isOpen() && !inputShutdown) {
                readinessInFlight = false;
                receiveReadable(); // readable: the bytes are taken now (nothing was consumed by the packet)
            } else {
                readinessInFlight = false;
                receiveCompleted(bytes, error);
            }
            if (!isOpen()) {
                releaseReceive();
            }
        } else if (op == sendOp) {
            sendCompleted(bytes, error);
            if (!isOpen() && sendOp != null) {
                sendOp.release();
                sendOp = null;
            }
        } else if (op == connectOp) {
            connectCompleted(error);
        } else {
            throw new IllegalStateException("packet for an op " + this + " does not own: " + op);
        }
    }

    private final class SocketUnsafe extends IocpUnsafe {
        void writeFailed(Throwable cause) {
            handleWriteError(cause);
        }

        /** See {@link #deferClose}: with a send in flight, the close happens at its packet. */
        @Override
        public void close(ChannelPromise promise) {
            if (!deferClose(promise)) {
                super.close(promise);
            }
        }

        void closeNow(ChannelPromise promise) {
            super.close(promise);
        }

        @Override
        public void connect(SocketAddress remoteAddress, SocketAddress localAddress, ChannelPromise promise) {
            if (!promise.setUncancellable() || !ensureOpen(promise)) {
                return;
            }
            try {
                if (connectPromise != null) {
                    throw new ConnectionPendingException();
                }
                if (active) {
                    throw new AlreadyConnectedException();
                }
                InetSocketAddress remote = checkResolved(remoteAddress);
                requestedRemote = remote;
                doConnect(remote, localAddress);
                connectPromise = promise;
                int timeoutMillis = config.getConnectTimeoutMillis();
                if (timeoutMillis > 0) {
                    connectTimeout = eventLoop().schedule(() -> {
                        ChannelPromise p = connectPromise;
                        if (p != null && p.tryFailure(new ConnectTimeoutException(
                                "connection timed out after " + timeoutMillis + " ms: " + remote))) {
                            connectPromise = null;
                            requestCancel(connectOp);
                            close(voidPromise());
                        }
                    }, timeoutMillis, TimeUnit.MILLISECONDS);
                }
                promise.addListener((ChannelFutureListener) f -> {
                    if (f.isCancelled()) {
                        if (connectTimeout != null) {
                            connectTimeout.cancel(false);
                            connectTimeout = null;
                        }
                        connectPromise = null;
                        requestCancel(connectOp);
                        close(voidPromise());
                    }
                });
            } catch (Throwable t) {
                promise.tryFailure(annotateConnectException(t, remoteAddress));
                closeIfClosed();
            }
        }
    }

    /** Asks the backend to cancel an op in flight; only a request (invariant 1): its packet still comes. */
    private void requestCancel(Op op) {
        if (op != null && op.state() == Op.State.IN_FLIGHT) {
            CancelResult ignored = backend().cancel(op);
        }
    }
}
