package dev.iocp.bench.echo;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;

/**
 * Netty 4.2's native epoll transport (netty-transport-native-epoll, linux-x86_64, edge-triggered epoll via JNI) as a
 * benchmark echo server; see {@link NettyEchoServer} for what it does. Linux only.
 */
public final class NettyEpollEchoServer extends NettyEchoServer {
    public static final String NAME = "netty-epoll";

    /** Null when usable here, else why not (not Linux, native library not loadable, ...). */
    static String unavailabilityReason() {
        return NettyAvailability.check(() -> {
            Epoll.ensureAvailability();
            return null;
        });
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    IoHandlerFactory ioHandlerFactory() {
        return EpollIoHandler.newFactory();
    }

    @Override
    Class<? extends ServerChannel> serverChannelClass() {
        return EpollServerSocketChannel.class;
    }
}
