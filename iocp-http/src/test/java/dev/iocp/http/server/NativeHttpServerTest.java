package dev.iocp.http.server;

import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.http.HttpServerBehaviourTest;
import dev.iocp.http.HttpServerConfig;
import dev.iocp.http.RunningHttpServer;

import dev.iocp.transport.testing.CheckedProtocol;
import dev.iocp.transport.testing.ProtocolContract;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link HttpServerBehaviourTest} against the native server (a Protocol on iocp's Transport). */
class NativeHttpServerTest extends HttpServerBehaviourTest {
    private final List<IocpEventLoopGroup> groups = new CopyOnWriteArrayList<>();
    private final List<HttpConnection> connections = new CopyOnWriteArrayList<>();

    @Override
    protected RunningHttpServer start(HttpServerConfig config) throws Exception {
        IocpEventLoopGroup group = new IocpEventLoopGroup(2);
        groups.add(group);
        return NativeHttpServer.start(group, loopback(0), config, connection -> {
            connections.add(connection);
            return new CheckedProtocol(connection); // the transport's Protocol contract, checked on every callback
        });
    }

    @Override
    protected void stopLoops() throws Exception {
        for (IocpEventLoopGroup group : groups) {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS);
        }
        List<String> violations = ProtocolContract.violations(); // every connection is lost by now: all checked
        ProtocolContract.clearViolations();
        assertEquals(List.of(), violations, "Protocol contract violations");
    }

    @Override
    protected long serverQueuedBytes() throws Exception {
        long sum = 0;
        for (HttpConnection c : connections) {
            sum += c.transport().loop().submit(() -> c.transport().writeBufferSize()).get(10, TimeUnit.SECONDS);
        }
        return sum;
    }

    @Override
    protected boolean serverWaitsForPeer() throws Exception {
        for (HttpConnection c : connections) {
            if (c.transport().loop().submit(() -> !c.writable() && !c.transport().isClosing()).get(10, TimeUnit.SECONDS)) {
                return true;
            }
        }
        return false;
    }
}
