package dev.iocp.http.server;

import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.http.HttpServerBehaviourTest;
import dev.iocp.http.HttpServerConfig;
import dev.iocp.http.RunningHttpServer;

import java.util.concurrent.TimeUnit;

/** {@link HttpServerBehaviourTest} against the native server (a Protocol on iocp's Transport). */
class NativeHttpServerTest extends HttpServerBehaviourTest {
    private IocpEventLoopGroup group;

    @Override
    protected RunningHttpServer start(HttpServerConfig config) throws Exception {
        group = new IocpEventLoopGroup(2);
        return NativeHttpServer.start(group, loopback(0), config);
    }

    @Override
    protected void stopLoops() throws Exception {
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS);
    }
}
