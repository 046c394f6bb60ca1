package dev.iocp.bench.echo;

import dev.iocp.netty.IocpChannelOption;
import dev.iocp.netty.IocpIoHandler;
import dev.iocp.netty.IocpServerSocketChannel;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;

/**
 * The same Netty echo handler ({@link NettyEchoServer}) on iocp-netty's channels: the platform's default iocp backend
 * (io_uring on Linux, a completion port on Windows). Runs wherever iocp does. {@code netty-iocp} has the channels'
 * default readiness receives; {@code netty-iocp-buffered} keeps a buffered receive in flight instead
 * ({@link IocpChannelOption#READINESS_RECEIVES} false).
 */
public final class NettyIocpEchoServer extends NettyEchoServer {
    public static final String NAME = "netty-iocp";
    public static final String BUFFERED_NAME = "netty-iocp-buffered";

    private final boolean readinessReceives;

    public NettyIocpEchoServer() {
        this(true);
    }

    private NettyIocpEchoServer(boolean readinessReceives) {
        this.readinessReceives = readinessReceives;
    }

    static NettyIocpEchoServer buffered() {
        return new NettyIocpEchoServer(false);
    }

    @Override
    public String name() {
        return readinessReceives ? NAME : BUFFERED_NAME;
    }

    @Override
    void configure(ServerBootstrap bootstrap) {
        bootstrap.childOption(IocpChannelOption.READINESS_RECEIVES, readinessReceives);
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
