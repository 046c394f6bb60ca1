/**
 * A Netty 4.2 transport over iocp's backends: {@link dev.iocp.netty.IocpIoHandler} for a
 * {@code MultiThreadIoEventLoopGroup}, and the channels {@link dev.iocp.netty.IocpSocketChannel},
 * {@link dev.iocp.netty.IocpServerSocketChannel} and {@link dev.iocp.netty.IocpDatagramChannel}.
 */
module dev.iocp.netty {
    // The channels are Netty channels that read and write ByteBufs, and report the SPI's IoException.
    requires transitive io.netty.transport;
    requires transitive io.netty.buffer;
    requires transitive dev.iocp.core;

    exports dev.iocp.netty;
}
