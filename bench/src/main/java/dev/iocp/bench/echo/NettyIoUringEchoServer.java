package dev.iocp.bench.echo;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;

/**
 * Netty 4.2's native io_uring transport (netty-transport-native-io_uring, linux-x86_64) as a benchmark echo server;
 * see {@link NettyEchoServer} for what it does. Linux only; needs io_uring enabled in the kernel (the same
 * condition as iocp's own io_uring backend).
 */
public final class NettyIoUringEchoServer extends NettyEchoServer {
    public static final String NAME = "netty-io_uring";

    /** Null when usable here, else why not. */
    static String unavailabilityReason() {
        return NettyAvailability.check(() -> {
            IoUring.ensureAvailability();
            return null;
        });
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    IoHandlerFactory ioHandlerFactory() {
        return IoUringIoHandler.newFactory();
    }

    @Override
    Class<? extends ServerChannel> serverChannelClass() {
        return IoUringServerSocketChannel.class;
    }
}
