package dev.iocp.http.netty;

import dev.iocp.http.HttpServerBehaviourTest;
import dev.iocp.http.HttpServerConfig;
import dev.iocp.http.RunningHttpServer;
import io.netty.channel.EventLoopGroup;

import java.util.concurrent.TimeUnit;

/** {@link HttpServerBehaviourTest} against the Netty server (Netty's HTTP codec on iocp-netty's channels). */
class NettyHttpServerTest extends HttpServerBehaviourTest {
    private EventLoopGroup group;

    @Override
    protected RunningHttpServer start(HttpServerConfig config) throws Exception {
        group = NettyHttpServer.newIocpGroup(2);
        return NettyHttpServer.start(group, loopback(0), config);
    }

    @Override
    protected void stopLoops() throws Exception {
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS);
    }
}
