package dev.iocp.transport;

import dev.iocp.core.backend.sim.SimPeer;
import dev.iocp.core.backend.sim.SimulatedBackend;
import dev.iocp.core.backend.sim.SimulatedNetwork;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.core.testing.LoopTesting;
import io.netty.util.concurrent.Promise;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kernel calls per message for a strict ping-pong (one 16 B message in flight), counted by the simulated backend
 * ({@link SimulatedBackend#kernelCalls()}: what the Win32 backend would call — submits, receiveNow, port reads), in
 * both receive modes, with skip-on-success mode off and on. Deterministic: no timing is measured. Two shapes:
 * <ul>
 *   <li><b>one loop, both ends</b> — client and server transports on one loop, as the JMH benchmark runs them; a
 *       message costs its send, the receiver's re-arm and one port read, which also dequeues the sender's send
 *       packet, so the mode has nothing to save here;</li>
 *   <li><b>a server and a remote client</b> — the server on its loop, the client a test-driven peer that sends the
 *       next message only once the server's loop has gone back to waiting (what a real client across a network
 *       does): the server's send packet then needs a port read of its own, which the mode saves.</li>
 * </ul>
 * Prints a {@code kernel-calls:} line per cell (bench/RESULTS.md records them) and asserts what the mode must
 * give: no more calls where it has nothing to save, exactly one port read fewer per message where it has.
 */
class KernelCallsPerMessageTest {
    private static final int MESSAGES = 2000;
    private static final int WARM_UP = 50;
    private static final int SIZE = 16;
    private static final List<String> table = new ArrayList<>();
    /** The receive modes as Win32 runs them (PROVIDED receives there as READINESS does: Win32 has no provided buffers). */
    private static final ReceiveMode[] WIN32_MODES = {ReceiveMode.READINESS, ReceiveMode.BUFFERED};

    /** Kernel calls and port reads per message, from counts over {@link #MESSAGES} messages. */
    record PerMessage(double calls, double portReads) {
        @Override
        public String toString() {
            return String.format("%.3f kernel calls (%.3f port reads) per message", calls, portReads);
        }
    }

    private static TransportConfig config(ReceiveMode mode) {
        return TransportConfig.DEFAULT.withReceiveMode(mode);
    }

    private static void record(String shape, ReceiveMode mode, boolean skip, PerMessage m) {
        String line = String.format("kernel-calls: %-28s %-9s skip=%-5s %s", shape, mode, skip, m);
        System.out.println(line);
        table.add(line);
    }

    @AfterAll
    static void printTable() {
        System.out.println("kernel-calls: strict ping-pong, 16 B, " + MESSAGES + " messages per cell");
        table.forEach(System.out::println);
    }

    // ------------------------------------------------------------------------------------ one loop, both ends

    static PerMessage oneLoop(ReceiveMode mode, boolean skip) throws Exception {
        SimulatedNetwork net = new SimulatedNetwork();
        IocpEventLoopGroup group = new IocpEventLoopGroup(1, () -> new SimulatedBackend(net, 64, skip));
        try {
            IocpEventLoop loop = group.next();
            SimulatedBackend backend = (SimulatedBackend) LoopTesting.onLoop(loop, loop::backend);
            Server server = Transports.listen(group, new InetSocketAddress(LoopTesting.LOOPBACK_V4, 0), Echo::new,
                    config(mode), Transports.DEFAULT_PENDING_ACCEPTS).get(10, TimeUnit.SECONDS);
            Ping ping = new Ping();
            Transport client = Transports.connect(loop, server.localAddress(), ping, config(mode))
                    .get(10, TimeUnit.SECONDS);
            ping.run(loop, WARM_UP);
            long calls = backend.kernelCalls();
            long reads = backend.portReads();
            // One round trip is two messages: the ping and its echo.
            ping.run(loop, MESSAGES / 2);
            PerMessage m = new PerMessage((backend.kernelCalls() - calls) / (double) MESSAGES,
                    (backend.portReads() - reads) / (double) MESSAGES);
            client.close();
            server.close().get(10, TimeUnit.SECONDS);
            LoopTesting.assertOpsDrained(loop);
            return m;
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(20_000);
        }
    }

    /** Echoes what it receives. */
    static final class Echo implements Protocol {
        private Transport t;

        @Override
        public void connectionMade(Transport transport) {
            t = transport;
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

    /** Sends one message, waits for its echo, repeats. */
    static final class Ping implements Protocol {
        private final byte[] message = new byte[SIZE];
        private Transport t;
        private int remaining;
        private int pending;
        private Promise<Void> done;

        @Override
        public void connectionMade(Transport transport) {
            t = transport;
        }

        void run(IocpEventLoop loop, int roundTrips) throws Exception {
            Promise<Void> p = loop.newPromise();
            loop.execute(() -> {
                remaining = roundTrips;
                done = p;
                send();
            });
            p.get(60, TimeUnit.SECONDS);
        }

        private void send() {
            pending = SIZE;
            t.write(message, 0, SIZE);
        }

        @Override
        public void dataReceived(ByteBuffer data) {
            pending -= data.remaining();
            if (pending > 0) {
                return;
            }
            if (--remaining > 0) {
                send();
            } else {
                done.setSuccess(null);
            }
        }

        @Override
        public boolean eofReceived() {
            return false;
        }

        @Override
        public void connectionLost(Throwable cause) {}
    }

    // ------------------------------------------------------------------------ a server and a remote client

    /** The server's kernel calls per message it receives and echoes. */
    static PerMessage remoteClient(ReceiveMode mode, boolean skip) throws Exception {
        SimulatedNetwork net = new SimulatedNetwork();
        IocpEventLoopGroup group = new IocpEventLoopGroup(1, () -> new SimulatedBackend(net, 64, skip));
        try {
            IocpEventLoop loop = group.next();
            SimulatedBackend backend = (SimulatedBackend) LoopTesting.onLoop(loop, loop::backend);
            Server server = Transports.listen(group, new InetSocketAddress(LoopTesting.LOOPBACK_V4, 0), Echo::new,
                    config(mode), Transports.DEFAULT_PENDING_ACCEPTS).get(10, TimeUnit.SECONDS);
            SimPeer client = net.connectPeer(server.localAddress());
            byte[] message = new byte[SIZE];
            long calls = 0;
            long reads = 0;
            for (int i = 0; i < WARM_UP + MESSAGES; i++) {
                if (i == WARM_UP) {
                    calls = backend.kernelCalls();
                    reads = backend.portReads();
                }
                message[0] = (byte) i;
                long blocked = backend.pollsBlocked();
                client.write(message);
                assertArrayEquals(message, client.readExactly(SIZE, 10, TimeUnit.SECONDS));
                // Like a client across a network: the next message comes once the server waits again.
                backend.awaitPollBlocked(blocked, 10, TimeUnit.SECONDS);
            }
            PerMessage m = new PerMessage((backend.kernelCalls() - calls) / (double) MESSAGES,
                    (backend.portReads() - reads) / (double) MESSAGES);
            client.close();
            server.close().get(10, TimeUnit.SECONDS);
            return m;
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(20_000);
        }
    }

    // ------------------------------------------------------------------------------------------ the cells

    @Test
    void oneLoopBothEnds() throws Exception {
        for (ReceiveMode mode : WIN32_MODES) {
            PerMessage off = oneLoop(mode, false);
            PerMessage on = oneLoop(mode, true);
            record("one loop, both ends", mode, false, off);
            record("one loop, both ends", mode, true, on);
            assertTrue(on.calls() <= off.calls() + 0.01, () -> mode + ": the mode adds no calls: " + on + " vs " + off);
        }
    }

    @Test
    void aServerAndARemoteClient() throws Exception {
        for (ReceiveMode mode : WIN32_MODES) {
            PerMessage off = remoteClient(mode, false);
            PerMessage on = remoteClient(mode, true);
            record("server, remote client", mode, false, off);
            record("server, remote client", mode, true, on);
            // Its send packet no longer needs a port read of its own: one kernel call fewer per message.
            assertEquals(off.portReads() - 1, on.portReads(), 0.01, () -> mode + ": " + on + " vs " + off);
            assertEquals(off.calls() - 1, on.calls(), 0.01, () -> mode + ": " + on + " vs " + off);
        }
    }
}
