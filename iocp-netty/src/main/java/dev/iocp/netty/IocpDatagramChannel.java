package dev.iocp.netty;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.backend.SockAddrCodec;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultAddressedEnvelope;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.internal.StringUtil;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.PortUnreachableException;
import java.net.SocketAddress;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.UnresolvedAddressException;

/**
 * UDP on iocp: Netty's {@link DatagramChannel} over the backend's datagram ops (Win32: WSARecvFrom / WSASendTo
 * through the completion port; io_uring: RECVMSG / SENDMSG; the simulated backend's model). Unconnected and
 * connected, IPv4 and IPv6 (one dual-stack socket where the backend makes them so). Reads {@link DatagramPacket}s;
 * writes {@link DatagramPacket}s, any {@link AddressedEnvelope} of a {@link ByteBuf} to an
 * {@link InetSocketAddress}, and plain {@link ByteBuf}s once connected.
 *
 * <h2>Reading: one receive in flight, never cancelled</h2>
 * As on {@link IocpSocketChannel}: once the socket has a local address one receive of one datagram is in flight,
 * asked for or not; {@code read()} (or auto-read) only decides when its datagram is delivered. Turning auto-read off
 * cancels nothing: a datagram that arrives while nobody asks is <em>held</em>, buffer and sender, and delivered by
 * the next {@code read()}; the next ones wait in the socket's own buffer (where the system drops what does not fit,
 * as UDP does on every transport). Each datagram is one read batch: channelRead, then channelReadComplete.
 * A datagram larger than the receive buffer ({@code RCVBUF_ALLOCATOR}: 2048 bytes by default, as Netty's) is
 * delivered truncated, as NIO and epoll deliver it. An ICMP port-unreachable reported on a connected socket is a
 * {@link PortUnreachableException} in exceptionCaught, and the channel goes on; any other receive error is an
 * {@link IOException} in exceptionCaught and closes the channel (as NIO does).
 *
 * <h2>Writing: one datagram in flight</h2>
 * Each message is one send of one datagram, from its buffer's own memory (heap or composite buffers are copied
 * into a direct one when written). The buffer is retained until the send's packet, whatever the channel does
 * meanwhile (invariant 2). A send that fails fails its message's promise only: a datagram channel stays open.
 *
 * <h2>What is refused</h2>
 * Multicast: {@code joinGroup}, {@code leaveGroup} and {@code block} return a future failed with
 * {@link UnsupportedOperationException}, and the options IP_MULTICAST_IF, IP_MULTICAST_ADDR, IP_MULTICAST_TTL,
 * IP_MULTICAST_LOOP_DISABLED and IP_TOS are refused by name (see {@link IocpDatagramChannelConfig}).
 *
 * <p>The socket is opened late, as every iocp channel's (see {@link AbstractIocpChannel}): at bind, connect, or —
 * with {@code DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION}, as {@code DnsNameResolver} uses it — at the first write,
 * then bound to the wildcard address and a free port so that its receive can be armed at once on every backend
 * (Winsock refuses a receive on an unbound socket).
 */
public class IocpDatagramChannel extends AbstractIocpChannel implements DatagramChannel {
    private static final ChannelMetadata METADATA = new ChannelMetadata(true);
    private static final String EXPECTED_TYPES = " (expected: " + StringUtil.simpleClassName(DatagramPacket.class)
            + ", " + StringUtil.simpleClassName(AddressedEnvelope.class) + '<'
            + StringUtil.simpleClassName(ByteBuf.class) + ", " + StringUtil.simpleClassName(InetSocketAddress.class)
            + ">, " + StringUtil.simpleClassName(ByteBuf.class) + ')';

    private final IocpDatagramChannelConfig config;
    /** The family asked for at construction; null: the first address's. */
    private final SocketProtocolFamily family;

    private enum ReceiveState { IDLE, IN_FLIGHT, HELD }

    private ReceiveState receiveState = ReceiveState.IDLE;
    private boolean readRequested;
    private Op recvOp;
    private ByteBuf recvBuf;
    private InetSocketAddress heldSender;
    private int heldBytes;
    private boolean heldDeliveryScheduled;
    private long receivesHeld;

    private Op sendOp;
    private boolean sendInFlight;
    /** The buffer the send in flight names, retained until its packet (invariant 2). */
    private ByteBuf sendRetained;

    /** A channel whose socket's family follows the first address it is given. */
    public IocpDatagramChannel() {
        this((SocketProtocolFamily) null);
    }

    /**
     * A channel of the given family.
     *
     * @param family INET or INET6 (null: the first address's)
     */
    public IocpDatagramChannel(SocketProtocolFamily family) {
        super(null);
        if (family != null && family != SocketProtocolFamily.INET && family != SocketProtocolFamily.INET6) {
            throw new UnsupportedOperationException("iocp datagram channels speak UDP over IP; not " + family);
        }
        this.family = family;
        this.config = new IocpDatagramChannelConfig(this);
    }

    @Override
    public IocpDatagramChannelConfig config() {
        return config;
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }

    /** Open, and bound (or active on registration, once registered: see the class comment). */
    @Override
    public boolean isActive() {
        return open && (local != null || (config.isActiveOnRegistration() && isRegistered()));
    }

    @Override
    public boolean isConnected() {
        return remote != null;
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) super.localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) super.remoteAddress();
    }

    /** {@return datagrams that arrived while nobody asked for data, and were held} */
    public long receivesHeld() {
        return receivesHeld;
    }

    @Override
    protected IocpUnsafe newUnsafe() {
        return new DatagramUnsafe();
    }

    @Override
    long newSocket(Backend backend, boolean ipv6) throws IOException {
        boolean v6 = family != null ? family == SocketProtocolFamily.INET6 : ipv6;
        return backend.openUdpSocket(v6);
    }

    @Override
    void socketOpened() throws IOException {
        config.applyTo(socket);
    }

    /** A remote address must be resolved and of the channel's family, as NIO's channel of a family requires. */
    private static InetSocketAddress checkTarget(SocketAddress address) {
        if (!(address instanceof InetSocketAddress)) {
            throw new UnsupportedOperationException("iocp datagram channels speak UDP over IP; not " + address);
        }
        InetSocketAddress inet = (InetSocketAddress) address;
        if (inet.isUnresolved()) {
            throw new UnresolvedAddressException();
        }
        return inet;
    }

    /**
     * The socket for a send or a connect with no local address: opened and bound to the wildcard address of its
     * family and a free port, so its receive can be armed at once (see the class comment).
     */
    private void ensureSocket(InetSocketAddress forAddress) throws IOException {
        if (socket != 0) {
            return;
        }
        openSocket(forAddress);
        boolean v6 = family != null ? family == SocketProtocolFamily.INET6
                : forAddress.getAddress() instanceof Inet6Address;
        backend().bind(socket, SockAddrCodec.wildcard(v6));
        local = backend().localAddress(socket);
    }

    @Override
    protected void doBind(SocketAddress localAddress) throws IOException {
        InetSocketAddress address = checkResolved(localAddress);
        openSocket(address);
        backend().bind(socket, address);
        local = backend().localAddress(socket);
    }

    /** Dissolves the association with the peer; the channel stays bound and open. */
    @Override
    protected void doDisconnect() throws IOException {
        if (socket != 0 && remote != null) {
            backend().disconnectDatagram(socket);
            local = backend().localAddress(socket);
        }
        remote = null;
    }

    // ------------------------------------------------------------------------------------------------ reading

    @Override
    protected void doBeginRead() {
        readRequested = true;
        if (receiveState == ReceiveState.HELD) {
            scheduleHeldDelivery();
        } else {
            armReceive();
        }
    }

    /** Arms the one receive, if none is in flight or held and the socket has an address to receive at. */
    private void armReceive() {
        if (receiveState != ReceiveState.IDLE || !open || socket == 0 || local == null || registration == null
                || !registration.isValid()) {
            return;
        }
        ByteBuf buf = unsafe().recvBufAllocHandle().allocate(config.getAllocator());
        if (!buf.hasMemoryAddress()) {
            // The kernel writes the buffer: it must be direct.
            int capacity = buf.capacity();
            buf.release();
            buf = config.getAllocator().directBuffer(capacity);
        }
        if (recvOp == null) {
            recvOp = registration.newOp(OpType.RECV_FROM, socket);
        } else {
            recvOp.prepare(OpType.RECV_FROM, socket, registration);
        }
        recvOp.addBuffer(buf.memoryAddress() + buf.writerIndex(), buf.writableBytes());
        int error = registration.submit(recvOp);
        receiveState = ReceiveState.IN_FLIGHT;
        if (error != 0) {
            buf.release();
            // No packet will come (the SPI's contract): the failure takes the packet's path from a loop task, never
            // from here, so callbacks never nest (a read() from channelReadComplete is a caller).
            Op failed = recvOp;
            eventLoop().execute(() -> onPacket(failed, 0, error));
            return;
        }
        recvBuf = buf;
    }

    private void receiveCompleted(int bytes, int error) {
        receiveState = ReceiveState.IDLE;
        ByteBuf buf = recvBuf;
        recvBuf = null;
        if (!open) {
            if (buf != null) {
                buf.release();
            }
            releaseReceive();
            return;
        }
        // A truncated datagram (MESSAGE_TOO_LONG) carries the bytes that fitted: delivered as NIO delivers it.
        boolean datagram = buf != null && (error == 0 || IoError.is(error, ErrorCode.MESSAGE_TOO_LONG));
        if (!datagram) {
            if (buf != null) {
                buf.release();
            }
            receiveFailed(error);
            return;
        }
        buf.writerIndex(buf.writerIndex() + bytes);
        InetSocketAddress sender = backend().receivedFrom(recvOp);
        if (!readRequested || registration == null || !registration.isValid()) {
            receiveState = ReceiveState.HELD;
            recvBuf = buf;
            heldSender = sender;
            heldBytes = bytes;
            receivesHeld++;
            return;
        }
        deliver(buf, bytes, sender);
    }

    /** One datagram is one read batch: channelRead, channelReadComplete; then the next receive is armed. */
    private void deliver(ByteBuf buf, int bytes, InetSocketAddress sender) {
        ChannelPipeline pipeline = pipeline();
        RecvByteBufAllocator.Handle allocHandle = unsafe().recvBufAllocHandle();
        allocHandle.reset(config);
        allocHandle.attemptedBytesRead(buf.capacity());
        allocHandle.lastBytesRead(bytes);
        allocHandle.incMessagesRead(1);
        readRequested = false;
        pipeline.fireChannelRead(new DatagramPacket(buf, local, sender));
        allocHandle.readComplete();
        pipeline.fireChannelReadComplete();
        armReceive();
    }

    /**
     * A receive failed. A port-unreachable (connected socket) is reported and the channel goes on; anything else
     * is reported and closes it, as NIO's datagram channel does.
     */
    private void receiveFailed(int error) {
        IOException cause = exception("receive", error);
        pipeline().fireExceptionCaught(cause);
        if (cause instanceof PortUnreachableException) {
            armReceive();
        } else {
            unsafe().close(unsafe().voidPromise());
        }
    }

    private void scheduleHeldDelivery() {
        if (!heldDeliveryScheduled) {
            heldDeliveryScheduled = true;
            eventLoop().execute(this::deliverHeld);
        }
    }

    private void deliverHeld() {
        heldDeliveryScheduled = false;
        if (receiveState == ReceiveState.HELD && readRequested && open) {
            ByteBuf buf = recvBuf;
            recvBuf = null;
            receiveState = ReceiveState.IDLE;
            InetSocketAddress sender = heldSender;
            heldSender = null;
            deliver(buf, heldBytes, sender);
        }
    }

    private void releaseReceive() {
        if (recvOp != null && recvOp.state() == Op.State.IN_FLIGHT) {
            return; // its packet gives it back
        }
        if (recvBuf != null) {
            recvBuf.release();
            recvBuf = null;
        }
        if (recvOp != null) {
            recvOp.release();
            recvOp = null;
        }
        heldSender = null;
        receiveState = ReceiveState.IDLE;
    }

    /**
     * An error in Netty's terms: a port-unreachable as NIO reports it, anything else in the words of NettyErrors. On
     * UDP a refusal (Linux's ECONNREFUSED, Windows' ERROR_PORT_UNREACHABLE) and a reset (Winsock's WSAECONNRESET)
     * can only be the ICMP port-unreachable answering an earlier datagram.
     */
    private static IOException exception(String call, int error) {
        IOException e = NettyErrors.exception(call, error);
        if (NettyErrors.isRefused(error) || NettyErrors.isReset(error)) {
            PortUnreachableException unreachable = new PortUnreachableException(e.getMessage());
            unreachable.initCause(e);
            return unreachable;
        }
        return e;
    }

    // ------------------------------------------------------------------------------------------------ writing

    @Override
    protected Object filterOutboundMessage(Object msg) {
        if (msg instanceof DatagramPacket) {
            DatagramPacket packet = (DatagramPacket) msg;
            checkTarget(packet.recipient());
            ByteBuf content = packet.content();
            return isSendable(content) ? packet : new DatagramPacket(directCopy(content, packet), packet.recipient());
        }
        if (msg instanceof AddressedEnvelope) {
            @SuppressWarnings("unchecked")
            AddressedEnvelope<Object, SocketAddress> envelope = (AddressedEnvelope<Object, SocketAddress>) msg;
            if (envelope.content() instanceof ByteBuf
                    && (envelope.recipient() == null || envelope.recipient() instanceof InetSocketAddress)) {
                InetSocketAddress recipient = (InetSocketAddress) envelope.recipient();
                if (recipient != null) {
                    checkTarget(recipient);
                }
                ByteBuf content = (ByteBuf) envelope.content();
                return isSendable(content) ? envelope
                        : new DefaultAddressedEnvelope<>(directCopy(content, envelope), recipient);
            }
        }
        if (msg instanceof ByteBuf) {
            ByteBuf buf = (ByteBuf) msg;
            return isSendable(buf) ? buf : directCopy(buf, buf);
        }
        throw new UnsupportedOperationException("unsupported message type: " + StringUtil.simpleClassName(msg)
                + EXPECTED_TYPES);
    }

    /** Whether the kernel can read the buffer where it is: one piece of native memory. */
    private static boolean isSendable(ByteBuf buf) {
        return buf.hasMemoryAddress();
    }

    /** A direct copy of {@code content}'s readable bytes; {@code holder} (the message that owned it) is released. */
    private ByteBuf directCopy(ByteBuf content, Object holder) {
        int readable = content.readableBytes();
        ByteBuf direct = alloc().directBuffer(Math.max(readable, 1));
        direct.writeBytes(content, content.readerIndex(), readable);
        ReferenceCountUtil.safeRelease(holder);
        return direct;
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) {
        while (!sendInFlight && registration != null && registration.isValid()) {
            Object msg = in.current();
            if (msg == null) {
                return;
            }
            ByteBuf content;
            InetSocketAddress target;
            if (msg instanceof AddressedEnvelope) {
                @SuppressWarnings("unchecked")
                AddressedEnvelope<ByteBuf, InetSocketAddress> envelope =
                        (AddressedEnvelope<ByteBuf, InetSocketAddress>) msg;
                content = envelope.content();
                target = envelope.recipient();
            } else {
                content = (ByteBuf) msg;
                target = null;
            }
            InetSocketAddress peer = remote;
            if (target == null && peer == null) {
                in.remove(new NotYetConnectedException());
                continue;
            }
            try {
                ensureSocket(target != null ? target : peer);
            } catch (IOException | RuntimeException e) {
                in.remove(e);
                continue;
            }
            if (target != null && target.equals(peer)) {
                target = null; // to the connected peer: no address, as a connected socket's send has none
            }
            if (sendOp == null) {
                sendOp = registration.newOp(OpType.SEND_TO, socket);
            } else {
                sendOp.prepare(OpType.SEND_TO, socket, registration);
            }
            int readable = content.readableBytes();
            if (readable > 0) {
                sendOp.addBuffer(content.memoryAddress() + content.readerIndex(), readable);
            }
            int error = registration.submit(sendOp, target);
            if (error != 0) {
                in.remove(exception("send to " + (target != null ? target : peer), error));
                continue;
            }
            sendInFlight = true;
            sendRetained = content.retain();
            // The socket has its address now: a receive asked for before it existed can be armed.
            if (readRequested) {
                armReceive();
            }
        }
    }

    private void sendCompleted(int error) {
        sendInFlight = false;
        ByteBuf sent = sendRetained;
        sendRetained = null;
        if (sent != null) {
            sent.release();
        }
        ChannelOutboundBuffer in = unsafe().outboundBuffer();
        if (!open || in == null) {
            if (sendOp != null) {
                sendOp.release();
                sendOp = null;
            }
            return;
        }
        if (error == 0) {
            in.remove();
        } else {
            in.remove(exception("send", error));
        }
        doWrite(in);
    }

    // ------------------------------------------------------------------------------------------------ close

    @Override
    protected void doClose() {
        boolean wasOpen = open;
        open = false;
        if (receiveState != ReceiveState.IN_FLIGHT) {
            releaseReceive();
        }
        if (sendOp != null && !sendInFlight) {
            sendOp.release();
            sendOp = null;
        }
        if (wasOpen && socket != 0 && registration != null) {
            // The ops in flight complete with an error packet; their memory and buffers stay theirs until then.
            backend().close(socket, false);
        }
        socket = 0;
        remote = null;
    }

    @Override
    void onPacket(Op op, int bytes, int error) {
        if (op == recvOp) {
            receiveCompleted(bytes, error);
        } else if (op == sendOp) {
            sendCompleted(error);
        } else {
            throw new IllegalStateException("packet for an op " + this + " does not own: " + op);
        }
    }

    private final class DatagramUnsafe extends IocpUnsafe {
        /** A UDP connect is synchronous: nothing is exchanged with the peer. */
        @Override
        public void connect(SocketAddress remoteAddress, SocketAddress localAddress, ChannelPromise promise) {
            if (!promise.setUncancellable() || !ensureOpen(promise)) {
                return;
            }
            try {
                boolean wasActive = isActive();
                InetSocketAddress target = checkTarget(remoteAddress);
                if (localAddress != null) {
                    doBind(localAddress);
                } else {
                    ensureSocket(target);
                }
                backend().connectDatagram(socket, target);
                remote = target;
                local = backend().localAddress(socket);
                promise.trySuccess();
                if (!wasActive && isActive()) {
                    pipeline().fireChannelActive();
                }
                if (readRequested) {
                    armReceive();
                }
            } catch (Throwable t) {
                promise.tryFailure(annotateConnectException(t, remoteAddress));
                closeIfClosed();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ multicast

    private ChannelFuture multicastRefused(String what, ChannelPromise promise) {
        promise.setFailure(new UnsupportedOperationException(what
                + ": multicast is not supported by iocp's DatagramChannel"));
        return promise;
    }

    @Override
    public ChannelFuture joinGroup(InetAddress multicastAddress) {
        return joinGroup(multicastAddress, newPromise());
    }

    @Override
    public ChannelFuture joinGroup(InetAddress multicastAddress, ChannelPromise promise) {
        return multicastRefused("joinGroup", promise);
    }

    @Override
    public ChannelFuture joinGroup(InetSocketAddress multicastAddress, NetworkInterface networkInterface) {
        return joinGroup(multicastAddress, networkInterface, newPromise());
    }

    @Override
    public ChannelFuture joinGroup(InetSocketAddress multicastAddress, NetworkInterface networkInterface,
                                   ChannelPromise promise) {
        return multicastRefused("joinGroup", promise);
    }

    @Override
    public ChannelFuture joinGroup(InetAddress multicastAddress, NetworkInterface networkInterface,
                                   InetAddress source) {
        return joinGroup(multicastAddress, networkInterface, source, newPromise());
    }

    @Override
    public ChannelFuture joinGroup(InetAddress multicastAddress, NetworkInterface networkInterface,
                                   InetAddress source, ChannelPromise promise) {
        return multicastRefused("joinGroup", promise);
    }

    @Override
    public ChannelFuture leaveGroup(InetAddress multicastAddress) {
        return leaveGroup(multicastAddress, newPromise());
    }

    @Override
    public ChannelFuture leaveGroup(InetAddress multicastAddress, ChannelPromise promise) {
        return multicastRefused("leaveGroup", promise);
    }

    @Override
    public ChannelFuture leaveGroup(InetSocketAddress multicastAddress, NetworkInterface networkInterface) {
        return leaveGroup(multicastAddress, networkInterface, newPromise());
    }

    @Override
    public ChannelFuture leaveGroup(InetSocketAddress multicastAddress, NetworkInterface networkInterface,
                                    ChannelPromise promise) {
        return multicastRefused("leaveGroup", promise);
    }

    @Override
    public ChannelFuture leaveGroup(InetAddress multicastAddress, NetworkInterface networkInterface,
                                    InetAddress source) {
        return leaveGroup(multicastAddress, networkInterface, source, newPromise());
    }

    @Override
    public ChannelFuture leaveGroup(InetAddress multicastAddress, NetworkInterface networkInterface,
                                    InetAddress source, ChannelPromise promise) {
        return multicastRefused("leaveGroup", promise);
    }

    @Override
    public ChannelFuture block(InetAddress multicastAddress, NetworkInterface networkInterface,
                               InetAddress sourceToBlock) {
        return block(multicastAddress, networkInterface, sourceToBlock, newPromise());
    }

    @Override
    public ChannelFuture block(InetAddress multicastAddress, NetworkInterface networkInterface,
                               InetAddress sourceToBlock, ChannelPromise promise) {
        return multicastRefused("block", promise);
    }

    @Override
    public ChannelFuture block(InetAddress multicastAddress, InetAddress sourceToBlock) {
        return block(multicastAddress, sourceToBlock, newPromise());
    }

    @Override
    public ChannelFuture block(InetAddress multicastAddress, InetAddress sourceToBlock, ChannelPromise promise) {
        return multicastRefused("block", promise);
    }
}
