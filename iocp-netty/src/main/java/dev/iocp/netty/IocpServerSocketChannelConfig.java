package dev.iocp.netty;

import dev.iocp.core.backend.SocketOpt;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ServerChannelRecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.ServerSocketChannelConfig;

import java.io.IOException;
import java.util.Map;

/**
 * The options of an {@link IocpServerSocketChannel}: {@code SO_BACKLOG}, {@code SO_REUSEADDR}, {@code SO_RCVBUF}
 * (inherited by accepted sockets) and {@link IocpChannelOption#PENDING_ACCEPTS}. They are kept until the listening
 * socket is opened at bind, then applied before bind (SO_REUSEADDR must precede it).
 */
public final class IocpServerSocketChannelConfig extends DefaultChannelConfig implements ServerSocketChannelConfig {
    static final int DEFAULT_PENDING_ACCEPTS = 8;
    /**
     * The listen backlog unless SO_BACKLOG says otherwise. Not Netty's NetUtil.SOMAXCONN: NetUtil's initialisation
     * walks the network interfaces (which killed a Windows JVM under Wine 8: ARCHITECTURE.md, Wine fact 12), and on
     * Windows it is 200 while the system takes SOMAXCONN to mean "a reasonable maximum". 4096 asks for that.
     */
    static final int DEFAULT_BACKLOG = 4096;

    private final IocpServerSocketChannel channel;
    private volatile int backlog = DEFAULT_BACKLOG;
    private volatile int pendingAccepts = DEFAULT_PENDING_ACCEPTS;
    private volatile int reuseAddress = -1;
    private volatile int receiveBufferSize = -1;

    IocpServerSocketChannelConfig(IocpServerSocketChannel channel) {
        super(channel, new ServerChannelRecvByteBufAllocator());
        this.channel = channel;
    }

    @Override
    public Map<ChannelOption<?>, Object> getOptions() {
        return getOptions(super.getOptions(), ChannelOption.SO_BACKLOG, ChannelOption.SO_REUSEADDR,
                ChannelOption.SO_RCVBUF, IocpChannelOption.PENDING_ACCEPTS);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getOption(ChannelOption<T> option) {
        if (option == ChannelOption.SO_BACKLOG) {
            return (T) Integer.valueOf(getBacklog());
        }
        if (option == ChannelOption.SO_REUSEADDR) {
            return (T) Boolean.valueOf(isReuseAddress());
        }
        if (option == ChannelOption.SO_RCVBUF) {
            return (T) Integer.valueOf(getReceiveBufferSize());
        }
        if (option == IocpChannelOption.PENDING_ACCEPTS) {
            return (T) Integer.valueOf(getPendingAccepts());
        }
        return super.getOption(option);
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
        validate(option, value);
        if (option == ChannelOption.SO_BACKLOG) {
            setBacklog((Integer) value);
        } else if (option == ChannelOption.SO_REUSEADDR) {
            setReuseAddress((Boolean) value);
        } else if (option == ChannelOption.SO_RCVBUF) {
            setReceiveBufferSize((Integer) value);
        } else if (option == IocpChannelOption.PENDING_ACCEPTS) {
            setPendingAccepts((Integer) value);
        } else {
            return super.setOption(option, value);
        }
        return true;
    }

    void applyTo(long socket) throws IOException {
        if (reuseAddress >= 0) {
            channel.backend().setOption(socket, SocketOpt.SO_REUSEADDR, reuseAddress);
        }
        if (receiveBufferSize >= 0) {
            channel.backend().setOption(socket, SocketOpt.SO_RCVBUF, receiveBufferSize);
        }
    }

    @Override
    public int getBacklog() {
        return backlog;
    }

    @Override
    public IocpServerSocketChannelConfig setBacklog(int backlog) {
        if (backlog < 0) {
            throw new IllegalArgumentException("backlog: " + backlog + " (expected: >= 0)");
        }
        this.backlog = backlog;
        return this;
    }

    /** {@return accepts kept in flight ({@link IocpChannelOption#PENDING_ACCEPTS})} */
    public int getPendingAccepts() {
        return pendingAccepts;
    }

    /**
     * Sets {@link IocpChannelOption#PENDING_ACCEPTS}; takes effect at the next read (before bind: at once).
     *
     * @param pendingAccepts accepts kept in flight, 1 to 1024
     * @return this config
     * @throws IllegalArgumentException if out of range
     */
    public IocpServerSocketChannelConfig setPendingAccepts(int pendingAccepts) {
        if (pendingAccepts < 1 || pendingAccepts > 1024) {
            throw new IllegalArgumentException("pendingAccepts: " + pendingAccepts + " (expected: 1..1024)");
        }
        this.pendingAccepts = pendingAccepts;
        return this;
    }

    @Override
    public boolean isReuseAddress() {
        return get(SocketOpt.SO_REUSEADDR, Math.max(reuseAddress, 0)) != 0;
    }

    @Override
    public IocpServerSocketChannelConfig setReuseAddress(boolean on) {
        reuseAddress = on ? 1 : 0;
        set(SocketOpt.SO_REUSEADDR, reuseAddress);
        return this;
    }

    @Override
    public int getReceiveBufferSize() {
        return get(SocketOpt.SO_RCVBUF, receiveBufferSize);
    }

    @Override
    public IocpServerSocketChannelConfig setReceiveBufferSize(int size) {
        receiveBufferSize = size;
        set(SocketOpt.SO_RCVBUF, size);
        return this;
    }

    private int get(SocketOpt option, int kept) {
        return channel.socketOption(option, kept);
    }

    private void set(SocketOpt option, int value) {
        channel.setSocketOption(option, value);
    }

    @Override
    public IocpServerSocketChannelConfig setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
        return this;
    }

    /** Auto-read off cancels no pending accept: a connection accepted meanwhile is held for the next read(). */
    @Override
    protected void autoReadCleared() {
        channel.readingStopped();
    }

    @Override
    public IocpServerSocketChannelConfig setConnectTimeoutMillis(int connectTimeoutMillis) {
        super.setConnectTimeoutMillis(connectTimeoutMillis);
        return this;
    }

    @Override
    @Deprecated
    public IocpServerSocketChannelConfig setMaxMessagesPerRead(int maxMessagesPerRead) {
        super.setMaxMessagesPerRead(maxMessagesPerRead);
        return this;
    }

    @Override
    public IocpServerSocketChannelConfig setWriteSpinCount(int writeSpinCount) {
        super.setWriteSpinCount(writeSpinCount);
        return this;
    }

    @Override
    public IocpServerSocketChannelConfig setAllocator(ByteBufAllocator allocator) {
        super.setAllocator(allocator);
        return this;
    }

    @Override
    public IocpServerSocketChannelConfig setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
        super.setRecvByteBufAllocator(allocator);
        return this;
    }

    @Override
    public IocpServerSocketChannelConfig setAutoRead(boolean autoRead) {
        super.setAutoRead(autoRead);
        return this;
    }

    @Override
    public IocpServerSocketChannelConfig setMessageSizeEstimator(MessageSizeEstimator estimator) {
        super.setMessageSizeEstimator(estimator);
        return this;
    }

    @Override
    @Deprecated
    public IocpServerSocketChannelConfig setWriteBufferHighWaterMark(int writeBufferHighWaterMark) {
        super.setWriteBufferHighWaterMark(writeBufferHighWaterMark);
        return this;
    }

    @Override
    @Deprecated
    public IocpServerSocketChannelConfig setWriteBufferLowWaterMark(int writeBufferLowWaterMark) {
        super.setWriteBufferLowWaterMark(writeBufferLowWaterMark);
        return this;
    }

    @Override
    public IocpServerSocketChannelConfig setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
        super.setWriteBufferWaterMark(writeBufferWaterMark);
        return this;
    }
}
