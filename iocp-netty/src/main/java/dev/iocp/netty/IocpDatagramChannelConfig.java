package dev.iocp.netty;

import dev.iocp.core.backend.SocketOpt;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.DatagramChannelConfig;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.Map;

/**
 * The options of an {@link IocpDatagramChannel}: SO_BROADCAST, SO_RCVBUF, SO_SNDBUF, SO_REUSEADDR and
 * DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION. Values set before the socket exists (it is opened at bind, connect or the
 * first write, see {@link AbstractIocpChannel}) are kept here and applied when it opens; afterwards a set goes to
 * the socket at once and a get reads the socket. The receive buffer of each datagram comes from
 * {@code RCVBUF_ALLOCATOR}: 2048 bytes by default, as Netty's datagram channels have it.
 *
 * <p><b>Refused by name.</b> IP_MULTICAST_IF, IP_MULTICAST_ADDR, IP_MULTICAST_TTL, IP_MULTICAST_LOOP_DISABLED
 * (multicast is not supported) and IP_TOS: their setters throw {@link UnsupportedOperationException} naming the
 * option (a bootstrap logs it as a failed option), their getters report "not set" ({@code 0}, {@code null},
 * {@code false}, {@code -1}).
 */
public final class IocpDatagramChannelConfig extends DefaultChannelConfig implements DatagramChannelConfig {
    private final IocpDatagramChannel channel;
    private volatile boolean activeOnRegistration;
    // Kept until the socket opens; -1 = not set (the system default applies).
    private volatile int broadcast = -1;
    private volatile int receiveBufferSize = -1;
    private volatile int sendBufferSize = -1;
    private volatile int reuseAddress = -1;

    IocpDatagramChannelConfig(IocpDatagramChannel channel) {
        super(channel, new FixedRecvByteBufAllocator(2048));
        this.channel = channel;
    }

    @Override
    public Map<ChannelOption<?>, Object> getOptions() {
        return getOptions(super.getOptions(), ChannelOption.SO_BROADCAST, ChannelOption.SO_RCVBUF,
                ChannelOption.SO_SNDBUF, ChannelOption.SO_REUSEADDR,
                ChannelOption.DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getOption(ChannelOption<T> option) {
        if (option == ChannelOption.SO_BROADCAST) {
            return (T) Boolean.valueOf(isBroadcast());
        }
        if (option == ChannelOption.SO_RCVBUF) {
            return (T) Integer.valueOf(getReceiveBufferSize());
        }
        if (option == ChannelOption.SO_SNDBUF) {
            return (T) Integer.valueOf(getSendBufferSize());
        }
        if (option == ChannelOption.SO_REUSEADDR) {
            return (T) Boolean.valueOf(isReuseAddress());
        }
        if (option == ChannelOption.DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION) {
            return (T) Boolean.valueOf(activeOnRegistration);
        }
        return super.getOption(option);
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
        validate(option, value);
        if (option == ChannelOption.SO_BROADCAST) {
            setBroadcast((Boolean) value);
        } else if (option == ChannelOption.SO_RCVBUF) {
            setReceiveBufferSize((Integer) value);
        } else if (option == ChannelOption.SO_SNDBUF) {
            setSendBufferSize((Integer) value);
        } else if (option == ChannelOption.SO_REUSEADDR) {
            setReuseAddress((Boolean) value);
        } else if (option == ChannelOption.DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION) {
            setActiveOnRegistration((Boolean) value);
        } else if (option == ChannelOption.IP_MULTICAST_IF || option == ChannelOption.IP_MULTICAST_ADDR
                || option == ChannelOption.IP_MULTICAST_TTL || option == ChannelOption.IP_MULTICAST_LOOP_DISABLED
                || option == ChannelOption.IP_TOS) {
            throw refused(option.name());
        } else {
            return super.setOption(option, value);
        }
        return true;
    }

    private static UnsupportedOperationException refused(String option) {
        return new UnsupportedOperationException(option + " is not supported by iocp's DatagramChannel"
                + (option.startsWith("IP_MULTICAST") ? " (no multicast)" : ""));
    }

    /** Whether the channel is active once registered, before any bind (as {@code DnsNameResolver} uses it). */
    boolean isActiveOnRegistration() {
        return activeOnRegistration;
    }

    private void setActiveOnRegistration(boolean active) {
        if (channel.isRegistered()) {
            throw new IllegalStateException(
                    "DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION can only be set before registration");
        }
        this.activeOnRegistration = active;
    }

    /** The socket was opened: apply what was kept. */
    void applyTo(long socket) throws IOException {
        applyIfSet(socket, SocketOpt.SO_BROADCAST, broadcast);
        applyIfSet(socket, SocketOpt.SO_RCVBUF, receiveBufferSize);
        applyIfSet(socket, SocketOpt.SO_SNDBUF, sendBufferSize);
        applyIfSet(socket, SocketOpt.SO_REUSEADDR, reuseAddress);
    }

    private void applyIfSet(long socket, SocketOpt option, int value) throws IOException {
        if (value >= 0) {
            channel.backend().setOption(socket, option, value);
        }
    }

    @Override
    public boolean isBroadcast() {
        return channel.socketOption(SocketOpt.SO_BROADCAST, Math.max(broadcast, 0)) != 0;
    }

    @Override
    public IocpDatagramChannelConfig setBroadcast(boolean on) {
        broadcast = on ? 1 : 0;
        channel.setSocketOption(SocketOpt.SO_BROADCAST, broadcast);
        return this;
    }

    @Override
    public int getReceiveBufferSize() {
        return channel.socketOption(SocketOpt.SO_RCVBUF, receiveBufferSize);
    }

    @Override
    public IocpDatagramChannelConfig setReceiveBufferSize(int size) {
        receiveBufferSize = size;
        channel.setSocketOption(SocketOpt.SO_RCVBUF, size);
        return this;
    }

    @Override
    public int getSendBufferSize() {
        return channel.socketOption(SocketOpt.SO_SNDBUF, sendBufferSize);
    }

    @Override
    public IocpDatagramChannelConfig setSendBufferSize(int size) {
        sendBufferSize = size;
        channel.setSocketOption(SocketOpt.SO_SNDBUF, size);
        return this;
    }

    @Override
    public boolean isReuseAddress() {
        return channel.socketOption(SocketOpt.SO_REUSEADDR, Math.max(reuseAddress, 0)) != 0;
    }

    @Override
    public IocpDatagramChannelConfig setReuseAddress(boolean on) {
        reuseAddress = on ? 1 : 0;
        channel.setSocketOption(SocketOpt.SO_REUSEADDR, reuseAddress);
        return this;
    }

    // ---- refused by name (see the class comment) ----

    @Override
    public int getTrafficClass() {
        return 0;
    }

    @Override
    public IocpDatagramChannelConfig setTrafficClass(int trafficClass) {
        throw refused(ChannelOption.IP_TOS.name());
    }

    @Override
    public boolean isLoopbackModeDisabled() {
        return false;
    }

    @Override
    public IocpDatagramChannelConfig setLoopbackModeDisabled(boolean loopbackModeDisabled) {
        throw refused(ChannelOption.IP_MULTICAST_LOOP_DISABLED.name());
    }

    @Override
    public int getTimeToLive() {
        return -1;
    }

    @Override
    public IocpDatagramChannelConfig setTimeToLive(int ttl) {
        throw refused(ChannelOption.IP_MULTICAST_TTL.name());
    }

    @Override
    public InetAddress getInterface() {
        return null;
    }

    @Override
    public IocpDatagramChannelConfig setInterface(InetAddress interfaceAddress) {
        throw refused(ChannelOption.IP_MULTICAST_ADDR.name());
    }

    @Override
    public NetworkInterface getNetworkInterface() {
        return null;
    }

    @Override
    public IocpDatagramChannelConfig setNetworkInterface(NetworkInterface networkInterface) {
        throw refused(ChannelOption.IP_MULTICAST_IF.name());
    }

    // ---- the covariant returns DatagramChannelConfig asks for ----

    @Override
    @Deprecated
    public IocpDatagramChannelConfig setMaxMessagesPerRead(int maxMessagesPerRead) {
        super.setMaxMessagesPerRead(maxMessagesPerRead);
        return this;
    }

    @Override
    public IocpDatagramChannelConfig setWriteSpinCount(int writeSpinCount) {
        super.setWriteSpinCount(writeSpinCount);
        return this;
    }

    @Override
    public IocpDatagramChannelConfig setConnectTimeoutMillis(int connectTimeoutMillis) {
        super.setConnectTimeoutMillis(connectTimeoutMillis);
        return this;
    }

    @Override
    public IocpDatagramChannelConfig setAllocator(ByteBufAllocator allocator) {
        super.setAllocator(allocator);
        return this;
    }

    @Override
    public IocpDatagramChannelConfig setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
        super.setRecvByteBufAllocator(allocator);
        return this;
    }

    @Override
    public IocpDatagramChannelConfig setAutoRead(boolean autoRead) {
        super.setAutoRead(autoRead);
        return this;
    }

    @Override
    public IocpDatagramChannelConfig setAutoClose(boolean autoClose) {
        super.setAutoClose(autoClose);
        return this;
    }

    @Override
    public IocpDatagramChannelConfig setMessageSizeEstimator(MessageSizeEstimator estimator) {
        super.setMessageSizeEstimator(estimator);
        return this;
    }

    @Override
    public IocpDatagramChannelConfig setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
        super.setWriteBufferWaterMark(writeBufferWaterMark);
        return this;
    }
}
