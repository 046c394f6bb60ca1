package dev.iocp.wintests;

import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpSlab;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.backend.win32.Win32Backend;
import dev.iocp.core.testing.LoopTesting;
import dev.iocp.core.testing.NativeWindowsOnly;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Behaviours of Windows' own TCP/IP stack that the Win32 backend must handle, and that Wine cannot show: Wine's
 * sockets are the Linux host's, which answers a SYN to a closed loopback port with RST and reports the refusal at
 * once, and which does not reserve an ephemeral port at a wildcard bind. So these run on windows-latest only.
 * (Dual-stack wildcard listeners, which Wine does show, are in the backend contract: every backend runs them.)
 */
@NativeWindowsOnly
class Win32NativeStackTest {
    private Win32Backend backend;
    private OpSlab slab;
    private final List<Long> sockets = new ArrayList<>();
    private final Map<Op, Integer> results = new HashMap<>();

    @BeforeEach
    void open() throws Exception {
        backend = new Win32Backend(64, false);
        slab = new OpSlab();
    }

    @AfterEach
    void close() {
        sockets.forEach(s -> backend.close(s, true));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (slab.inFlight() > 0 && System.nanoTime() < deadline) {
            pollOnce(50);
        }
        int left = slab.inFlight();
        if (left == 0) {
            slab.close();
        }
        backend.close();
        assertEquals(0, left, "ops in flight at the end");
    }

    private void pollOnce(long millis) {
        backend.poll(slab, (op, bytes, error) -> {
            op.markCompleted();
            results.put(op, error);
        }, TimeUnit.MILLISECONDS.toNanos(millis));
    }

    private int awaitResult(Op op) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!results.containsKey(op)) {
            if (System.nanoTime() > deadline) {
                fail("no packet for " + op);
            }
            pollOnce(100);
        }
        return results.remove(op);
    }

    private long newSocket() throws Exception {
        long s = backend.openTcpSocket(false);
        sockets.add(s);
        return s;
    }

    /** A loopback port nobody listens on: a listener's, closed. */
    private static InetSocketAddress closedLoopbackPort() throws IOException {
        try (ServerSocketChannel l = ServerSocketChannel.open()) {
            l.bind(new InetSocketAddress(LoopTesting.LOOPBACK_V4, 0));
            return (InetSocketAddress) l.getLocalAddress();
        }
    }

    /**
     * Windows retransmits the SYN after the RST of a closed loopback port, twice, before it reports the refusal
     * (about 2 s); the backend turns SYN retransmission off for loopback targets (SIO_TCP_INITIAL_RTO), so the
     * refusal comes at once. The behaviour is a duration, so the check compares two durations on the same machine
     * rather than one with a constant: the JDK's blocking connect to the same closed port (which does not set the
     * ioctl) is the control, and the backend's must take under half of it. If the control itself is fast, this
     * Windows does not retransmit and there is nothing to show: the test is skipped, saying so.
     */
    @Test
    void aRefusedLoopbackConnectIsReportedWithoutWaitingForSynRetransmissions() throws Exception {
        InetSocketAddress closed = closedLoopbackPort();

        long controlStart = System.nanoTime();
        try (SocketChannel c = SocketChannel.open()) {
            c.connect(closed);
            fail("the JDK's connect to a closed port succeeded: " + closed);
        } catch (ConnectException expected) {
            // refused
        }
        long controlMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - controlStart);
        Assumptions.assumeTrue(controlMillis >= 1000, () -> "this Windows reported the JDK's refused loopback"
                + " connect in " + controlMillis + " ms: no SYN retransmission to avoid");

        long s = newSocket();
        Op connect = slab.acquire().prepare(OpType.CONNECT, s, (op, bytes, error) -> {});
        long start = System.nanoTime();
        int submitted = backend.submitConnect(connect, closed);
        int error = submitted != 0 ? submitted : awaitResult(connect);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        connect.release();
        assertEquals(ErrorCode.REFUSED, IoError.code(error), () -> IoError.describe(error));
        System.out.printf("refused loopback connect: iocp %d ms, JDK (control) %d ms%n", millis, controlMillis);
        assertTrue(millis * 2 < controlMillis, () -> "iocp's refused loopback connect took " + millis
                + " ms, the JDK's " + controlMillis + " ms: the SYN was retransmitted");
    }

    /**
     * 20,000 outbound connections, kept open together, to 4 loopback listeners (5,000 each: one destination
     * can never have more connections than the ephemeral range has ports). Without SO_REUSE_UNICASTPORT each
     * wildcard bind before ConnectEx reserves its own ephemeral port, and the 16,385th bind fails with WSAENOBUFS
     * whatever the destinations (dotnet/runtime#48219); with it a port is shared by connections to different
     * listeners.
     */
    @Test
    void twentyThousandOutboundConnectionsStayOpenTogether() throws Exception {
        final int listeners = 4;
        final int connections = 20_000;
        final int inFlight = 256;
        List<ServerSocketChannel> servers = new ArrayList<>();
        ConcurrentLinkedQueue<SocketChannel> accepted = new ConcurrentLinkedQueue<>();
        List<Thread> acceptors = new ArrayList<>();
        List<InetSocketAddress> targets = new ArrayList<>();
        try {
            for (int i = 0; i < listeners; i++) {
                ServerSocketChannel server = ServerSocketChannel.open();
                server.bind(new InetSocketAddress(LoopTesting.LOOPBACK_V4, 0), 4096);
                servers.add(server);
                targets.add((InetSocketAddress) server.getLocalAddress());
                Thread t = new Thread(() -> {
                    try {
                        for (;;) {
                            accepted.add(server.accept());
                        }
                    } catch (IOException closedAtTheEnd) {
                        // the listener was closed
                    }
                }, "acceptor-" + i);
                t.setDaemon(true);
                t.start();
                acceptors.add(t);
            }

            Map<Op, Long> pending = new HashMap<>();
            int started = 0;
            int connected = 0;
            while (connected < connections) {
                while (started < connections && pending.size() < inFlight) {
                    long s = newSocket();
                    Op op = slab.acquire().prepare(OpType.CONNECT, s, (o, bytes, error) -> {});
                    int submitted = backend.submitConnect(op, targets.get(started % listeners));
                    int n = started;
                    assertEquals(0, submitted, () -> "connect " + n + ": " + IoError.describe(submitted));
                    pending.put(op, s);
                    started++;
                }
                pollOnce(1000);
                for (Map.Entry<Op, Integer> r : new ArrayList<>(results.entrySet())) {
                    Op op = r.getKey();
                    int error = r.getValue();
                    int n = connected;
                    assertEquals(0, error, () -> "connection " + n + ": " + IoError.describe(error));
                    backend.finishConnect(op);
                    pending.remove(op);
                    results.remove(op);
                    op.release();
                    connected++;
                }
            }
            assertEquals(connections, sockets.size());
            System.out.printf("%d outbound connections open together%n", connections);
        } finally {
            for (ServerSocketChannel server : servers) {
                server.close();
            }
            for (Thread t : acceptors) {
                t.join(TimeUnit.SECONDS.toMillis(10));
            }
            for (SocketChannel c : accepted) {
                c.close();
            }
        }
    }
}
