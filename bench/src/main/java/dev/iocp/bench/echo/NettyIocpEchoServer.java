package dev.iocp.bench.echo;

import dev.iocp.netty.IocpIoHandler;
import dev.iocp.netty.IocpServerSocketChannel;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;

/**
 * The same Netty echo handler ({@link NettyEchoServer}) on iocp-netty's channels: the platform's default iocp backend
 * (io_uring on Linux, a completion port on Windows). Runs wherever iocp does.
 */
public final class NettyIocpEchoServer extends NettyEchoServer {
    public static final String NAME = "netty-iocp";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    IoHandlerFactory ioHandlerFactory() {
        return IocpIoHandler.newFactory();
    }

    @Override
    Class<? extends ServerChannel> serverChannelClass() {
        return IocpServerSocketChannel.class;
    }
}
