package dev.iocp.netty;

import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.IoException;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpType;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.ServerSocketChannel;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;

/**
 * A listening TCP socket on iocp: Netty's {@link ServerSocketChannel}, with {@link IocpChannelOption#PENDING_ACCEPTS}
 * accepts pending at once (AcceptEx on Windows). Each accepted connection becomes an {@link IocpSocketChannel},
 * which joins the completion port of the child loop it is registered with.
 *
 * <p>Each pending accept is a slot; its op lives as long as the channel.
 * <pre>
 *   slot state   event                                          next
 *   IDLE         reading requested                              PENDING (an accept submitted)
 *   PENDING      packet, reading requested                      IDLE    (delivered: channelRead(child); re-armed
 *                                                                        while reading is still requested)
 *   PENDING      packet, reading not requested                  HELD    (kept, accepted socket and all)
 *   PENDING      failed packet, reading not requested           IDLE    (nothing accepted, nothing to keep)
 *   HELD         read requested                                 IDLE    (delivered from a task, in arrival order)
 * </pre>
 * Auto-read off cancels no accept, as it cancels no receive on a connection: a connection that completes its accept
 * meanwhile is held, never closed behind the client's back. A reset before the accept (the client gave up), or an
 * accepted socket already reset or disconnected when it is delivered, just re-arms the slot; any other failure is an
 * exceptionCaught (Netty's {@code ServerBootstrap} then pauses accepting for a second) and the slot re-arms at the
 * next read.
 *
 * <p><b>The spare descriptor.</b> The channel holds one socket it never uses, opened at bind. When an accept fails
 * with {@link ErrorCode#NO_DESCRIPTORS} and the spare is held, the spare is closed before the exceptionCaught, so the
 * process has a descriptor again: Netty's logging of the failure can open what it needs (java.util.logging's
 * formatter loads the time-zone database on first use; a failed initialisation of it is permanent for the process,
 * and the Error would escape the pipeline). The accept that completes while the spare is out is <em>shed</em> —
 * closed at once, so the client is not left hanging — unless the spare can be taken back, which means descriptors
 * are back and the connection is delivered. See the transport's {@code IocpServer} for the same mechanism.
 */
public final class IocpServerSocketChannel extends AbstractIocpChannel implements ServerSocketChannel, ServerChannel {
    private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);

    enum SlotState { IDLE, PENDING, HELD }

    /** One pending accept; its op is acquired on first use and released when the channel is closed. */
    private static final class Slot {
        Op op;
        SlotState state = SlotState.IDLE;
        int error;
    }

    private final IocpServerSocketChannelConfig config;
    private volatile boolean bound;
    private final ArrayDeque<Slot> slots = new ArrayDeque<>();
    private final ArrayDeque<Slot> held = new ArrayDeque<>();
    private boolean readRequested;
    private boolean heldDeliveryScheduled;
    private long acceptsHeld;
    /** The spare descriptor (see the class comment); 0 while released. Loop thread only. */
    private long spare;
    private long acceptsShed;

    /**
     * A server channel; Netty's {@code ServerBootstrap} makes one through {@code channel(IocpServerSocketChannel.class)}.
     */
    public IocpServerSocketChannel() {
        super(null);
        this.config = new IocpServerSocketChannelConfig(this);
    }

    @Override
    public IocpServerSocketChannelConfig config() {
        return config;
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }

    @Override
    public boolean isActive() {
        return open && bound;
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) super.localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return null;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return null;
    }

    /** {@return connections accepted and closed at once because the process was out of descriptors} */
    public long acceptsShed() {
        return acceptsShed;
    }

    /** {@return accepts that completed while nobody asked for connections, and were held} */
    public long acceptsHeld() {
        return acceptsHeld;
    }

    @Override
    protected IocpUnsafe newUnsafe() {
        return new ServerUnsafe();
    }

    @Override
    void socketOpened() throws IOException {
        config.applyTo(socket);
    }

    @Override
    protected void doBind(SocketAddress localAddress) throws Exception {
        InetSocketAddress address = checkResolved(localAddress);
        openSocket(address);
        backend().bind(socket, address);
        backend().listen(socket, config.getBacklog());
        local = backend().localAddress(socket);
        bound = true;
        spare = openSpare();
    }

    /** A spare descriptor, or 0 if the process is out of them now (the next accept retries). */
    private long openSpare() {
        try {
            return backend().openTcpSocket(local != null && local.getAddress() instanceof Inet6Address);
        } catch (IoException e) {
            return 0;
        }
    }

    /** Closes the spare, if held; false if it was already out. */
    private boolean releaseSpare() {
        if (spare == 0) {
            return false;
        }
        backend().close(spare, false);
        spare = 0;
        return true;
    }

    @Override
    protected void doBeginRead() {
        readRequested = true;
        if (!held.isEmpty()) {
            scheduleHeldDelivery();
            return;
        }
        armIdleSlots();
    }

    void readingStopped() {
        if (!isRegistered() || eventLoop().inEventLoop()) { // not registered yet: no loop thread to race with
            readRequested = false;
        } else {
            eventLoop().execute(() -> readRequested = false);
        }
    }

    private void armIdleSlots() {
        while (slots.size() < config.getPendingAccepts()) {
            slots.add(new Slot());
        }
        for (Slot slot : slots) {
            if (slot.state == SlotState.IDLE && isActive() && readRequested) {
                arm(slot);
            }
        }
    }

    private void arm(Slot slot) {
        if (registration == null || !registration.isValid()) {
            return;
        }
        if (slot.op == null) {
            slot.op = registration.newOp(OpType.ACCEPT, socket);
            slot.op.attach(slot);
        } else {
            slot.op.prepare(OpType.ACCEPT, socket, registration);
        }
        int error = registration.submit(slot.op);
        if (error != 0 && IoError.is(error, ErrorCode.NO_DESCRIPTORS) && releaseSpare()) {
            pipeline().fireExceptionCaught(NettyErrors.exception("accept on " + local, error));
            if (!isActive() || !readRequested) {
                return;
            }
            slot.op.prepare(OpType.ACCEPT, socket, registration);
            error = registration.submit(slot.op); // may take the spare's descriptor (Win32's AcceptEx socket)
        }
        if (error == 0) {
            slot.state = SlotState.PENDING;
        } else {
            // Nothing was accepted (the backend closed what it prepared). Said once; re-armed at the next read.
            pipeline().fireExceptionCaught(NettyErrors.exception("accept on " + local, error));
        }
    }

    @Override
    void onPacket(Op op, int bytes, int error) {
        Slot slot = (Slot) op.attachment();
        slot.error = error;
        if (!isOpen()) {
            closeAccepted(slot);
            slot.state = SlotState.IDLE;
            op.release();
            slot.op = null;
            return;
        }
        if (error != 0 && !readRequested) {
            // A failed accept holds no connection: nothing to keep for the next read, which re-arms the slot. Held, it
            // would be delivered later as a stale failure — out of descriptors at the time — and each such
            // exceptionCaught stops Netty's ServerBootstrap accepting for another second (measured: 16 slots failed
            // with EMFILE while paused took 8 s to drain after the descriptors had come back).
            closeAccepted(slot);
            slot.state = SlotState.IDLE;
            return;
        }
        if (!readRequested || registration == null || !registration.isValid()) {
            slot.state = SlotState.HELD;
            held.add(slot);
            acceptsHeld++;
            return;
        }
        slot.state = SlotState.IDLE;
        deliver(slot);
    }

    private void scheduleHeldDelivery() {
        if (!heldDeliveryScheduled) {
            heldDeliveryScheduled = true;
            eventLoop().execute(this::deliverHeld);
        }
    }

    private void deliverHeld() {
        heldDeliveryScheduled = false;
        if (readRequested && isOpen() && !held.isEmpty()) {
            Slot slot = held.poll();
            slot.state = SlotState.IDLE;
            deliver(slot);
        }
        if (readRequested && isOpen()) {
            if (!held.isEmpty()) {
                scheduleHeldDelivery();
            } else {
                armIdleSlots();
            }
        }
    }

    /** One accept's result to the pipeline: a child channel, a re-arm after a reset, or an exceptionCaught. */
    private void deliver(Slot slot) {
        ChannelPipeline pipeline = pipeline();
        RecvByteBufAllocator.Handle allocHandle = unsafe().recvBufAllocHandle();
        allocHandle.reset(config);
        int error = slot.error;
        if (error != 0) {
            closeAccepted(slot);
            if (NettyErrors.isReset(error) || IoError.is(error, ErrorCode.NOT_CONNECTED)) {
                // The client is gone (Wine's AcceptEx says WSAENOTCONN for a connection reset in the backlog).
                if (readRequested) {
                    arm(slot);
                }
                return;
            }
            boolean spareReleased = IoError.is(error, ErrorCode.NO_DESCRIPTORS) && releaseSpare();
            pipeline.fireExceptionCaught(NettyErrors.exception("accept on " + local, error));
            if (spareReleased && readRequested && isOpen()) {
                arm(slot); // with a descriptor free, the next accept can take a waiting client (and shed it)
            }
            return;
        }
        if (spare == 0 && (spare = openSpare()) == 0) {
            // Still out of descriptors: shed this connection; its close frees the descriptor the spare takes back.
            closeAccepted(slot);
            acceptsShed++;
            spare = openSpare();
            if (readRequested && isOpen()) {
                arm(slot);
            }
            return;
        }
        long accepted = slot.op.acceptSocket();
        IocpSocketChannel child;
        try {
            backend().finishAccept(slot.op);
            InetSocketAddress peer = backend().remoteAddress(accepted);
            child = new IocpSocketChannel(this, accepted, peer);
            slot.op.acceptSocket(0); // the child owns it from here (until then, a failure above closes it below)
        } catch (IOException e) {
            closeAccepted(slot);
            if (!clientGone(e)) {
                pipeline.fireExceptionCaught(e);
            }
            if (readRequested) {
                arm(slot);
            }
            return;
        }
        if (!config.isAutoRead()) {
            readRequested = false;
        }
        allocHandle.incMessagesRead(1);
        pipeline.fireChannelRead(child);
        allocHandle.readComplete();
        pipeline.fireChannelReadComplete();
        if (config.isAutoRead()) {
            readRequested = true;
        }
        if (readRequested && slot.state == SlotState.IDLE && isOpen()) {
            arm(slot);
        }
    }

    /**
     * Whether an accepted socket failed because its client already reset or closed it (getpeername: ENOTCONN): like a
     * reset before the accept, not an error of the server — and not worth an exceptionCaught, after which Netty's
     * ServerBootstrap stops accepting for a second (a backlog of clients that gave up would take that many seconds).
     */
    private static boolean clientGone(IOException e) {
        return e instanceof IoException
                && (((IoException) e).code() == ErrorCode.RESET || ((IoException) e).code() == ErrorCode.NOT_CONNECTED);
    }

    /** Closes the socket an accept left us, if any (after a failed accept, or a held one at close). */
    private void closeAccepted(Slot slot) {
        long s = slot.op.acceptSocket();
        if (s != 0) {
            slot.op.acceptSocket(0);
            backend().close(s, false);
        }
    }

    @Override
    protected void doClose() throws Exception {
        boolean wasOpen = open;
        open = false;
        bound = false;
        for (Slot slot : slots) {
            if (slot.state != SlotState.PENDING && slot.op != null) {
                if (registration != null) {
                    closeAccepted(slot);
                }
                slot.op.release();
                slot.op = null;
                slot.state = SlotState.IDLE;
            }
        }
        held.clear();
        if (registration != null) {
            releaseSpare();
        }
        if (wasOpen && socket != 0 && registration != null) {
            backend().close(socket, false); // the pending accepts complete with an error packet, then release
        }
        socket = 0;
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) {
        throw new UnsupportedOperationException("a server channel does not write");
    }

    @Override
    protected Object filterOutboundMessage(Object msg) {
        throw new UnsupportedOperationException("a server channel does not write");
    }

    private final class ServerUnsafe extends IocpUnsafe {
        @Override
        public void connect(SocketAddress remote, SocketAddress local, ChannelPromise promise) {
            promise.setFailure(new UnsupportedOperationException("a server channel does not connect"));
        }
    }
}
