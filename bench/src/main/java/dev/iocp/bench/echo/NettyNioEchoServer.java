package dev.iocp.bench.echo;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;

/**
 * The same Netty echo handler ({@link NettyEchoServer}) on Netty's NIO transport: what every Netty server runs on
 * Windows today (a readiness selector; WEPoll since JDK 17). Runs everywhere.
 */
public final class NettyNioEchoServer extends NettyEchoServer {
    public static final String NAME = "netty-nio";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    IoHandlerFactory ioHandlerFactory() {
        return NioIoHandler.newFactory();
    }

    @Override
    Class<? extends ServerChannel> serverChannelClass() {
        return NioServerSocketChannel.class;
    }
}
