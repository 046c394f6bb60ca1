package dev.iocp.transport;

import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoException;
import dev.iocp.core.backend.sim.SimPeer;
import dev.iocp.core.backend.sim.SimulatedBackend;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.core.testing.FaultInjectingBackend;
import dev.iocp.core.testing.FaultInjectingBackend.Call;
import dev.iocp.core.testing.FaultInjectingBackend.Faults;
import dev.iocp.core.testing.LoopTesting;
import dev.iocp.core.backend.sim.SimulatedNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * READINESS mode's own failure path, through {@link FaultInjectingBackend}: the non-blocking receive after a
 * readiness packet fails. The connection ends with that error, typed (a reset is a ConnectionResetException),
 * nothing is delivered that was not received, and every op drains.
 */
class ReadinessFailureTest {
    private static final long T = 20_000;
    private final SimulatedNetwork net = new SimulatedNetwork();
    private final Faults faults = new Faults(14);
    private final IocpEventLoopGroup group =
            new IocpEventLoopGroup(1, FaultInjectingBackend.wrap(() -> new SimulatedBackend(net), faults));
    private Server server;

    @AfterEach
    void tearDown() throws Exception {
        if (server != null) {
            server.close().await(T);
        }
        LoopTesting.assertOpsDrained((IocpEventLoop) group.next());
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(T);
    }

    private CompletableFuture<Throwable> serveOne(StringBuilder received) throws Exception {
        CompletableFuture<Throwable> lost = new CompletableFuture<>();
        server = Transports.listen(group, new java.net.InetSocketAddress(LoopTesting.LOOPBACK_V4, 0), () -> new Protocol() {
            @Override
            public void dataReceived(ByteBuffer data) {
                byte[] b = new byte[data.remaining()];
                data.get(b);
                received.append(new String(b, java.nio.charset.StandardCharsets.US_ASCII));
            }

            @Override
            public void connectionLost(Throwable cause) {
                lost.complete(cause);
            }
        }, TransportConfig.DEFAULT.withReceiveMode(ReceiveMode.READINESS), 1).get(T, TimeUnit.MILLISECONDS);
        return lost;
    }

    @Test
    void aResetOnTheReceiveAfterAReadinessPacketEndsTheConnectionWithAConnectionResetException() throws Exception {
        StringBuilder received = new StringBuilder();
        CompletableFuture<Throwable> lost = serveOne(received);
        SimPeer peer = net.connectPeer(server.localAddress());
        peer.write("first".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        LoopTesting.await("first delivered", () -> received.toString().equals("first"));
        faults.failOnce(Call.RECEIVE_NOW, ErrorCode.RESET);
        peer.write("second".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        Throwable cause = lost.get(T, TimeUnit.MILLISECONDS);
        assertInstanceOf(ConnectionResetException.class, cause);
        assertEquals("first", received.toString(), "nothing delivered that the failed receive did not take");
    }

    @Test
    void anyOtherErrorOnTheReceiveIsReportedWithItsCode() throws Exception {
        StringBuilder received = new StringBuilder();
        CompletableFuture<Throwable> lost = serveOne(received);
        SimPeer peer = net.connectPeer(server.localAddress());
        faults.failOnce(Call.RECEIVE_NOW, ErrorCode.NO_BUFFERS);
        peer.write("x".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        Throwable cause = lost.get(T, TimeUnit.MILLISECONDS);
        assertInstanceOf(IoException.class, cause);
        assertEquals(ErrorCode.NO_BUFFERS, ((IoException) cause).code());
        assertEquals("", received.toString());
    }
}
