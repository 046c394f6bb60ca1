package dev.iocp.core.backend.uring;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.Backends;
import dev.iocp.core.backend.CompletionSink;
import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.IoException;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpSlab;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.backend.SockAddrCodec;
import dev.iocp.core.testing.LoopTesting;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The io_uring backend through the SPI alone (no loop): real loopback sockets, an {@link OpSlab}, a sink that records
 * packets. Each test ends with no op in flight.
 */
@EnabledOnOs(value = OS.LINUX, disabledReason = "io_uring is Linux-only")
class IoUringBackendTest {
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final InetAddress LOOPBACK = LoopTesting.LOOPBACK_V4;

    record Packet(Op op, int bytes, int error) {}

    private IoUringBackend backend;
    private OpSlab slab;
    private final ArrayDeque<Packet> packets = new ArrayDeque<>();
    private final CompletionSink sink = (op, bytes, error) -> {
        op.markCompleted();
        packets.add(new Packet(op, bytes, error));
    };
    private final List<Long> buffers = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(IoUringBackend.unavailableReason().isEmpty(),
                () -> "io_uring unavailable: " + IoUringBackend.unavailableReason().orElse(""));
        backend = new IoUringBackend();
        slab = new OpSlab();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        if (backend != null) {
            assertEquals(0, slab.inFlight(), "ops still in flight");
            slab.close();
            backend.close();
        }
        for (long b : buffers) {
            PlatformDependent.freeMemory(b);
        }
    }

    // ------------------------------------------------------------------------------------------ helpers

    private long buffer(int size) {
        long b = PlatformDependent.allocateMemory(size);
        buffers.add(b);
        return b;
    }

    private long bytes(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        long a = buffer(b.length);
        PlatformDependent.copyMemory(b, 0, a, b.length);
        return a;
    }

    private static String read(long address, int n) {
        byte[] b = new byte[n];
        PlatformDependent.copyMemory(address, b, 0, n);
        return new String(b, StandardCharsets.US_ASCII);
    }

    /** Polls until {@code op}'s packet has come; returns it (other packets stay queued). */
    private Packet await(Op op) {
        long deadline = System.nanoTime() + WAIT_NANOS;
        for (;;) {
            for (Packet p : packets) {
                if (p.op() == op) {
                    packets.remove(p);
                    return p;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail("no packet for " + op + " within " + TimeUnit.NANOSECONDS.toSeconds(WAIT_NANOS) + " s");
            }
            backend.poll(slab, sink, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
        }
    }

    private Op recv(long socket, long buf, int len) {
        Op op = slab.acquire().prepare(OpType.RECV, socket, null).addBuffer(buf, len);
        assertEquals(0, backend.submitRecv(op));
        assertEquals(Op.State.IN_FLIGHT, op.state());
        return op;
    }

    private static void release(Op op) {
        op.release();
    }

    /** Our socket (connected through the backend's CONNECT) and the peer's java.net.Socket. */
    private record Pair(long ours, Socket peer) {}

    private static final int POLLIN = 0x1;
    private static final int POLLERR = 0x8;
    private static final int POLLHUP = 0x10;
    private static final long SYS_POLL = 7;

    /**
     * Waits (bounded) until poll(2) reports one of {@code events} on {@code fd} — a look that consumes nothing, so
     * the test knows the kernel state it relies on instead of sleeping and hoping.
     */
    private void awaitPollEvents(long fd, int events, String what) {
        long pfd = buffer(8); // struct pollfd { int fd; short events; short revents; }
        dev.iocp.core.testing.LoopTesting.await(what, () -> {
            PlatformDependent.putInt(pfd, (int) fd);
            PlatformDependent.putShort(pfd + 4, (short) events);
            PlatformDependent.putShort(pfd + 6, (short) 0);
            return LibC.syscall(SYS_POLL, pfd, 1, 0, 0, 0, 0) == 1
                    && (PlatformDependent.getShort(pfd + 6) & events) != 0;
        });
    }

    private Pair connectedPair() throws Exception {
        ServerSocket ss = new ServerSocket(0, 50, LOOPBACK);
        closeables.add(ss);
        long s = backend.openTcpSocket(false);
        Op c = slab.acquire().prepare(OpType.CONNECT, s, null);
        assertEquals(0, backend.submitConnect(c, (InetSocketAddress) ss.getLocalSocketAddress()));
        Packet p = await(c);
        assertEquals(0, p.error(), () -> IoError.describe(p.error()));
        backend.finishConnect(c);
        release(c);
        Socket peer = ss.accept();
        peer.setSoTimeout(10_000);
        closeables.add(peer);
        return new Pair(s, peer);
    }

    // ------------------------------------------------------------------------------------------ tests

    @Test
    void isTheLinuxDefaultAndLoadsByName() throws Exception {
        try (Backend b = Backends.byName("io_uring").newBackend()) {
            assertEquals("io_uring", b.name());
        }
        if (System.getProperty(Backends.PROPERTY) == null) {
            try (Backend b = Backends.defaultFactory().newBackend()) {
                assertEquals("io_uring", b.name());
            }
        }
    }

    @Test
    void aReceiveWithNoRoomIsRefusedSynchronouslyNotMistakenForFin() throws Exception {
        Pair pair = connectedPair();
        Op op = slab.acquire().prepare(OpType.RECV, pair.ours(), null).addBuffer(buffer(8), 0);
        int error = backend.submitRecv(op);
        assertEquals(ErrorCode.INVALID_ARGUMENT, IoError.code(error));
        assertEquals("EINVAL (22)", IoError.describe(error));
        assertEquals(Op.State.OWNED, op.state(), "a failed submit leaves the op with its owner");
        release(op);
        backend.close(pair.ours(), false);
    }

    @Test
    void aSendAfterThePeersResetFailsWithAReset() throws Exception {
        Pair pair = connectedPair();
        pair.peer().setSoLinger(true, 0);
        pair.peer().close();
        awaitPollEvents(pair.ours(), POLLERR | POLLHUP, "the peer's RST reached our socket");
        int error = 0;
        for (int i = 0; i < 3 && error == 0; i++) {
            Op op = slab.acquire().prepare(OpType.SEND, pair.ours(), null).addBuffer(bytes("x"), 1);
            assertEquals(0, backend.submitSend(op));
            error = await(op).error();
            release(op);
        }
        int e = error;
        assertEquals(ErrorCode.RESET, IoError.code(e), () -> IoError.describe(e));
        // The native name stays Linux's: ECONNRESET, or EPIPE once the reset was reported on the socket.
        assertTrue(IoError.describe(e).equals("Connection reset by peer (ECONNRESET 104)")
                        || IoError.describe(e).equals("Broken pipe (EPIPE 32)"),
                IoError.describe(e));
        backend.close(pair.ours(), true);
    }

    @Test
    void closeWithAReceiveStillUnsubmittedCompletesItAbortedToo() throws Exception {
        Pair pair = connectedPair();
        Op op = recv(pair.ours(), buffer(64), 64); // only an SQE in our ring: close must submit it first
        backend.close(pair.ours(), false);
        Packet p = await(op);
        assertEquals("ECANCELED (125)", IoError.describe(p.error()));
        assertTrue(IoError.isAborted(p.error()));
        release(op);
    }

    @Test
    void anAbortiveCloseResetsThePeer() throws Exception {
        Pair pair = connectedPair();
        Op op = recv(pair.ours(), buffer(64), 64);
        backend.poll(slab, sink, 0);
        backend.close(pair.ours(), true);
        Packet p = await(op);
        assertEquals("ECANCELED (125)", IoError.describe(p.error()));
        assertTrue(IoError.isAborted(p.error()));
        release(op);
        InputStream in = pair.peer().getInputStream();
        SocketException e = assertThrows(SocketException.class, in::read);
        assertTrue(e.getMessage().contains("reset"), e.getMessage());
    }

    @Test
    void bindingAPortInUseFailsWithEaddrinuse() throws Exception {
        ServerSocket ss = new ServerSocket(0, 1, LOOPBACK);
        closeables.add(ss);
        long s = backend.openTcpSocket(false);
        try {
            IoException e = assertThrows(IoException.class,
                    () -> backend.bind(s, (InetSocketAddress) ss.getLocalSocketAddress()));
            assertEquals(ErrorCode.ADDRESS_IN_USE, e.code());
            assertEquals("bind " + ss.getLocalSocketAddress() + ": EADDRINUSE (98)", e.getMessage());
        } finally {
            backend.close(s, false);
        }
    }

    @Test
    void ipv6LoopbackConnectsToo() throws Exception {
        InetAddress v6 = InetAddress.getByAddress(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
        long listener = backend.openTcpSocket(true);
        try {
            backend.bind(listener, new InetSocketAddress(v6, 0));
        } catch (IoException e) {
            backend.close(listener, false);
            assumeTrue(false, "no IPv6 loopback here: " + e.getMessage());
        }
        backend.listen(listener, 4);
        InetSocketAddress address = backend.localAddress(listener);
        assertEquals(v6, address.getAddress());
        Op accept = slab.acquire().prepare(OpType.ACCEPT, listener, null);
        assertEquals(0, backend.submitAccept(accept));
        long client = backend.openTcpSocket(true);
        Op c = slab.acquire().prepare(OpType.CONNECT, client, null);
        assertEquals(0, backend.submitConnect(c, address));
        assertEquals(0, await(c).error());
        assertEquals(0, await(accept).error());
        long server = backend.finishAccept(accept);
        assertEquals(address, backend.remoteAddress(client));
        release(c);
        release(accept);
        backend.close(server, false);
        backend.close(client, false);
        backend.close(listener, false);
    }

    /**
     * DEFER_TASKRUN is the default where the kernel has it (6.1 and later), and it is real: the ring belongs to the
     * first thread that polls it — here another thread, as a loop's backend is created before its loop thread runs —
     * and the kernel refuses an enter from any other thread.
     */
    @Test
    void aRingDefersTaskWorkToTheThreadThatFirstPollsIt() throws Exception {
        assumeTrue(System.getProperty("iocp.uring.deferTaskrun") == null, "DEFER_TASKRUN turned off by property");
        assumeTrue(kernelAtLeast(6, 1), () -> "DEFER_TASKRUN needs Linux 6.1; this is " + System.getProperty("os.version"));
        assertTrue(backend.defersTaskWork(), "a 6.1+ kernel's ring defers task work");
        Thread loop = new Thread(() -> backend.poll(slab, sink, 0), "first-poller");
        loop.start();
        loop.join(TimeUnit.SECONDS.toMillis(10));
        assertTrue(!loop.isAlive(), "the first poll returned");
        UncheckedIOException refused = assertThrows(UncheckedIOException.class,
                () -> backend.poll(slab, sink, TimeUnit.MILLISECONDS.toNanos(1)));
        assertTrue(refused.getMessage().contains("EEXIST"), refused.getMessage());
        // tearDown closes it from this thread: allowed, a close makes no syscall the ring's issuer rule covers
    }

    /** Asked for COOP_TASKRUN, a ring has no single issuer: any thread may poll it (the loop still uses one). */
    @Test
    void aCoopTaskrunRingTakesPollsFromAnyThread() throws Exception {
        backend.close();
        backend = new IoUringBackend(IoUringBackend.DEFAULT_SQ_ENTRIES, IoUringBackend.DEFAULT_CQ_ENTRIES, false);
        assertTrue(!backend.defersTaskWork());
        Thread other = new Thread(() -> backend.poll(slab, sink, 0), "other-poller");
        other.start();
        other.join(TimeUnit.SECONDS.toMillis(10));
        assertEquals(0, backend.poll(slab, sink, 0));
    }

    private static boolean kernelAtLeast(int major, int minor) {
        String[] v = System.getProperty("os.version", "0.0").split("[.-]");
        int ma = Integer.parseInt(v[0]);
        int mi = v.length > 1 ? Integer.parseInt(v[1]) : 0;
        return ma > major || (ma == major && mi >= minor);
    }

    @Test
    void aTimedPollReturnsAfterItsTimeout() {
        long start = System.nanoTime();
        assertEquals(0, backend.poll(slab, sink, TimeUnit.MILLISECONDS.toNanos(50)));
        long took = System.nanoTime() - start;
        assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(45), "took " + took + " ns");
        assertTrue(took < TimeUnit.SECONDS.toNanos(2), "took " + took + " ns");
        start = System.nanoTime();
        assertEquals(0, backend.poll(slab, sink, 0));
        assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(500));
    }

    /**
     * A tiny ring: 4 SQEs and 8 CQEs for 100 ops submitted before any poll. A full SQ is submitted early (no submit
     * fails), and the CQEs beyond the CQ's size overflow into the kernel's list (NODROP) and still all arrive.
     */
    @Test
    void aFullSubmissionRingFlushesEarlyAndAnOverflowingCompletionRingLosesNothing() throws Exception {
        backend.close();
        backend = new IoUringBackend(4, 8);
        Pair pair = connectedPair();
        int n = 100;
        List<Op> ops = new ArrayList<>();
        long one = bytes("z");
        for (int i = 0; i < n; i++) {
            Op op = slab.acquire().prepare(OpType.SEND, pair.ours(), null).addBuffer(one, 1);
            assertEquals(0, backend.submitSend(op), "submit " + i);
            ops.add(op);
        }
        for (Op op : ops) {
            assertEquals(new Packet(op, 1, 0), await(op));
            release(op);
        }
        assertEquals(n, pair.peer().getInputStream().readNBytes(n).length);
        backend.close(pair.ours(), false);
    }

    /** Submitting and reaping allocates nothing per op once warmed up (the SPI's promise; the test sink aside). */
    @Test
    void aReceiveSendRoundTripAllocatesNothing() throws Exception {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory
                .getThreadMXBean();
        assumeTrue(mx.isThreadAllocatedMemorySupported());
        Pair pair = connectedPair();
        long buf = buffer(64);
        Op send = slab.acquire();
        Op recv = slab.acquire();
        int[] done = new int[1];
        CompletionSink counting = (op, bytes, error) -> {
            op.markCompleted();
            done[0]++;
        };
        java.io.OutputStream out = pair.peer().getOutputStream();
        InputStream in = pair.peer().getInputStream();
        for (int round = 0; round < 2000; round++) { // warm-up: RECV and SEND through the real data path
            send.prepare(OpType.SEND, pair.ours(), null).addBuffer(buf, 8);
            recv.prepare(OpType.RECV, pair.ours(), null).addBuffer(buf + 8, 8);
            backend.submitSend(send);
            backend.submitRecv(recv);
            done[0] = 0;
            while (done[0] < 1) {
                backend.poll(slab, counting, -1);
            }
            int n = 0;
            while (n < 8) {
                n += in.read(new byte[8 - n]);
            }
            out.write(new byte[8]);
            while (done[0] < 2) {
                backend.poll(slab, counting, -1);
            }
        }
        // Measure a clean stretch on this thread: only backend calls between the two readings (zero-byte sends,
        // so that no peer read is needed in between).
        long start = mx.getCurrentThreadAllocatedBytes();
        for (int round = 0; round < 1000; round++) {
            send.prepare(OpType.SEND, pair.ours(), null).addBuffer(buf, 0);
            backend.submitSend(send);
            done[0] = 0;
            while (done[0] < 1) {
                backend.poll(slab, counting, -1);
            }
        }
        long allocated = mx.getCurrentThreadAllocatedBytes() - start;
        assertTrue(allocated < 1000 * 8, "allocated " + allocated + " bytes over 1000 submit+poll round trips");
        send.release();
        recv.release();
        backend.close(pair.ours(), false);
    }

    @Test
    void sockaddrsEncodeTheLinuxLayout() throws Exception {
        long p = buffer(128);
        InetSocketAddress v4 = new InetSocketAddress(InetAddress.getByAddress(new byte[] {10, 1, 2, 3}), 0x1234);
        assertEquals(16, SockAddrCodec.LINUX.encode(v4, p));
        byte[] raw = new byte[16];
        PlatformDependent.copyMemory(p, raw, 0, 16);
        assertArrayEquals(new byte[] {2, 0, 0x12, 0x34, 10, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0}, raw);
        assertEquals(v4, SockAddrCodec.LINUX.decode(p, SockAddrCodec.MAX_SIZE));
        byte[] v6bytes = new byte[16];
        v6bytes[0] = (byte) 0xfe;
        v6bytes[1] = (byte) 0x80;
        v6bytes[15] = 1;
        InetSocketAddress v6 = new InetSocketAddress(java.net.Inet6Address.getByAddress(null, v6bytes, 3), 443);
        assertEquals(28, SockAddrCodec.LINUX.encode(v6, p));
        assertEquals(10, PlatformDependent.getShort(p));
        assertEquals(3, PlatformDependent.getInt(p + 24));
        assertEquals(v6, SockAddrCodec.LINUX.decode(p, SockAddrCodec.MAX_SIZE));
    }
}
