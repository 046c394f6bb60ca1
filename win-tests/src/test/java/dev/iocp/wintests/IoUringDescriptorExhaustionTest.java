package dev.iocp.wintests;

import dev.iocp.core.backend.Backends;
import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.uring.FdExhaustion;
import dev.iocp.core.backend.uring.IoUringBackend;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.core.testing.FaultInjectingBackend.Call;
import dev.iocp.core.testing.FaultInjectingBackend.Faults;
import dev.iocp.core.testing.FaultInjectingBackend;
import dev.iocp.core.testing.ThreadCpu;
import dev.iocp.transport.Server;
import dev.iocp.transport.TransportConfig;
import dev.iocp.transport.Transports;
import dev.iocp.transport.testing.AcceptFailureTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static dev.iocp.core.testing.LoopTesting.LOOPBACK_V4;
import static dev.iocp.core.testing.LoopTesting.assertOpsDrained;
import static dev.iocp.core.testing.LoopTesting.await;
import static dev.iocp.core.testing.LoopTesting.onLoop;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Out of descriptors without spinning, for real: the process runs out of file descriptors (RLIMIT_NOFILE lowered,
 * the table filled) while
 * a client waits in the listener's backlog, so every io_uring ACCEPT completes with EMFILE at once. The loop must stay
 * near idle (the accept is re-armed after a back-off, not at once), count the errors, and serve clients as soon as
 * descriptors come back (the waiting one, unless it was shed meanwhile). The negative control turns the back-off off and sees the loop spin.
 *
 * <p>While the table is full the JVM can open nothing — not even a class file — so everything the window touches
 * is loaded first: an echo round trip, and one trip through each accept-error path (injected, on another server).
 */
@EnabledOnOs(value = OS.LINUX, disabledReason = "RLIMIT_NOFILE and io_uring are Linux-only")
class IoUringDescriptorExhaustionTest {
    private static final long T = 20_000;

    private IocpEventLoopGroup group;
    private IocpEventLoop loop;
    private Faults faults;

    @BeforeAll
    static void requireIoUring() {
        assumeTrue(IoUringBackend.unavailableReason().isEmpty(),
                () -> "io_uring unavailable: " + IoUringBackend.unavailableReason().orElse(""));
        ThreadCpu.assumeSupported();
    }

    @BeforeEach
    void setUp() throws Exception {
        faults = new Faults(3); // nothing injected into the measured server: its failures are the kernel's
        group = new IocpEventLoopGroup(1, FaultInjectingBackend.wrap(Backends.byName("io_uring"), faults));
        loop = group.next();
        warmUp();
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            assertOpsDrained(loop);
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(T);
        }
    }

    private Server listen(int pendingAccepts) throws Exception {
        return Transports.listen(loop, new InetSocketAddress(LOOPBACK_V4, 0), AcceptFailureTest.Echo::new,
                TransportConfig.DEFAULT, pendingAccepts).get(T, TimeUnit.MILLISECONDS);
    }

    private static void assertEchoes(SocketChannel c, String message) throws IOException {
        byte[] bytes = message.getBytes(StandardCharsets.US_ASCII);
        c.write(ByteBuffer.wrap(bytes));
        c.socket().setSoTimeout((int) T);
        InputStream in = c.socket().getInputStream();
        byte[] got = new byte[bytes.length];
        int n = 0;
        long deadline = System.currentTimeMillis() + T;
        while (n < got.length) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("echo: got " + n + " of " + got.length + " bytes within " + T + " ms");
            }
            int r;
            try {
                r = in.read(got, n, got.length - n);
            } catch (SocketTimeoutException e) {
                continue;
            }
            if (r < 0) {
                throw new AssertionError("EOF after " + n + " bytes of the echo");
            }
            n += r;
        }
        assertArrayEquals(bytes, got);
    }

    /** Loads every class the exhausted window will use: a normal echo, and each accept-error path once. */
    private void warmUp() throws Exception {
        Server s = listen(2);
        s.onAcceptError(e -> {});
        // The next accept packet fails (EMFILE), and so does the submit that re-arms its slot (ENOBUFS).
        faults.failOnce(Call.ACCEPT_PACKET, ErrorCode.NO_DESCRIPTORS);
        faults.failOnce(Call.SUBMIT_ACCEPT, ErrorCode.NO_BUFFERS);
        try (SocketChannel refused = SocketChannel.open(s.localAddress())) {
            await("the injected EMFILE packet and submit failure",
                    () -> faults.injected(Call.ACCEPT_PACKET) == 1 && faults.injected(Call.SUBMIT_ACCEPT) == 1);
        }
        try (SocketChannel c = SocketChannel.open(s.localAddress())) {
            assertEchoes(c, "warm"); // through the other slot
        }
        // The failed slot comes back through the back-off timer: 2 initial submits, its re-arm after the EMFILE
        // packet (refused: ENOBUFS), the next re-arm (accepted), and the echoing slot's re-arm — 5 in all.
        await("the failed slot re-armed by the back-off timer", () -> faults.calls(Call.SUBMIT_ACCEPT) >= 5);
        assertTrue(s.close().await(T));
        // Every warm-up connection has ended and closed its socket: none will free a descriptor in the window.
        assertOpsDrained(loop);
        ThreadCpu.measure(Thread.currentThread().getId(), 1);
    }

    /**
     * Exhausts the descriptor table, listens on the one descriptor given back for it, and connects {@code client}
     * (its descriptor opened before): the connection waits in the backlog while every ACCEPT fails with EMFILE.
     * The server listens only once the table is full because io_uring takes RLIMIT_NOFILE when an ACCEPT is
     * submitted: one armed before the limit was lowered would still succeed. Measures the loop's CPU over a window,
     * then gives descriptors back and checks the client is accepted and served. Returns the server (closed by the
     * caller) and the sample.
     */
    private record Window(Server server, ThreadCpu.Sample sample) {}

    private Window exhaustedWindow(SocketChannel client, String label) throws Exception {
        long tid = onLoop(loop, () -> Thread.currentThread().getId());
        Server[] server = new Server[1];
        long packetsBefore = faults.calls(Call.ACCEPT_PACKET);
        // Made before the table is full: linking a lambda may need classes.
        BooleanSupplier failing = () -> faults.calls(Call.ACCEPT_PACKET) > packetsBefore;
        BooleanSupplier accepted = () -> server[0].acceptedCount() == 1;
        ThreadCpu.Sample sample;
        long packets;
        long errors;
        try (FdExhaustion fds = FdExhaustion.exhaust()) {
            Server s = null;
            for (int attempt = 1; s == null; attempt++) {
                fds.release(1); // the listening socket's
                try {
                    s = listen(4);
                } catch (java.util.concurrent.ExecutionException e) {
                    // Another thread of the JVM (surefire's, the JIT's) took the descriptor first: give another.
                    if (attempt >= 8 || !String.valueOf(e.getCause()).contains("EMFILE")) {
                        throw e;
                    }
                }
            }
            fds.refill(); // a descriptor freed meanwhile must not let an ACCEPT through
            server[0] = s;
            client.connect(s.localAddress()); // completes in the kernel: the connection waits in the backlog
            await("ACCEPT completes with EMFILE", failing);
            long p0 = faults.calls(Call.ACCEPT_PACKET);
            long e0 = s.acceptErrors();
            sample = ThreadCpu.measure(tid, AcceptFailureTest.WINDOW_MS);
            packets = faults.calls(Call.ACCEPT_PACKET) - p0;
            errors = s.acceptErrors() - e0;
            assertEquals(0, s.acceptedCount(), "nothing could be accepted while exhausted");
            fds.release(16); // descriptors come back (the limit is still low): the next re-arm accepts
        }
        // The waiting client is either served now, or it was shed while the table was full: a descriptor freed by
        // another thread of the JVM let an accept through, the spare could not be taken back, and the server closed
        // the connection at once rather than leave it hanging (IocpServer, "The spare descriptor"). Either way it
        // does not hang, and a client that connects now is served.
        client.configureBlocking(false);
        ByteBuffer probe = ByteBuffer.allocate(1);
        BooleanSupplier shed = () -> {
            try {
                return client.read(probe) < 0;
            } catch (IOException e) {
                return true; // reset: shed
            }
        };
        await("the waiting client is accepted or shed", () -> accepted.getAsBoolean() || shed.getAsBoolean());
        boolean wasShed = !accepted.getAsBoolean();
        client.configureBlocking(true);
        System.out.printf("accept-exhaustion: backend=io_uring (real EMFILE) %s: loop CPU %s, %d ACCEPT packets and"
                + " %d accept errors in the window; the waiting client was %s%n", label, sample, packets, errors,
                wasShed ? "shed" : "accepted");
        if (wasShed) {
            try (SocketChannel fresh = SocketChannel.open(server[0].localAddress())) {
                assertEchoes(fresh, "a new client is served once descriptors are back");
            }
        } else {
            assertEchoes(client, "served once descriptors are back");
        }
        return new Window(server[0], sample);
    }

    @Test
    void runningOutOfDescriptorsBacksOffAndAcceptingResumesWhenTheyReturn() throws Exception {
        try (SocketChannel client = SocketChannel.open()) {
            Window w = exhaustedWindow(client, "back-off on");
            try {
                assertTrue(w.sample().fraction() < AcceptFailureTest.IDLE_BOUND,
                        "loop CPU while out of descriptors: " + w.sample());
                assertTrue(w.server().acceptErrors() > 0, "the EMFILE failures are counted as accept errors");
            } finally {
                assertTrue(w.server().close().await(T));
            }
        }
    }

    /** Negative control: without the back-off the same measurement sees the loop spin. */
    @Test
    void withoutTheBackOffRunningOutOfDescriptorsSpinsTheLoop() throws Exception {
        System.setProperty(AcceptFailureTest.RETRY_MIN_PROPERTY, "0");
        try (SocketChannel client = SocketChannel.open()) {
            Window w = exhaustedWindow(client, "back-off off (negative control)");
            try {
                assertTrue(w.sample().fraction() >= AcceptFailureTest.IDLE_BOUND,
                        "without back-off the loop should spin, but used " + w.sample());
            } finally {
                assertTrue(w.server().close().await(T));
            }
        } finally {
            System.clearProperty(AcceptFailureTest.RETRY_MIN_PROPERTY);
        }
    }
}
