package dev.iocp.wintests;

import dev.iocp.core.backend.CancelResult;
import dev.iocp.core.backend.CompletionHandler;
import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.IoException;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpSlab;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.backend.SocketOpt;
import dev.iocp.core.backend.win32.Win32Backend;
import dev.iocp.core.backend.win32.Win32Slot;
import dev.iocp.core.testing.WindowsOnly;
import dev.iocp.core.win32.Kernel32;
import dev.iocp.core.win32.SockAddrs;
import dev.iocp.core.win32.Win32Error;
import dev.iocp.core.win32.Winsock;
import dev.iocp.core.win32.WinsockExtensions;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * First proof of the Win32 layer against real loopback sockets: the bindings and {@link Win32Backend} driven
 * through the backend SPI by hand, with a fresh {@link OpSlab} and no event loop. Every wait is bounded and waits
 * for a condition (a packet for a given op, an OVERLAPPED turning non-pending); nothing sleeps and hopes.
 * Each test ends with no op in flight (invariant 2: every submit's packet was dequeued).
 */
@WindowsOnly
class Win32FirstProofTest {
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final InetAddress V4 = address("127.0.0.1");
    private static final InetAddress V6 = address("::1");

    /** One dequeued packet, as the sink saw it. */
    record Packet(Op op, int bytes, int error) {
        @Override
        public String toString() {
            return op + " bytes=" + bytes + " error=" + IoError.describe(error);
        }
    }

    private Win32Backend backend;
    private OpSlab slab;
    /** Packets dequeued but not yet claimed by {@link #awaitPacket}; ops already back to OWNED. */
    private final Map<Op, Packet> unclaimed = new HashMap<>();
    private final List<Long> sockets = new ArrayList<>();
    private final List<Long> memory = new ArrayList<>();
    private static final CompletionHandler NO_HANDLER = (op, bytes, error) -> {};

    @BeforeEach
    void setUp() throws Exception {
        backend = new Win32Backend(8);
        slab = new OpSlab();
    }

    @AfterEach
    void tearDown() {
        for (long s : sockets) {
            backend.close(s, true);
        }
        // Closing aborted whatever was still pending; collect those packets before the memory may go.
        long deadline = System.nanoTime() + TIMEOUT_NANOS;
        while (slab.inFlight() > 0 && System.nanoTime() < deadline) {
            pollOnce(TimeUnit.MILLISECONDS.toNanos(50));
        }
        int leftInFlight = slab.inFlight();
        if (leftInFlight == 0) {
            slab.close();
            memory.forEach(PlatformDependent::freeMemory);
        } // else: leak on purpose: the kernel still owns that memory
        backend.close();
        assertEquals(0, leftInFlight, "ops in flight at the end of the test");
    }

    // ------------------------------------------------------------------ helpers

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private void pollOnce(long timeoutNanos) {
        backend.poll(slab, (op, bytes, error) -> {
            op.markCompleted(); // the sink's job: the kernel is done with it
            Packet previous = unclaimed.put(op, new Packet(op, bytes, error));
            if (previous != null) {
                fail("second packet for " + op + " before the first was claimed: " + previous);
            }
        }, timeoutNanos);
    }

    /** Polls until the packet for {@code op} has been dequeued (other ops' packets are kept for later). */
    private Packet awaitPacket(Op op) {
        long deadline = System.nanoTime() + TIMEOUT_NANOS;
        while (!unclaimed.containsKey(op)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail("no packet for " + op + " within 10 s");
            }
            pollOnce(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
        }
        Packet p = unclaimed.remove(op);
        assertEquals(Op.State.OWNED, op.state());
        return p;
    }

    /** Bounded wait for a condition; parks between checks (on Wine a parked thread also runs pending I/O APCs). */
    private static void awaitCondition(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TIMEOUT_NANOS;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting until " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /** HasOverlappedIoCompleted: the kernel has written the op's final status into OVERLAPPED.Internal. */
    private static boolean kernelFinished(Op op) {
        VarHandle.fullFence(); // the kernel writes it from outside the JVM: read it fresh every time
        return Win32Slot.status(op) != Kernel32.STATUS_PENDING;
    }

    private long nativeBuffer(int size) {
        long m = PlatformDependent.allocateMemory(size);
        PlatformDependent.setMemory(m, size, (byte) 0);
        memory.add(m);
        return m;
    }

    private long track(long socket) {
        sockets.add(socket);
        return socket;
    }

    private void forget(long socket) {
        sockets.remove(socket);
    }

    private long listener(InetAddress host) throws IoException {
        long l = track(backend.openTcpSocket(host.getAddress().length == 16));
        backend.bind(l, new InetSocketAddress(host, 0));
        backend.listen(l, 16);
        return l;
    }

    /** A connected pair made with AcceptEx and ConnectEx: {server side, client side}, both on this port. */
    private long[] connectedPair(InetAddress host) throws Exception {
        long l = listener(host);
        InetSocketAddress target = backend.localAddress(l);
        assertNotEquals(0, target.getPort(), "ephemeral port");

        Op accept = slab.acquire().prepare(OpType.ACCEPT, l, NO_HANDLER);
        assertEquals(0, backend.submitAccept(accept), "AcceptEx submit");
        long client = track(backend.openTcpSocket(host.getAddress().length == 16));
        Op connect = slab.acquire().prepare(OpType.CONNECT, client, NO_HANDLER);
        assertEquals(0, backend.submitConnect(connect, target), "ConnectEx submit");

        Packet c = awaitPacket(connect);
        assertEquals(0, c.error(), () -> "connect packet " + c);
        backend.finishConnect(connect);
        Packet a = awaitPacket(accept);
        assertEquals(0, a.error(), () -> "accept packet " + a);
        long server = track(backend.finishAccept(accept));
        backend.register(server);
        // The AcceptEx output buffer (op address area) decoded by GetAcceptExSockaddrs names the same two ends.
        long out = nativeBuffer(24);
        WinsockExtensions.get().getAcceptExSockaddrs(Win32Slot.addressArea(accept), out);
        InetSocketAddress acceptLocal = SockAddrs.decode(PlatformDependent.getLong(out), PlatformDependent.getInt(out + 16));
        InetSocketAddress acceptRemote = SockAddrs.decode(PlatformDependent.getLong(out + 8), PlatformDependent.getInt(out + 20));
        assertEquals(target, acceptLocal, "GetAcceptExSockaddrs local");
        assertEquals(backend.localAddress(client), acceptRemote, "GetAcceptExSockaddrs remote");
        accept.release();
        connect.release();

        // SO_UPDATE_*_CONTEXT made the addresses available on both sides, and they agree.
        assertEquals(backend.localAddress(client), backend.remoteAddress(server));
        assertEquals(backend.remoteAddress(client), backend.localAddress(server));
        assertEquals(target, backend.remoteAddress(client));
        return new long[] {server, client};
    }

    private Op submitRecv(long socket, long buffer, int length) {
        Op op = slab.acquire().prepare(OpType.RECV, socket, NO_HANDLER).addBuffer(buffer, length);
        assertEquals(0, backend.submitRecv(op), "WSARecv submit");
        assertEquals(Op.State.IN_FLIGHT, op.state());
        return op;
    }

    /** Sends all of {@code data} with overlapped WSASends (one packet each), looping on partial completions. */
    private void sendAll(long socket, byte[] data) {
        long buf = nativeBuffer(data.length);
        PlatformDependent.copyMemory(data, 0, buf, data.length);
        int sent = 0;
        Op op = slab.acquire();
        while (sent < data.length) {
            op.prepare(OpType.SEND, socket, NO_HANDLER).addBuffer(buf + sent, data.length - sent);
            assertEquals(0, backend.submitSend(op), "WSASend submit");
            Packet p = awaitPacket(op);
            assertEquals(0, p.error(), () -> "send packet " + p);
            assertTrue(p.bytes() > 0, "send made progress");
            sent += p.bytes();
        }
        op.release();
    }

    /** Receives exactly {@code n} bytes with overlapped WSARecvs; fails on EOF or error. */
    private byte[] receiveExactly(long socket, int n) {
        long buf = nativeBuffer(n);
        int got = 0;
        while (got < n) {
            Op op = submitRecv(socket, buf + got, n - got);
            Packet p = awaitPacket(op);
            op.release();
            assertEquals(0, p.error(), () -> "recv packet " + p);
            assertTrue(p.bytes() > 0, "unexpected EOF after " + got + " bytes");
            got += p.bytes();
        }
        return copy(buf, n);
    }

    private static byte[] copy(long address, int n) {
        byte[] b = new byte[n];
        PlatformDependent.copyMemory(address, b, 0, n);
        return b;
    }

    private static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    // ------------------------------------------------------------------ tests

    @Test
    void winsockStartsVersion22() throws Exception {
        Winsock.Info info = Winsock.startup();
        assertEquals(2, info.major(), info::toString);
        assertEquals(2, info.minor(), info::toString);
        assertTrue(!info.description().isEmpty(), "WSADATA.szDescription");
        assertTrue(Winsock.startup() == info, "WSAStartup runs once per process");
        System.out.println("Winsock " + info);
    }

    @Test
    void emptyPortTimesOutAndWakeupIsConsumedSilently() {
        long t0 = System.nanoTime();
        assertEquals(0, backend.poll(slab, (op, b, e) -> fail("no op packet expected"), TimeUnit.MILLISECONDS.toNanos(50)));
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(40), "waited about the timeout");
        backend.wakeup();
        backend.wakeup();
        // An infinite poll returns because of the wake-ups, with no op packet.
        assertEquals(0, backend.poll(slab, (op, b, e) -> fail("no op packet expected"), -1));
        assertEquals(0, backend.poll(slab, (op, b, e) -> fail("no op packet expected"), 0));
    }

    @Test
    void acceptExConnectExAndEchoOverIpv4() throws Exception {
        echo(V4);
    }

    @Test
    void acceptExConnectExAndEchoOverIpv6() throws Exception {
        echo(V6);
    }

    private void echo(InetAddress host) throws Exception {
        long[] pair = connectedPair(host);
        long server = pair[0];
        long client = pair[1];
        byte[] request = "hello over IOCP".getBytes(StandardCharsets.US_ASCII);
        sendAll(client, request);
        byte[] atServer = receiveExactly(server, request.length);
        assertArrayEquals(request, atServer);
        sendAll(server, atServer);
        assertArrayEquals(request, receiveExactly(client, request.length));

        // A larger transfer with a two-buffer gathering send: order and content across WSABUFs and packets.
        byte[] big = pattern(256 * 1024, 7);
        long a = nativeBuffer(100_000);
        long b = nativeBuffer(big.length - 100_000);
        PlatformDependent.copyMemory(big, 0, a, 100_000);
        PlatformDependent.copyMemory(big, 100_000, b, big.length - 100_000);
        Op send = slab.acquire().prepare(OpType.SEND, client, NO_HANDLER)
                .addBuffer(a, 100_000).addBuffer(b, big.length - 100_000);
        assertEquals(0, backend.submitSend(send));
        byte[] received = receiveExactly(server, big.length); // reading lets the send complete
        Packet sp = awaitPacket(send);
        send.release();
        assertEquals(0, sp.error());
        assertEquals(big.length, sp.bytes(), "an overlapped stream send completes whole");
        assertArrayEquals(big, received);
    }

    @Test
    void peerResetCompletesThePendingReceiveWithWsaEConnReset() throws Exception {
        long[] pair = connectedPair(V4);
        Op recv = submitRecv(pair[0], nativeBuffer(4096), 4096);
        backend.close(pair[1], true); // SO_LINGER{1,0} + closesocket: RST
        forget(pair[1]);
        Packet p = awaitPacket(recv);
        recv.release();
        assertEquals(Win32Error.ERRORS.error(Win32Error.WSAECONNRESET), p.error(),
                () -> "expected WSAECONNRESET (10054), not the kernel's ERROR_NETNAME_DELETED: " + p);
        assertEquals(ErrorCode.RESET, IoError.code(p.error()));
        // What a user reads on Windows: the Winsock name, as the transport words it.
        assertEquals("receive: Connection reset by peer (WSAECONNRESET 10054)", new IoException("receive", p.error()).getMessage());
    }

    // ------------------------------------------------------------------ abort: RST, not FIN

    /** How a peer's byte stream ended: bytes received before the end, and the end (0 = EOF, else the error). */
    record StreamEnd(long bytes, int error) {
        boolean reset() {
            return IoError.isReset(error);
        }

        @Override
        public String toString() {
            return (error == 0 ? "EOF" : IoError.describe(error)) + " after " + bytes + " bytes";
        }
    }

    /**
     * Reads {@code socket} with overlapped WSARecvs until EOF or an error. The error may come from the submit itself:
     * a WSARecv posted on a socket already reset fails at once with WSAECONNRESET (Windows documents that any error
     * but WSA_IO_PENDING means no completion will come; Wine 10 does the same), so that is an end, not a failure.
     */
    private StreamEnd drain(long socket) {
        long buf = nativeBuffer(64 * 1024);
        long total = 0;
        while (true) {
            Op op = slab.acquire().prepare(OpType.RECV, socket, NO_HANDLER).addBuffer(buf, 64 * 1024);
            int refused = backend.submitRecv(op);
            if (refused != 0) {
                assertEquals(Op.State.OWNED, op.state(), "a refused submit leaves the op with its owner");
                op.release();
                return new StreamEnd(total, refused);
            }
            Packet p = awaitPacket(op);
            op.release();
            if (p.error() != 0 || p.bytes() == 0) {
                return new StreamEnd(total, p.error());
            }
            total += p.bytes();
        }
    }

    private static boolean underWine() {
        return dev.iocp.core.win32.Wine.underWine();
    }

    /**
     * Our socket has a receive pending (the normal state of a connection) and is aborted: the peer's pending
     * receive fails with WSAECONNRESET (an RST), not a 0-byte success (a FIN). Our own receive's packet still comes.
     */
    @Test
    void abortWithOurReceivePendingIsAResetAtThePeer() throws Exception {
        long[] pair = connectedPair(V4);
        Op ours = submitRecv(pair[0], nativeBuffer(4096), 4096);
        Op peers = submitRecv(pair[1], nativeBuffer(4096), 4096);
        backend.close(pair[0], true);
        forget(pair[0]);
        Packet p = awaitPacket(peers);
        peers.release();
        assertEquals(Win32Error.ERRORS.error(Win32Error.WSAECONNRESET), p.error(), () -> "peer's receive after our abort: " + p);
        Packet o = awaitPacket(ours);
        ours.release();
        assertTrue(IoError.isAborted(o.error()), () -> "our receive on the socket we aborted: " + o);
    }

    /**
     * Our socket has a large send pending (the peer is not reading) and a receive, and is aborted: the send is
     * aborted and the connection is reset at once; the unsent rest of the buffer is never sent. Under Wine 8 a
     * closesocket without the CancelIoEx first kept sending the pending buffer after the close (the peer got MBs
     * more) before any reset.
     */
    @Test
    void abortWithASendPendingResetsWithoutSendingTheRest() throws Exception {
        long[] pair = connectedPair(V4);
        int size = 16 * 1024 * 1024;
        Op send = slab.acquire().prepare(OpType.SEND, pair[0], NO_HANDLER).addBuffer(nativeBuffer(size), size);
        assertEquals(0, backend.submitSend(send), "WSASend submit");
        Op ours = submitRecv(pair[0], nativeBuffer(4096), 4096);
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200)); // let the kernel buffers fill
        assertTrue(!kernelFinished(send), "a 16 MiB send to a peer that does not read must be pending");

        backend.close(pair[0], true);
        forget(pair[0]);
        Packet sp = awaitPacket(send);
        send.release();
        assertTrue(IoError.isAborted(sp.error()), () -> "the pending send after the abort: " + sp);
        Packet o = awaitPacket(ours);
        ours.release();
        assertTrue(IoError.isAborted(o.error()), () -> "our receive after the abort: " + o);

        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200)); // time to send the rest, were it still sending
        StreamEnd end = drain(pair[1]);
        System.out.println("peer after an abort with 16 MiB pending: " + end + (underWine() ? " (Wine)" : ""));
        assertTrue(end.bytes() < size, () -> "the unsent rest must be dropped: " + end);
        assertTrue(end.reset(), () -> "the peer must see the RST: " + end);
    }

    /**
     * The peer reads only after the RST has arrived: it reads WSAECONNRESET, as Windows reports it. (Wine 8 reported
     * EOF here: its wineserver consumed the Linux socket error when the RST arrived and woke only the receives
     * pending then. Wine 10 remembers the reset, and fails the late WSARecv's submit itself with WSAECONNRESET.)
     */
    @Test
    void abortSeenByAReadPostedAfterTheResetArrived() throws Exception {
        long[] pair = connectedPair(V4);
        Op ours = submitRecv(pair[0], nativeBuffer(4096), 4096);
        backend.close(pair[0], true);
        forget(pair[0]);
        Packet o = awaitPacket(ours);
        ours.release();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // the RST has arrived
        StreamEnd end = drain(pair[1]);
        System.out.println("late reader after an abort: " + end + (underWine() ? " (Wine)" : ""));
        assertEquals(0, end.bytes());
        assertTrue(end.reset(), () -> "the peer must see the RST: " + end);
    }

    @Test
    void socketOptionsRoundTrip() throws Exception {
        long[] pair = connectedPair(V4);
        long s = pair[1];
        backend.setOption(s, SocketOpt.TCP_NODELAY, 1);
        assertEquals(1, backend.getOption(s, SocketOpt.TCP_NODELAY));
        backend.setOption(s, SocketOpt.SO_KEEPALIVE, 1);
        assertEquals(1, backend.getOption(s, SocketOpt.SO_KEEPALIVE));
        backend.setOption(s, SocketOpt.SO_RCVBUF, 65536);
        assertTrue(backend.getOption(s, SocketOpt.SO_RCVBUF) >= 65536 / 2, "SO_RCVBUF was set");
        backend.setOption(s, SocketOpt.SO_SNDBUF, 65536);
        assertTrue(backend.getOption(s, SocketOpt.SO_SNDBUF) > 0);

        long fresh = track(backend.openTcpSocket(false));
        assertEquals(1, backend.getOption(fresh, SocketOpt.SO_REUSEADDR), "Windows default: not exclusive");
        backend.setOption(fresh, SocketOpt.SO_REUSEADDR, 0);
        assertEquals(0, backend.getOption(fresh, SocketOpt.SO_REUSEADDR), "SO_EXCLUSIVEADDRUSE set");
    }

    /** Ten receives cancelled and finished in the kernel; a backend with batch size 8 hands them out 8 + 2. */
    @Test
    void oneGetQueuedCompletionStatusExCallDequeuesABatchBoundedByTheBatchSize() throws Exception {
        long[] pair = connectedPair(V4);
        List<Op> recvs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            recvs.add(submitRecv(pair[0], nativeBuffer(16), 16));
        }
        for (Op op : recvs) {
            assertEquals(CancelResult.REQUESTED, backend.cancel(op));
        }
        awaitCondition("all ten are final in the kernel", () -> recvs.stream().allMatch(Win32FirstProofTest::kernelFinished));
        List<Packet> seen = new ArrayList<>();
        int first = backend.poll(slab, (op, b, e) -> { op.markCompleted(); seen.add(new Packet(op, b, e)); }, 0);
        // The completion of the last one may trail its OVERLAPPED update by a moment: bounded wait for the rest.
        awaitCondition("ten packets", () -> {
            backend.poll(slab, (op, b, e) -> { op.markCompleted(); seen.add(new Packet(op, b, e)); }, 0);
            return seen.size() == 10;
        });
        assertEquals(8, first, "a full batch in one call");
        for (Packet p : seen) {
            assertEquals(Win32Error.ERRORS.error(Win32Error.ERROR_OPERATION_ABORTED), p.error(), p::toString);
            p.op().release();
        }
    }

}
