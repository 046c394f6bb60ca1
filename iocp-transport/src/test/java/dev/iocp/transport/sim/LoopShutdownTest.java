package dev.iocp.transport.sim;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.sim.SimulatedBackend;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.transport.LoopShutdownException;
import dev.iocp.transport.Transport;
import dev.iocp.transport.Transports;
import dev.iocp.transport.testing.ProtocolContract;
import dev.iocp.transport.testing.RecordingProtocol;
import dev.iocp.transport.testing.SimulatedEnv;
import dev.iocp.transport.testing.TransportEnv;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A loop that shuts down with a connect in flight: the connect's packet is held in the port (the kernel has not
 * answered yet). The future must fail at once with a LoopShutdownException — not wait for the packet, not succeed
 * later with a connection that got connectionLost before connectionMade — and the loop must terminate as soon as
 * the packet comes, with the socket closed and the op returned.
 */
class LoopShutdownTest {
    private static final long T = 20_000;

    @Test
    void shutdownWithAConnectInFlightFailsItsFutureAtOnceAndHandsOutNoDeadConnection() throws Exception {
        ProtocolContract.clearViolations();
        SimulatedEnv env = new SimulatedEnv();
        IocpEventLoopGroup group = env.newGroup(1);
        IocpEventLoop loop = (IocpEventLoop) group.next();
        SimulatedBackend sim = (SimulatedBackend) loop.submit(loop::backend).get(T, TimeUnit.MILLISECONDS);
        try (TransportEnv.PeerServer ps = env.listenPeer()) {
            sim.holdPackets(true);
            RecordingProtocol protocol = new RecordingProtocol();
            Future<Transport> connecting = Transports.connect(loop, ps.address(), protocol);
            sim.awaitHeld(1, T, TimeUnit.MILLISECONDS); // the connect completed in the "kernel"; packet held
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS);
            assertTrue(connecting.await(T), "the connect future completes while its packet is still held");
            ExecutionException e = assertThrows(ExecutionException.class, connecting::get);
            assertInstanceOf(LoopShutdownException.class, e.getCause());
            assertEquals(List.of(), protocol.events(), "the protocol never heard of a connection");
            sim.holdPackets(false); // the packet comes: it only returns the op
            assertTrue(group.terminationFuture().await(T), "the loop terminates once the packet came");
            assertEquals(List.of(), ProtocolContract.violations());
        } finally {
            sim.holdPackets(false);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(T);
        }
    }
}
