package dev.iocp.http.server;

import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.http.HttpServerBehaviourTest;
import dev.iocp.http.HttpServerConfig;
import dev.iocp.http.RunningHttpServer;

import dev.iocp.transport.Protocol;
import dev.iocp.transport.Transport;
import dev.iocp.transport.testing.CheckedProtocol;
import dev.iocp.transport.testing.ProtocolContract;

import java.nio.ByteBuffer;
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
        // The transport's Protocol contract, checked on every callback; a connection is listed once it is made.
        return NativeHttpServer.start(group, loopback(0), config,
                connection -> new CheckedProtocol(new Listed(connection, connections)));
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

    /** An HttpConnection that joins {@code list} when it is made (its transport known), and is otherwise itself. */
    private record Listed(HttpConnection connection, List<HttpConnection> list) implements Protocol {
        @Override
        public void connectionMade(Transport transport) {
            connection.connectionMade(transport);
            list.add(connection);
        }

        @Override
        public void dataReceived(ByteBuffer data) {
            connection.dataReceived(data);
        }

        @Override
        public boolean eofReceived() {
            return connection.eofReceived();
        }

        @Override
        public void pauseWriting() {
            connection.pauseWriting();
        }

        @Override
        public void resumeWriting() {
            connection.resumeWriting();
        }

        @Override
        public void connectionLost(Throwable cause) {
            connection.connectionLost(cause);
        }
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
