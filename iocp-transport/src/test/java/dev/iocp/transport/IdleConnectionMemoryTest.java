package dev.iocp.transport;

import dev.iocp.core.backend.sim.SimPeer;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.core.testing.LoopTesting;
import dev.iocp.transport.testing.SimulatedEnv;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * What an idle connection keeps in memory: after it has echoed a message and its queue has drained, no write chunk
 * and no send op (both went back to the loop's pools), and, in READINESS mode, no receive buffer either (its
 * readiness receive pins none; in BUFFERED mode the receive in flight keeps exactly one). Before this, every
 * connection kept a 64 KiB receive buffer and a 16 KiB chunk for good. Then it still echoes: the pools hand back
 * what it needs.
 */
class IdleConnectionMemoryTest {
    private static final long T = 20_000;
    private SimulatedEnv env;
    private IocpEventLoopGroup group;
    private Server server;
    private final BlockingQueue<Transport> accepted = new ArrayBlockingQueue<>(4);

    @BeforeEach
    void setUp() {
        env = new SimulatedEnv();
        group = env.newGroup(1);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (server != null) {
            server.close().await(T);
        }
        LoopTesting.assertOpsDrained((IocpEventLoop) group.next());
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(T);
    }

    /** An echo that also hands its transport to the test. */
    private final class Echo implements Protocol {
        Transport t;

        @Override
        public void connectionMade(Transport transport) {
            t = transport;
            accepted.add(transport);
        }

        @Override
        public void dataReceived(ByteBuffer data) {
            t.write(data);
        }

        @Override
        public boolean eofReceived() {
            return false;
        }

        @Override
        public void connectionLost(Throwable cause) {}
    }

    private int[] kept(Transport t) {
        IocpConnection c = (IocpConnection) t;
        return LoopTesting.onLoop(c.loop(), c::keptMemory);
    }

    @ParameterizedTest
    @EnumSource(ReceiveMode.class)
    void anIdleConnectionKeepsNoWriteChunkNoSendOpAndInReadinessModeNoReceiveBuffer(ReceiveMode mode) throws Exception {
        server = Transports.listen(group, env.bindAddress(), Echo::new,
                TransportConfig.DEFAULT.withReceiveMode(mode), 1).get(T, TimeUnit.MILLISECONDS);
        SimPeer peer = env.network().connectPeer(server.localAddress());
        Transport t = accepted.poll(T, TimeUnit.MILLISECONDS);
        assertNotNull(t, "accepted");
        byte[] ping = "sixteen bytes ok".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int round = 0; round < 3; round++) { // the pools hand back what the next message needs
            peer.write(ping);
            assertArrayEquals(ping, peer.readExactly(ping.length, T, TimeUnit.MILLISECONDS));
            // The echo reached the peer; the send's packet (which drains the queue) may come a moment later.
            LoopTesting.await("the queue drained", () -> t.writeBufferSize() == 0 && kept(t)[1] == 0);
            int[] k = kept(t);
            assertEquals(mode == ReceiveMode.BUFFERED ? 1 : 0, k[0], "receive buffers kept");
            assertEquals(0, k[1], "send ops kept");
            assertEquals(0, k[2], "write chunks kept");
        }
        peer.close();
    }
}
