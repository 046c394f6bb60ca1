package dev.iocp.core.backend;

import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The datagram part of the backend SPI's contract, the same on every backend (a short subclass per backend): UDP
 * sockets made and driven through the SPI alone, with an {@link OpSlab} and no loop. Message boundaries are kept, a
 * receive names the sender, a datagram larger than the receive is truncated and says so, a connected socket sends
 * without a target, and a close with a receive pending still gets that receive's packet (invariants 1 and 2: every
 * test ends with nothing in flight).
 */
public abstract class DatagramContractTest {
    private static final long T = 10_000; // ms, the bound of every wait

    protected Backend backend;
    protected OpSlab slab;
    private final Map<Op, int[]> unclaimed = new HashMap<>();
    private final List<Long> sockets = new ArrayList<>();
    private final List<Long> memory = new ArrayList<>();
    private static final CompletionHandler NO_HANDLER = (op, bytes, error) -> {};

    /** A new backend of the kind under test. */
    protected abstract Backend newBackend() throws Exception;

    @BeforeEach
    void setUpBackend() throws Exception {
        backend = newBackend();
        slab = new OpSlab();
    }

    @AfterEach
    void tearDownBackend() {
        for (long s : sockets) {
            backend.close(s, false);
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

    private void pollOnce(long timeoutNanos) {
        backend.poll(slab, (op, bytes, error) -> {
            op.markCompleted();
            if (unclaimed.put(op, new int[] {bytes, error}) != null) {
                fail("a second packet for " + op + " before the first was claimed");
            }
        }, timeoutNanos);
    }

    private int[] awaitPacket(Op op) {
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

    private long nativeBuffer(int size) {
        long m = PlatformDependent.allocateMemory(Math.max(size, 1));
        PlatformDependent.setMemory(m, Math.max(size, 1), (byte) 0);
        memory.add(m);
        return m;
    }

    private static String read(long address, int n) {
        byte[] b = new byte[n];
        PlatformDependent.copyMemory(address, b, 0, n);
        return new String(b, StandardCharsets.US_ASCII);
    }

    private long udp(InetAddress ip) throws Exception {
        long s = backend.openUdpSocket(ip.getAddress().length == 16);
        sockets.add(s);
        backend.bind(s, new InetSocketAddress(ip, 0));
        return s;
    }

    private static InetAddress v4() throws Exception {
        return InetAddress.getByName("127.0.0.1");
    }

    /** Sends {@code text} as one datagram and waits for its packet: {bytes, error}, or the submit's error. */
    private int[] sendTo(long socket, String text, InetSocketAddress target) {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        long m = nativeBuffer(b.length);
        PlatformDependent.copyMemory(b, 0, m, b.length);
        Op op = slab.acquire().prepare(OpType.SEND_TO, socket, NO_HANDLER);
        op.addBuffer(m, b.length);
        int error = backend.submitSendTo(op, target);
        backend.submitNow();
        int[] result = error != 0 ? new int[] {0, error} : awaitPacket(op);
        op.release();
        return result;
    }

    private Op submitReceive(long socket, int... bufferSizes) {
        Op op = slab.acquire().prepare(OpType.RECV_FROM, socket, NO_HANDLER);
        for (int size : bufferSizes) {
            op.addBuffer(nativeBuffer(size), size);
        }
        assertEquals(0, backend.submitReceiveFrom(op), "receive submitted");
        backend.submitNow();
        return op;
    }

    private void sentWhole(int[] packet, int length) {
        assertEquals(0, packet[1], () -> "send failed: " + IoError.describe(packet[1]));
        assertEquals(length, packet[0], "a datagram is sent whole");
    }

    // ------------------------------------------------------------------------------------------ the contract

    @Test
    void aDatagramAndItsReplyNameTheirSenders() throws Exception {
        long a = udp(v4());
        long b = udp(v4());
        InetSocketAddress aAt = backend.localAddress(a);
        InetSocketAddress bAt = backend.localAddress(b);
        assertEquals(v4(), aAt.getAddress(), "an IPv4 address comes back as IPv4, not mapped");

        Op atB = submitReceive(b, 64);
        sentWhole(sendTo(a, "hello", bAt), 5);
        int[] p = awaitPacket(atB);
        assertEquals(0, p[1], () -> IoError.describe(p[1]));
        assertEquals("hello", read(atB.bufferAddress(0), p[0]));
        InetSocketAddress from = backend.receivedFrom(atB);
        assertEquals(aAt, from, "the receive names the sender");
        atB.release();

        Op atA = submitReceive(a, 64);
        sentWhole(sendTo(b, "hi back", from), 7);
        int[] q = awaitPacket(atA);
        assertEquals(0, q[1], () -> IoError.describe(q[1]));
        assertEquals("hi back", read(atA.bufferAddress(0), q[0]));
        assertEquals(bAt, backend.receivedFrom(atA));
        atA.release();
    }

    @Test
    void ipv6LoopbackToo() throws Exception {
        InetAddress v6 = InetAddress.getByName("::1");
        long a = udp(v6);
        long b = udp(v6);
        Op atB = submitReceive(b, 64);
        sentWhole(sendTo(a, "six", backend.localAddress(b)), 3);
        int[] p = awaitPacket(atB);
        assertEquals(0, p[1], () -> IoError.describe(p[1]));
        assertEquals("six", read(atB.bufferAddress(0), p[0]));
        assertEquals(backend.localAddress(a), backend.receivedFrom(atB));
        assertEquals(v6, backend.receivedFrom(atB).getAddress());
        atB.release();
    }

    @Test
    void messageBoundariesAreKeptAcrossBuffers() throws Exception {
        long a = udp(v4());
        long b = udp(v4());
        InetSocketAddress bAt = backend.localAddress(b);
        sentWhole(sendTo(a, "first", bAt), 5);
        sentWhole(sendTo(a, "second", bAt), 6);
        sentWhole(sendTo(a, "", bAt), 0);
        Op r = submitReceive(b, 3, 61); // scattered over two buffers: still one datagram per receive
        int[] p = awaitPacket(r);
        assertEquals(0, p[1]);
        assertEquals(5, p[0], "one datagram, not the two that wait");
        assertEquals("fir", read(r.bufferAddress(0), 3));
        assertEquals("st", read(r.bufferAddress(1), 2));
        r.release();
        Op r2 = submitReceive(b, 64);
        int[] q = awaitPacket(r2);
        assertEquals(0, q[1]);
        assertEquals("second", read(r2.bufferAddress(0), q[0]));
        r2.release();
        Op r3 = submitReceive(b, 64);
        int[] e = awaitPacket(r3);
        assertEquals(0, e[1], "an empty datagram is a datagram, not an end");
        assertEquals(0, e[0]);
        assertEquals(backend.localAddress(a), backend.receivedFrom(r3));
        r3.release();
    }

    @Test
    void aDatagramLargerThanTheReceiveIsTruncatedAndSaysSo() throws Exception {
        long a = udp(v4());
        long b = udp(v4());
        InetSocketAddress bAt = backend.localAddress(b);
        sentWhole(sendTo(a, "0123456789", bAt), 10);
        sentWhole(sendTo(a, "next", bAt), 4);
        Op r = submitReceive(b, 4);
        int[] p = awaitPacket(r);
        assertTrue(IoError.is(p[1], ErrorCode.MESSAGE_TOO_LONG), () -> "truncation reported, got "
                + IoError.describe(p[1]));
        assertEquals(4, p[0], "the bytes that fitted are kept");
        assertEquals("0123", read(r.bufferAddress(0), 4));
        assertEquals(backend.localAddress(a), backend.receivedFrom(r), "a truncated datagram names its sender");
        r.release();
        Op r2 = submitReceive(b, 64);
        int[] q = awaitPacket(r2);
        assertEquals(0, q[1], "the rest of the long one is lost, not received as a datagram of its own");
        assertEquals("next", read(r2.bufferAddress(0), q[0]));
        r2.release();
    }

    @Test
    void aConnectedSocketSendsWithoutATargetAndHearsOnlyItsPeer() throws Exception {
        long a = udp(v4());
        long b = udp(v4());
        long stranger = udp(v4());
        InetSocketAddress aAt = backend.localAddress(a);
        InetSocketAddress bAt = backend.localAddress(b);
        backend.connectDatagram(a, bAt);
        assertEquals(bAt, backend.remoteAddress(a));

        Op atB = submitReceive(b, 64);
        sentWhole(sendTo(a, "connected", null), 9);
        int[] p = awaitPacket(atB);
        assertEquals("connected", read(atB.bufferAddress(0), p[0]));
        assertEquals(aAt, backend.receivedFrom(atB));
        atB.release();

        Op atA = submitReceive(a, 64);
        sentWhole(sendTo(stranger, "not for you", aAt), 11); // filtered out: a hears only b
        sentWhole(sendTo(b, "for you", aAt), 7);
        int[] q = awaitPacket(atA);
        assertEquals(0, q[1]);
        assertEquals("for you", read(atA.bufferAddress(0), q[0]));
        assertEquals(bAt, backend.receivedFrom(atA));
        atA.release();

        backend.disconnectDatagram(a);
        int[] unconnected = sendTo(a, "where to?", null);
        // Linux says EDESTADDRREQ (NOT_CONNECTED); Wine's WSASendTo WSAEINVAL. Either way nothing is sent.
        assertTrue(IoError.is(unconnected[1], ErrorCode.NOT_CONNECTED)
                        || IoError.is(unconnected[1], ErrorCode.INVALID_ARGUMENT),
                () -> "a send without a target after disconnect: " + IoError.describe(unconnected[1]));
        Op again = submitReceive(a, 64);
        sentWhole(sendTo(stranger, "anyone", aAt), 6);
        int[] r = awaitPacket(again);
        assertEquals("anyone", read(again.bufferAddress(0), r[0]), "disconnected: it hears anyone again");
        assertEquals(aAt, backend.localAddress(a), "the local address survives the disconnect");
        again.release();
    }

    @Test
    void aDatagramToNobodyIsSentAndLost() throws Exception {
        long a = udp(v4());
        long nobody = udp(v4());
        InetSocketAddress gone = backend.localAddress(nobody);
        backend.close(nobody, false);
        sockets.remove(Long.valueOf(nobody));
        sentWhole(sendTo(a, "lost", gone), 4);
    }

    /**
     * Whether this backend reports an ICMP port-unreachable to a connected UDP socket's receive. Null if it does;
     * otherwise why not (the case is then skipped with that reason).
     */
    protected String whyNoPortUnreachableReports() {
        return null;
    }

    @Test
    void aConnectedSocketLearnsThatNobodyIsThereAndGoesOn() throws Exception {
        String why = whyNoPortUnreachableReports();
        assumeTrue(why == null, why);
        long a = udp(v4());
        long nobody = udp(v4());
        InetSocketAddress gone = backend.localAddress(nobody);
        backend.close(nobody, false);
        sockets.remove(Long.valueOf(nobody));
        backend.connectDatagram(a, gone);
        Op r = submitReceive(a, 64);
        sentWhole(sendTo(a, "anyone?", null), 7);
        int[] p = awaitPacket(r);
        assertTrue(IoError.is(p[1], ErrorCode.REFUSED) || IoError.isReset(p[1]),
                () -> "the port-unreachable fails the receive: " + IoError.describe(p[1]));
        r.release();
        // The socket goes on: connected elsewhere, it receives again.
        long b = udp(v4());
        backend.connectDatagram(a, backend.localAddress(b));
        Op again = submitReceive(a, 64);
        sentWhole(sendTo(b, "still here", backend.localAddress(a)), 10);
        int[] q = awaitPacket(again);
        assertEquals(0, q[1], () -> IoError.describe(q[1]));
        assertEquals("still here", read(again.bufferAddress(0), q[0]));
        again.release();
    }

    @Test
    void closeWithAReceivePendingStillGetsItsPacket() throws Exception {
        long a = udp(v4());
        Op r = submitReceive(a, 64);
        backend.close(a, false);
        sockets.remove(Long.valueOf(a));
        int[] p = awaitPacket(r);
        assertTrue(p[1] != 0, "a receive closed under it fails");
        assertTrue(IoError.isAborted(p[1]) || IoError.is(p[1], ErrorCode.BAD_HANDLE),
                () -> "aborted by the close: " + IoError.describe(p[1]));
        r.release();
    }
}
