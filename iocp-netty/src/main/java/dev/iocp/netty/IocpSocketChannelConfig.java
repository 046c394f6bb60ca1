package dev.iocp.netty;

import dev.iocp.core.backend.SocketOpt;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannelConfig;
import io.netty.util.internal.PlatformDependent;

import java.io.IOException;
import java.util.Map;

/**
 * The options of an {@link IocpSocketChannel}. Values set before the socket exists (it is opened at connect, see
 * {@link AbstractIocpChannel}) are kept here and applied when it opens; afterwards a set goes to the socket at once
 * and a get reads the socket.
 *
 * <p>{@code SO_LINGER}: 0 makes {@code close()} abortive (the peer sees RST, unsent data is dropped), as in every
 * Netty transport. A positive value is kept and reported but closing never blocks the loop: the close is graceful
 * and the system sends what is left in the background. {@code IP_TOS} is not supported (Windows ignores it for
 * TCP unless a QoS policy says otherwise) and is reported as such by {@link #setOption}.
 */
public final class IocpSocketChannelConfig extends DefaultChannelConfig implements SocketChannelConfig {
    private final IocpSocketChannel channel;
    private volatile boolean allowHalfClosure;
    private volatile int soLinger = -1;
    // Kept until the socket opens; -1 = not set (the system default applies).
    private volatile int tcpNoDelay = -1;
    private volatile int keepAlive = -1;
    private volatile int receiveBufferSize = -1;
    private volatile int sendBufferSize = -1;
    private volatile int reuseAddress = -1;

    IocpSocketChannelConfig(IocpSocketChannel channel) {
        super(channel);
        this.channel = channel;
        if (PlatformDependent.canEnableTcpNoDelayByDefault()) {
            setTcpNoDelay(true);
        }
    }

    @Override
    public Map<ChannelOption<?>, Object> getOptions() {
        return getOptions(super.getOptions(), ChannelOption.SO_RCVBUF, ChannelOption.SO_SNDBUF,
                ChannelOption.TCP_NODELAY, ChannelOption.SO_KEEPALIVE, ChannelOption.SO_REUSEADDR,
                ChannelOption.SO_LINGER, ChannelOption.ALLOW_HALF_CLOSURE, IocpChannelOption.READINESS_RECEIVES,
                IocpChannelOption.MAX_BYTES_PER_SEND);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getOption(ChannelOption<T> option) {
        if (option == ChannelOption.SO_RCVBUF) {
            return (T) Integer.valueOf(getReceiveBufferSize());
        }
        if (option == ChannelOption.SO_SNDBUF) {
            return (T) Integer.valueOf(getSendBufferSize());
        }
        if (option == ChannelOption.TCP_NODELAY) {
            return (T) Boolean.valueOf(isTcpNoDelay());
        }
        if (option == ChannelOption.SO_KEEPALIVE) {
            return (T) Boolean.valueOf(isKeepAlive());
        }
        if (option == ChannelOption.SO_REUSEADDR) {
            return (T) Boolean.valueOf(isReuseAddress());
        }
        if (option == ChannelOption.SO_LINGER) {
            return (T) Integer.valueOf(getSoLinger());
        }
        if (option == ChannelOption.ALLOW_HALF_CLOSURE) {
            return (T) Boolean.valueOf(isAllowHalfClosure());
        }
        if (option == IocpChannelOption.READINESS_RECEIVES) {
            return (T) Boolean.valueOf(isReadinessReceives());
        }
        if (option == IocpChannelOption.MAX_BYTES_PER_SEND) {
            return (T) Integer.valueOf(getMaxBytesPerSend());
        }
        return super.getOption(option);
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
        validate(option, value);
        if (option == ChannelOption.SO_RCVBUF) {
            setReceiveBufferSize((Integer) value);
        } else if (option == ChannelOption.SO_SNDBUF) {
            setSendBufferSize((Integer) value);
        } else if (option == ChannelOption.TCP_NODELAY) {
            setTcpNoDelay((Boolean) value);
        } else if (option == ChannelOption.SO_KEEPALIVE) {
            setKeepAlive((Boolean) value);
        } else if (option == ChannelOption.SO_REUSEADDR) {
            setReuseAddress((Boolean) value);
        } else if (option == ChannelOption.SO_LINGER) {
            setSoLinger((Integer) value);
        } else if (option == ChannelOption.ALLOW_HALF_CLOSURE) {
            setAllowHalfClosure((Boolean) value);
        } else if (option == IocpChannelOption.READINESS_RECEIVES) {
            setReadinessReceives((Boolean) value);
        } else if (option == IocpChannelOption.MAX_BYTES_PER_SEND) {
            setMaxBytesPerSend((Integer) value);
        } else {
            return super.setOption(option, value);
        }
        return true;
    }

    /**
     * {@link IocpChannelOption#READINESS_RECEIVES} as {@code -Diocp.receiveMode} sets it for the JVM: false for
     * {@code buffered}, true for {@code readiness} (or {@code provided}, which iocp-netty reads as readiness); null,
     * when the property is not set, for the backend's default ({@link #isReadinessReceives()}).
     */
    static final Boolean CONFIGURED_READINESS_RECEIVES = configuredReadinessReceives();

    private static Boolean configuredReadinessReceives() {
        String mode = System.getProperty("iocp.receiveMode");
        return mode == null ? null : !"buffered".equalsIgnoreCase(mode);
    }

    private volatile Boolean readinessReceives = CONFIGURED_READINESS_RECEIVES;

    /**
     * Whether receives wait for readiness first (see {@link IocpChannelOption#READINESS_RECEIVES}). Unless set (by
     * the option or {@code -Diocp.receiveMode}), it depends on the backend, by measurement (bench/RESULTS.md section
     * 8): buffered on io_uring, where a pending receive's buffer is not locked and stays untouched (not resident)
     * while the connection is idle, and readiness cost netty-iocp ~10 % more CPU per ping-pong message (the extra
     * recv per message); readiness everywhere else — on Windows a pending WSARecv locks its buffer's pages in
     * physical memory, which is why libuv and Kestrel wait with zero-byte receives.
     *
     * @return true for readiness receives, false for buffered ones
     */
    public boolean isReadinessReceives() {
        Boolean set = readinessReceives;
        if (set != null) {
            return set;
        }
        Boolean byBackend = backendDefault;
        if (byBackend == null) {
            String backend = channel.backendName();
            if (backend == null) {
                return true; // not registered yet: no receive to arm
            }
            // A channel's backend never changes (it may only re-register with the same loop): decided once, so
            // arming a receive costs no name lookup.
            backendDefault = byBackend = !"io_uring".equals(backend);
        }
        return byBackend;
    }

    /** {@link #isReadinessReceives()}'s backend default, once the channel is registered. */
    private volatile Boolean backendDefault;

    /**
     * Sets {@link IocpChannelOption#READINESS_RECEIVES}; takes effect from the next receive the channel arms.
     *
     * @param readiness readiness receives (true) or buffered ones (false)
     * @return this config
     */
    public IocpSocketChannelConfig setReadinessReceives(boolean readiness) {
        this.readinessReceives = readiness;
        return this;
    }

    /**
     * {@link IocpChannelOption#MAX_BYTES_PER_SEND} when it is not set: 1 MiB. A send's packet costs the loop one
     * dispatch, so a bulk transfer at 1 MiB a send spends next to nothing on them, while a connection with a
     * reader that stopped pins at most that much memory on Windows (Netty NIO's unbounded default would let one
     * write of any size name all its bytes).
     */
    public static final int DEFAULT_MAX_BYTES_PER_SEND = 1024 * 1024;

    /** Set through {@link IocpChannelOption#MAX_BYTES_PER_SEND}; -1 = not set. */
    private volatile int maxBytesPerSend = -1;

    /**
     * {@return the most bytes one send names (see {@link IocpChannelOption#MAX_BYTES_PER_SEND})} Unless set: twice
     * the {@code SO_SNDBUF} set on this config, as Netty's NIO channel derives its first
     * {@code maxBytesPerGatheringWrite}, else {@link #DEFAULT_MAX_BYTES_PER_SEND}. It does not adapt as NIO's does:
     * NIO shrinks it after a non-blocking write that took less than half, and an overlapped WSASend never does
     * that — it waits, its pages locked, until all of it is taken — so the cap stays what it was set to.
     */
    public int getMaxBytesPerSend() {
        int set = maxBytesPerSend;
        if (set > 0) {
            return set;
        }
        int sendBuffer = sendBufferSize;
        return sendBuffer > 0 ? (int) Math.min(2L * sendBuffer, Integer.MAX_VALUE) : DEFAULT_MAX_BYTES_PER_SEND;
    }

    /**
     * Sets {@link IocpChannelOption#MAX_BYTES_PER_SEND}; takes effect from the next send.
     *
     * @param maxBytes the most bytes one send names, at least 1
     * @return this config
     */
    public IocpSocketChannelConfig setMaxBytesPerSend(int maxBytes) {
        this.maxBytesPerSend = io.netty.util.internal.ObjectUtil.checkPositive(maxBytes, "maxBytes");
        return this;
    }

    /** The socket was opened: apply what was kept. */
    void applyTo(long socket) throws IOException {
        applyIfSet(socket, SocketOpt.TCP_NODELAY, tcpNoDelay);
        applyIfSet(socket, SocketOpt.SO_KEEPALIVE, keepAlive);
        applyIfSet(socket, SocketOpt.SO_RCVBUF, receiveBufferSize);
        applyIfSet(socket, SocketOpt.SO_SNDBUF, sendBufferSize);
        applyIfSet(socket, SocketOpt.SO_REUSEADDR, reuseAddress);
    }

    private void applyIfSet(long socket, SocketOpt option, int value) throws IOException {
        if (value >= 0) {
            channel.backend().setOption(socket, option, value);
        }
    }

    private int get(SocketOpt option, int kept) {
        return channel.socketOption(option, kept);
    }

    private void set(SocketOpt option, int value) {
        channel.setSocketOption(option, value);
    }

    @Override
    public boolean isTcpNoDelay() {
        return get(SocketOpt.TCP_NODELAY, Math.max(tcpNoDelay, 0)) != 0;
    }

    @Override
    public IocpSocketChannelConfig setTcpNoDelay(boolean on) {
        tcpNoDelay = on ? 1 : 0;
        set(SocketOpt.TCP_NODELAY, tcpNoDelay);
        return this;
    }

    @Override
    public int getSoLinger() {
        return soLinger;
    }

    @Override
    public IocpSocketChannelConfig setSoLinger(int soLinger) {
        this.soLinger = soLinger < 0 ? -1 : soLinger;
        return this;
    }

    @Override
    public int getSendBufferSize() {
        return get(SocketOpt.SO_SNDBUF, sendBufferSize);
    }

    @Override
    public IocpSocketChannelConfig setSendBufferSize(int size) {
        sendBufferSize = size;
        set(SocketOpt.SO_SNDBUF, size);
        return this;
    }

    @Override
    public int getReceiveBufferSize() {
        return get(SocketOpt.SO_RCVBUF, receiveBufferSize);
    }

    @Override
    public IocpSocketChannelConfig setReceiveBufferSize(int size) {
        receiveBufferSize = size;
        set(SocketOpt.SO_RCVBUF, size);
        return this;
    }

    @Override
    public boolean isKeepAlive() {
        return get(SocketOpt.SO_KEEPALIVE, Math.max(keepAlive, 0)) != 0;
    }

    @Override
    public IocpSocketChannelConfig setKeepAlive(boolean on) {
        keepAlive = on ? 1 : 0;
        set(SocketOpt.SO_KEEPALIVE, keepAlive);
        return this;
    }

    @Override
    public int getTrafficClass() {
        return 0;
    }

    /** Not supported (see the class comment): the value is ignored. */
    @Override
    public IocpSocketChannelConfig setTrafficClass(int trafficClass) {
        return this;
    }

    @Override
    public boolean isReuseAddress() {
        return get(SocketOpt.SO_REUSEADDR, Math.max(reuseAddress, 0)) != 0;
    }

    @Override
    public IocpSocketChannelConfig setReuseAddress(boolean on) {
        reuseAddress = on ? 1 : 0;
        set(SocketOpt.SO_REUSEADDR, reuseAddress);
        return this;
    }

    /** Ignored, as by every JDK socket implementation. */
    @Override
    public IocpSocketChannelConfig setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
        return this;
    }

    @Override
    public boolean isAllowHalfClosure() {
        return allowHalfClosure;
    }

    @Override
    public IocpSocketChannelConfig setAllowHalfClosure(boolean allowHalfClosure) {
        this.allowHalfClosure = allowHalfClosure;
        return this;
    }

    /**
     * Auto-read off never cancels the receive in flight (that cancel is how CPython lost data, bpo-33694): the
     * channel only stops asking for more, and a receive that completes meanwhile is held until the next read().
     */
    @Override
    protected void autoReadCleared() {
        channel.readingStopped();
    }

    @Override
    public IocpSocketChannelConfig setConnectTimeoutMillis(int connectTimeoutMillis) {
        super.setConnectTimeoutMillis(connectTimeoutMillis);
        return this;
    }

    @Override
    @Deprecated
    public IocpSocketChannelConfig setMaxMessagesPerRead(int maxMessagesPerRead) {
        super.setMaxMessagesPerRead(maxMessagesPerRead);
        return this;
    }

    @Override
    public IocpSocketChannelConfig setWriteSpinCount(int writeSpinCount) {
        super.setWriteSpinCount(writeSpinCount);
        return this;
    }

    @Override
    public IocpSocketChannelConfig setAllocator(ByteBufAllocator allocator) {
        super.setAllocator(allocator);
        return this;
    }

    @Override
    public IocpSocketChannelConfig setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
        super.setRecvByteBufAllocator(allocator);
        return this;
    }

    @Override
    public IocpSocketChannelConfig setAutoRead(boolean autoRead) {
        super.setAutoRead(autoRead);
        return this;
    }

    @Override
    public IocpSocketChannelConfig setAutoClose(boolean autoClose) {
        super.setAutoClose(autoClose);
        return this;
    }

    @Override
    public IocpSocketChannelConfig setMessageSizeEstimator(MessageSizeEstimator estimator) {
        super.setMessageSizeEstimator(estimator);
        return this;
    }

    @Override
    public IocpSocketChannelConfig setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
        super.setWriteBufferWaterMark(writeBufferWaterMark);
        return this;
    }

    @Override
    @Deprecated
    public IocpSocketChannelConfig setWriteBufferHighWaterMark(int writeBufferHighWaterMark) {
        super.setWriteBufferHighWaterMark(writeBufferHighWaterMark);
        return this;
    }

    @Override
    @Deprecated
    public IocpSocketChannelConfig setWriteBufferLowWaterMark(int writeBufferLowWaterMark) {
        super.setWriteBufferLowWaterMark(writeBufferLowWaterMark);
        return this;
    }
}
