package dev.iocp.core.backend;

import dev.iocp.core.testing.LoopTesting;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The backend SPI's contract, the same on every backend: one abstract suite, a short subclass per backend
 * ({@code SimulatedBackendContractTest} and {@code IoUringBackendContractTest} in iocp-core,
 * {@code Win32BackendContractTest} in win-tests). Both ends of every connection are our own sockets, made and driven
 * through the SPI alone (accept, connect, receive, send, shutdown, close), with an {@link OpSlab} and no loop, so
 * nothing here depends on how a backend reaches its kernel. What only one backend can show (Win32's AcceptEx
 * address layout, io_uring's ring sizes) stays in that backend's own test.
 *
 * <p>The invariants checked are ARCHITECTURE.md's 1 (the packet is the only truth: a cancel only asks) and 2 (the
 * kernel owns an op from submit to packet: every test ends with nothing in flight).
 */
public abstract class BackendContractTest {
    protected static final long T = 10_000; // ms, the bound of every wait

    protected Backend backend;
    protected OpSlab slab;
    private final Map<Op, int[]> unclaimed = new HashMap<>();
    private final List<Long> sockets = new ArrayList<>();
    private final List<Long> memory = new ArrayList<>();
    private static final CompletionHandler NO_HANDLER = (op, bytes, error) -> {};

    /** A new backend of the kind under test. */
    protected abstract Backend newBackend() throws Exception;

    /**
     * Waits, without dequeuing anything, until {@code recv} — submitted after the peer's bytes were sent — has
     * completed in the kernel or will complete at the backend's next kernel call: the bpo-33694 window, where a
     * cancel comes too late. Each backend sees that its own way (Win32: the OVERLAPPED's status word; io_uring:
     * poll(2) says the bytes are there, and the submit is flushed by the cancel itself; simulated: the packet is
     * queued at submit).
     */
    protected abstract void awaitCompletedInKernel(Op recv, long ourSocket) throws Exception;

    @BeforeEach
    void setUpBackend() throws Exception {
        backend = newBackend();
        slab = new OpSlab();
    }

    @AfterEach
    void tearDownBackend() {
        for (long s : sockets) {
            backend.close(s, true);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(T);
        while (slab.inFlight() > 0 && System.nanoTime() < deadline) {
            pollOnce(TimeUnit.MILLISECONDS.toNanos(50));
        }
        int left = slab.inFlight();
        if (left == 0) {
            slab.close();
            memory.forEach(PlatformDependent::freeMemory);
        } // else leak on purpose: the kernel may still write that memory (invariant 2)
        backend.close();
        assertEquals(0, left, "ops in flight at the end of the test");
    }

    // ------------------------------------------------------------------------------------------ helpers

    private void pollOnce(long timeoutNanos) {
        backend.poll(slab, (op, bytes, error) -> {
            op.markCompleted();
            if (unclaimed.put(op, new int[] {bytes, error}) != null) {
                fail("a second packet for " + op + " before the first was claimed");
            }
        }, timeoutNanos);
    }

    /** Polls until {@code op}'s packet came; returns {bytes, error}. Other ops' packets are kept for later. */
    protected int[] awaitPacket(Op op) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(T);
        while (!unclaimed.containsKey(op)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail("no packet for " + op + " within " + T + " ms");
            }
            pollOnce(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
        }
        assertEquals(Op.State.OWNED, op.state(), "the packet returns the op to its owner");
        return unclaimed.remove(op);
    }

    protected long nativeBuffer(int size) {
        long m = PlatformDependent.allocateMemory(size);
        PlatformDependent.setMemory(m, size, (byte) 0);
        memory.add(m);
        return m;
    }

    private long bytes(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        long m = nativeBuffer(b.length);
        PlatformDependent.copyMemory(b, 0, m, b.length);
        return m;
    }

    private static String read(long address, int n) {
        byte[] b = new byte[n];
        PlatformDependent.copyMemory(address, b, 0, n);
        return new String(b, StandardCharsets.US_ASCII);
    }

    private long track(long socket) {
        sockets.add(socket);
        return socket;
    }

    private void closed(long socket) {
        sockets.remove(socket);
    }

    protected InetSocketAddress loopback() {
        return new InetSocketAddress(LoopTesting.LOOPBACK_V4, 0);
    }

    private long listener() throws IoException {
        long l = track(backend.openTcpSocket(false));
        backend.bind(l, loopback());
        backend.listen(l, 16);
        return l;
    }

    /** A connected pair, both ends ours: {accepted side, connecting side}. */
    private long[] connectedPair() throws Exception {
        long l = listener();
        InetSocketAddress target = backend.localAddress(l);
        Op accept = slab.acquire().prepare(OpType.ACCEPT, l, NO_HANDLER);
        assertEquals(0, backend.submitAccept(accept));
        long client = track(backend.openTcpSocket(false));
        Op connect = slab.acquire().prepare(OpType.CONNECT, client, NO_HANDLER);
        assertEquals(0, backend.submitConnect(connect, target));
        int[] c = awaitPacket(connect);
        assertEquals(0, c[1], () -> "connect: " + IoError.describe(c[1]));
        backend.finishConnect(connect);
        int[] a = awaitPacket(accept);
        assertEquals(0, a[1], () -> "accept: " + IoError.describe(a[1]));
        long server = track(backend.finishAccept(accept));
        backend.register(server);
        accept.release();
        connect.release();
        assertEquals(backend.localAddress(client), backend.remoteAddress(server));
        return new long[] {server, client};
    }

    private Op recv(long socket, long buffer, int length) {
        Op op = slab.acquire().prepare(OpType.RECV, socket, NO_HANDLER).addBuffer(buffer, length);
        assertEquals(0, backend.submitRecv(op));
        assertEquals(Op.State.IN_FLIGHT, op.state());
        return op;
    }

    private Op send(long socket, String data) {
        Op op = slab.acquire().prepare(OpType.SEND, socket, NO_HANDLER).addBuffer(bytes(data), data.length());
        assertEquals(0, backend.submitSend(op));
        return op;
    }

    private void sendAll(long socket, String data) {
        Op op = send(socket, data);
        int[] p = awaitPacket(op);
        assertEquals(0, p[1], () -> "send: " + IoError.describe(p[1]));
        assertEquals(data.length(), p[0]);
        op.release();
    }

    // What an error means, in one place per meaning: the suite asserts the library's codes, so the same contract
    // holds on every backend; the backend picks the native number, which a failure message shows.

    protected static void assertCode(ErrorCode expected, int error) {
        assertTrue(error != IoError.SUCCESS, () -> "expected " + expected + ", got success");
        assertEquals(expected, IoError.code(error), () -> "expected " + expected + ", got " + IoError.describe(error));
    }

    protected static void assertAborted(int error) {
        assertCode(ErrorCode.ABORTED, error);
    }

    protected static void assertReset(int error) {
        assertCode(ErrorCode.RESET, error);
    }

    protected static void assertRefused(int error) {
        assertCode(ErrorCode.REFUSED, error);
    }

    protected static void assertAddressInUse(IoException e) {
        assertEquals(ErrorCode.ADDRESS_IN_USE, e.code(), e.getMessage());
        assertTrue(e.getMessage().startsWith("bind "), () -> "the message names the call: " + e.getMessage());
    }

    // ------------------------------------------------------------------------------------------ the contract

    @Test
    void acceptConnectAndEchoBothWays() throws Exception {
        long[] pair = connectedPair();
        sendAll(pair[1], "ping");
        long buf = nativeBuffer(64);
        Op r = recv(pair[0], buf, 64);
        int[] p = awaitPacket(r);
        assertEquals("ping", read(buf, p[0]));
        r.release();
        sendAll(pair[0], "pong");
        Op back = recv(pair[1], buf, 64);
        assertEquals("pong", read(buf, awaitPacket(back)[0]));
        back.release();
    }

    private Op readiness(long socket) {
        Op op = slab.acquire().prepare(OpType.RECV, socket, NO_HANDLER);
        assertEquals(0, backend.submitRecv(op));
        assertEquals(Op.State.IN_FLIGHT, op.state());
        return op;
    }

    /** {@link Backend#receiveNow} into {@code buf}: the bytes as text; fails on an error other than the one expected. */
    private String receiveNow(long socket, long buf, int length) {
        int n = backend.receiveNow(socket, buf, length);
        assertTrue(n >= 0, () -> "receiveNow: " + IoError.describe(-n));
        return read(buf, n);
    }

    private void assertNothingNow(long socket, long buf) {
        int n = backend.receiveNow(socket, buf, 64);
        assertTrue(n < 0, () -> "expected nothing to receive now, got " + n + " bytes");
        assertCode(ErrorCode.WOULD_BLOCK, -n);
    }

    /** A readiness receive (no buffers) pins nothing, consumes nothing, and says "readable"; receiveNow takes it. */
    @Test
    void aReadinessReceiveCompletesWhenDataArrivesConsumesNothingAndReceiveNowTakesTheBytes() throws Exception {
        long[] pair = connectedPair();
        long buf = nativeBuffer(64);
        Op r = readiness(pair[0]);
        assertNothingNow(pair[0], buf);
        sendAll(pair[1], "ready");
        int[] p = awaitPacket(r);
        assertEquals(0, p[1], () -> IoError.describe(p[1]));
        assertEquals(0, p[0], "a readiness packet transfers nothing");
        assertEquals("ready", receiveNow(pair[0], buf, 64));
        assertNothingNow(pair[0], buf);
        r.release();
    }

    @Test
    void aReadinessReceiveCompletesOnThePeersFinAndReceiveNowReadsIt() throws Exception {
        long[] pair = connectedPair();
        long buf = nativeBuffer(64);
        Op r = readiness(pair[0]);
        backend.shutdownOutput(pair[1]);
        int[] p = awaitPacket(r);
        assertEquals(0, p[1], () -> IoError.describe(p[1]));
        assertEquals("", receiveNow(pair[0], buf, 64), "the FIN: 0 bytes");
        r.release();
    }

    /** A readiness receive cancelled while idle is aborted and has taken nothing: the bytes sent later are all there. */
    @Test
    void anIdleReadinessReceiveCancelledIsAbortedAndConsumesNothing() throws Exception {
        long[] pair = connectedPair();
        long buf = nativeBuffer(64);
        Op r = readiness(pair[0]);
        assertEquals(CancelResult.REQUESTED, backend.cancel(r));
        assertAborted(awaitPacket(r)[1]);
        sendAll(pair[1], "kept");
        Op again = readiness(pair[0]);
        assertEquals(0, awaitPacket(again)[1]);
        assertEquals("kept", receiveNow(pair[0], buf, 64));
        r.release();
        again.release();
    }

    /** Invariant 1, the bpo-33694 window: a cancel that comes too late finds nothing, and the packet has the data. */
    @Test
    void aCancelAfterTheReceiveCompletedIsNotFoundAndThePacketKeepsTheData() throws Exception {
        long[] pair = connectedPair();
        long buf = nativeBuffer(64);
        sendAll(pair[1], "too late");
        Op r = recv(pair[0], buf, 64);
        awaitCompletedInKernel(r, pair[0]);
        assertEquals(CancelResult.NOT_FOUND, backend.cancel(r));
        assertTrue(r.cancelRequested());
        assertEquals(Op.State.IN_FLIGHT, r.state(), "a cancel's answer never completes the op");
        int[] p = awaitPacket(r);
        assertEquals(0, p[1], () -> IoError.describe(p[1]));
        assertEquals("too late", read(buf, p[0]));
        r.release();
    }

    @Test
    void anIdleReceiveCancelledIsRequestedAbortedAndTheSocketStaysUsable() throws Exception {
        long[] pair = connectedPair();
        long buf = nativeBuffer(64);
        Op r = recv(pair[0], buf, 64);
        assertEquals(CancelResult.REQUESTED, backend.cancel(r));
        int[] p = awaitPacket(r);
        assertAborted(p[1]);
        assertEquals(0, p[0]);
        r.release();
        sendAll(pair[1], "after");
        Op next = recv(pair[0], buf, 64);
        assertEquals("after", read(buf, awaitPacket(next)[0]), "nothing was consumed by the cancelled receive");
        next.release();
    }

    @Test
    void aPeersFinCompletesAReceiveWithZeroBytes() throws Exception {
        long[] pair = connectedPair();
        Op r = recv(pair[0], nativeBuffer(64), 64);
        backend.shutdownOutput(pair[1]);
        int[] p = awaitPacket(r);
        assertEquals(0, p[1], () -> IoError.describe(p[1]));
        assertEquals(0, p[0], "EOF is success with 0 bytes");
        r.release();
    }

    @Test
    void aPeersAbortiveCloseCompletesAPendingReceiveWithAReset() throws Exception {
        long[] pair = connectedPair();
        Op r = recv(pair[0], nativeBuffer(64), 64);
        backend.close(pair[1], true);
        closed(pair[1]);
        int[] p = awaitPacket(r);
        assertReset(p[1]);
        r.release();
    }

    @Test
    void closingOurSocketCompletesItsPendingReceiveAbortedAndAGracefulCloseIsAFin() throws Exception {
        long[] pair = connectedPair();
        Op ours = recv(pair[0], nativeBuffer(64), 64);
        Op peers = recv(pair[1], nativeBuffer(64), 64);
        backend.close(pair[0], false);
        closed(pair[0]);
        assertAborted(awaitPacket(ours)[1]);
        ours.release();
        int[] p = awaitPacket(peers);
        assertEquals(0, p[1], () -> "the peer sees FIN, not " + IoError.describe(p[1]));
        assertEquals(0, p[0]);
        peers.release();
    }

    @Test
    void closingAListenerCompletesItsPendingAcceptAborted() throws Exception {
        long l = listener();
        Op accept = slab.acquire().prepare(OpType.ACCEPT, l, NO_HANDLER);
        assertEquals(0, backend.submitAccept(accept));
        backend.close(l, false);
        closed(l);
        int[] p = awaitPacket(accept);
        assertAborted(p[1]);
        long prepared = accept.acceptSocket();
        if (prepared != 0) {
            backend.close(prepared, true); // after a failed ACCEPT packet its socket is the owner's to close
        }
        accept.release();
    }

    @Test
    void connectingWhereNobodyListensIsRefused() throws Exception {
        long l = listener();
        InetSocketAddress dead = backend.localAddress(l);
        backend.close(l, false);
        closed(l);
        long s = track(backend.openTcpSocket(false));
        Op c = slab.acquire().prepare(OpType.CONNECT, s, NO_HANDLER);
        assertEquals(0, backend.submitConnect(c, dead), "a refusal comes as the connect's packet");
        assertRefused(awaitPacket(c)[1]);
        c.release();
    }

    @Test
    void bindingAnAddressWithAListenerIsAddressInUse() throws Exception {
        long l = listener();
        long s = track(backend.openTcpSocket(false));
        IoException e = assertThrows(IoException.class, () -> backend.bind(s, backend.localAddress(l)));
        assertAddressInUse(e);
    }

    @Test
    void manyOpsSubmittedAtOnceAllCompleteEachWithOnePacket() throws Exception {
        long[] pair = connectedPair();
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            ops.add(send(pair[1], "y"));
        }
        for (Op op : ops) {
            int[] p = awaitPacket(op);
            assertEquals(0, p[1]);
            assertEquals(1, p[0]);
            op.release();
        }
        long buf = nativeBuffer(100);
        int got = 0;
        while (got < 100) {
            Op r = recv(pair[0], buf + got, 100 - got);
            int[] p = awaitPacket(r);
            r.release();
            assertTrue(p[0] > 0, "EOF after " + got + " bytes");
            got += p[0];
        }
        assertEquals("y".repeat(100), read(buf, 100));
    }

    /** A batch, once dequeued, is handed over whole even when the sink throws an Error on its first packet. */
    @Test
    void aSinkThatThrowsAnErrorDoesNotLoseTheRestOfTheBatch() throws Exception {
        long[] pair = connectedPair();
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ops.add(send(pair[1], "z"));
        }
        OutOfMemoryError injected = new OutOfMemoryError("injected while handing over a packet");
        List<Op> handedOver = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(T);
        int thrown = 0;
        while (handedOver.size() < ops.size() && System.nanoTime() < deadline) {
            try {
                backend.poll(slab, (op, bytes, error) -> {
                    op.markCompleted();
                    handedOver.add(op);
                    if (handedOver.size() == 1) {
                        throw injected;
                    }
                }, TimeUnit.MILLISECONDS.toNanos(100));
            } catch (OutOfMemoryError e) {
                assertSame(injected, e);
                thrown++;
            }
        }
        assertEquals(1, thrown, "the Error surfaces once, after its batch");
        assertEquals(ops.size(), handedOver.size(), "every packet was handed over");
        ops.forEach(Op::release);
    }

    // ------------------------------------------------------------------------------------------ addresses

    private static final InetAddress LOOPBACK_V6 = address(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
    private static final InetAddress WILDCARD_V4 = address(new byte[4]);
    private static final InetAddress WILDCARD_V6 = address(new byte[16]);

    private static InetAddress address(byte[] raw) {
        try {
            return InetAddress.getByAddress(raw);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private long listenerAt(InetAddress address) throws IoException {
        long l = track(backend.openTcpSocket(address instanceof Inet6Address));
        backend.bind(l, new InetSocketAddress(address, 0));
        backend.listen(l, 16);
        return l;
    }

    /** Connects a new socket of ours to {@code target} and accepts it on {@code listener}: {accepted, connecting}. */
    private long[] connectAndAccept(long listener, InetSocketAddress target) throws Exception {
        Op accept = slab.acquire().prepare(OpType.ACCEPT, listener, NO_HANDLER);
        assertEquals(0, backend.submitAccept(accept));
        long client = track(backend.openTcpSocket(target.getAddress() instanceof Inet6Address));
        Op connect = slab.acquire().prepare(OpType.CONNECT, client, NO_HANDLER);
        assertEquals(0, backend.submitConnect(connect, target));
        int[] c = awaitPacket(connect);
        assertEquals(0, c[1], () -> "connect to " + target + ": " + IoError.describe(c[1]));
        backend.finishConnect(connect);
        int[] a = awaitPacket(accept);
        assertEquals(0, a[1], () -> "accept: " + IoError.describe(a[1]));
        long server = track(backend.finishAccept(accept));
        backend.register(server);
        accept.release();
        connect.release();
        return new long[] {server, client};
    }

    /**
     * {@code 0.0.0.0} and {@code ::} mean the same, as on the JDK's dual-stack sockets: every local address of both
     * families. A client that tries {@code ::1} for "localhost" is accepted as one that tries {@code 127.0.0.1} is,
     * and the addresses reported back are plain IPv4 for an IPv4 client (never IPv4-mapped IPv6).
     */
    @Test
    void aWildcardListenerOfEitherFamilyAcceptsIpv4AndIpv6Clients() throws Exception {
        for (InetAddress wildcard : List.of(WILDCARD_V4, WILDCARD_V6)) {
            long l = listenerAt(wildcard);
            InetSocketAddress bound = backend.localAddress(l);
            assertTrue(bound.getAddress().isAnyLocalAddress(), () -> "bound to " + wildcard + ", reports " + bound);
            int port = bound.getPort();

            long[] v4 = connectAndAccept(l, new InetSocketAddress(LoopTesting.LOOPBACK_V4, port));
            assertEquals(new InetSocketAddress(LoopTesting.LOOPBACK_V4, port), backend.localAddress(v4[0]),
                    "an IPv4 client's connection is reported in IPv4 terms on the accepting side");
            assertEquals(LoopTesting.LOOPBACK_V4, backend.remoteAddress(v4[0]).getAddress());
            assertEquals(backend.localAddress(v4[1]), backend.remoteAddress(v4[0]));
            assertEquals(LoopTesting.LOOPBACK_V4, backend.localAddress(v4[1]).getAddress(),
                    "and on the connecting side");

            long[] v6 = connectAndAccept(l, new InetSocketAddress(LOOPBACK_V6, port));
            assertEquals(new InetSocketAddress(LOOPBACK_V6, port), backend.localAddress(v6[0]));
            assertEquals(LOOPBACK_V6, backend.remoteAddress(v6[0]).getAddress());

            sendAll(v6[1], "six");
            long buf = nativeBuffer(8);
            Op r = recv(v6[0], buf, 8);
            assertEquals("six", read(buf, awaitPacket(r)[0]));
            r.release();
        }
    }

    /** A specific address stays that address: a listener on 127.0.0.1 refuses ::1 (negative control of the above). */
    @Test
    void aListenerOnTheIpv4LoopbackRefusesIpv6Clients() throws Exception {
        long l = listenerAt(LoopTesting.LOOPBACK_V4);
        InetSocketAddress bound = backend.localAddress(l);
        assertEquals(LoopTesting.LOOPBACK_V4, bound.getAddress(), "reported as bound, in IPv4 terms");
        long client = track(backend.openTcpSocket(true));
        Op connect = slab.acquire().prepare(OpType.CONNECT, client, NO_HANDLER);
        int submitted = backend.submitConnect(connect, new InetSocketAddress(LOOPBACK_V6, bound.getPort()));
        if (submitted == 0) {
            assertRefused(awaitPacket(connect)[1]);
        } else {
            assertRefused(submitted);
        }
        connect.release();
    }

    @Test
    void aWakeupFromAnotherThreadEndsAnInfinitePoll() throws Exception {
        CompletableFuture<Integer> polled = CompletableFuture.supplyAsync(
                () -> backend.poll(slab, (op, b, e) -> fail("no op was submitted"), -1));
        backend.wakeup(); // before or during the poll: either way it must end it
        assertEquals(0, polled.get(T, TimeUnit.MILLISECONDS), "a wake-up is consumed silently");
    }
}
