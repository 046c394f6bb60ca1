package dev.iocp.core.backend.uring;

import dev.iocp.core.backend.CompletionSink;
import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpSlab;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.backend.ProvidedBuffers;
import dev.iocp.core.testing.LoopTesting;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Receives into the ring's provided buffers (IORING_REGISTER_PBUF_RING, Linux ≥ 5.19) through the SPI alone: the
 * buffer is picked when bytes arrive (a waiting receive pins none), the packet names it, it goes back with
 * {@code giveBack} (twice is refused), an empty ring fails the receive with NO_BUFFERS having consumed nothing, and
 * the ring's memory outlives a backend closed with such receives in flight.
 */
@EnabledOnOs(value = OS.LINUX, disabledReason = "io_uring is Linux-only")
class IoUringProvidedBuffersTest {
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

    record Packet(Op op, int bytes, int error) {}

    private IoUringBackend backend;
    private ProvidedBuffers ring;
    private OpSlab slab;
    private final ArrayDeque<Packet> packets = new ArrayDeque<>();
    private final CompletionSink sink = (op, bytes, error) -> {
        op.markCompleted();
        packets.add(new Packet(op, bytes, error));
    };
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(IoUringBackend.unavailableReason().isEmpty(),
                () -> "io_uring unavailable: " + IoUringBackend.unavailableReason().orElse(""));
        open(2, 64);
    }

    private void open(int count, int size) throws Exception {
        open(count, size, count);
    }

    private void open(int count, int size, int posted) throws Exception {
        if (slab != null) { // a test that opens its own ring: the one setUp opened goes first
            slab.close();
            backend.close();
        }
        backend = new IoUringBackend(64, 256, IoUringBackend.DEFER_TASK_WORK_BY_DEFAULT, count, size, posted);
        slab = new OpSlab();
        ring = backend.providedBuffers();
        assumeTrue(ring != null, () -> "the kernel refused IORING_REGISTER_PBUF_RING (Linux < 5.19?): running "
                + System.getProperty("os.version"));
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        if (slab != null) {
            assertEquals(0, slab.inFlight(), "ops still in flight");
            slab.close();
            backend.close();
        }
    }

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
                fail("no packet for " + op);
            }
            backend.poll(slab, sink, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
        }
    }

    private record Pair(long ours, Socket peer) {
        OutputStream out() throws Exception {
            return peer.getOutputStream();
        }
    }

    private Pair connectedPair() throws Exception {
        ServerSocket ss = new ServerSocket(0, 50, LoopTesting.LOOPBACK_V4);
        closeables.add(ss);
        long s = backend.openTcpSocket(false);
        Op c = slab.acquire().prepare(OpType.CONNECT, s, null);
        assertEquals(0, backend.submitConnect(c, (InetSocketAddress) ss.getLocalSocketAddress()));
        assertEquals(0, await(c).error());
        c.release();
        Socket peer = ss.accept();
        closeables.add(peer);
        return new Pair(s, peer);
    }

    private Op receiveIntoProvided(long socket, int limit) {
        Op op = slab.acquire().prepare(OpType.RECV, socket, null).selectBuffer(limit);
        assertEquals(0, backend.submitRecv(op));
        return op;
    }

    private static String text(ByteBuffer b, int n) {
        byte[] bytes = new byte[n];
        b.get(0, bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    /** The receive's submit reaches the kernel and parks on the empty socket (its first try found nothing). */
    private void letTheKernelArm() {
        backend.submitNow();
        backend.poll(slab, sink, 0);
    }

    @Test
    void thePacketNamesTheBufferTheKernelPickedAndGivingItBackReturnsItToTheRing() throws Exception {
        Pair pair = connectedPair();
        pair.out().write("hello".getBytes(StandardCharsets.US_ASCII));
        Op op = receiveIntoProvided(pair.ours(), 64);
        Packet p = await(op);
        assertEquals(0, p.error(), () -> IoError.describe(p.error()));
        assertEquals(5, p.bytes());
        int id = op.selectedBuffer();
        assertTrue(id >= 0 && id < ring.count(), "buffer id " + id);
        assertEquals(1, ring.outstanding());
        assertEquals("hello", text(ring.buffer(id), 5));
        assertEquals(id, ring.idOf(ring.buffer(id)), "the id is derived back from the buffer");
        assertEquals(-1, ring.idOf(ByteBuffer.allocateDirect(64)), "not one of the pool's");
        assertEquals(-1, ring.idOf(ByteBuffer.allocate(64)), "a heap buffer");
        ring.giveBack(id);
        assertEquals(0, ring.outstanding());
        op.release();
        backend.close(pair.ours(), false);
    }

    @Test
    void theLimitCapsWhatOneReceiveTakesAndTheRestWaitsInTheSocket() throws Exception {
        Pair pair = connectedPair();
        pair.out().write("hello".getBytes(StandardCharsets.US_ASCII));
        Op op = receiveIntoProvided(pair.ours(), 3);
        assertEquals(3, await(op).bytes());
        assertEquals("hel", text(ring.buffer(op.selectedBuffer()), 3));
        ring.giveBack(op.selectedBuffer());
        op.prepare(OpType.RECV, pair.ours(), null).selectBuffer(64);
        assertEquals(0, backend.submitRecv(op));
        assertEquals(2, await(op).bytes());
        assertEquals("lo", text(ring.buffer(op.selectedBuffer()), 2));
        ring.giveBack(op.selectedBuffer());
        op.release();
        backend.close(pair.ours(), false);
    }

    /**
     * A ring of 2 buffers and three connections whose receives all wait: waiting pins nothing, so the two that get
     * bytes first take the two buffers; the third then finds the ring empty and fails with NO_BUFFERS, having
     * consumed nothing — its bytes are still in the socket, for a receive after a buffer came back.
     */
    @Test
    void waitingReceivesPinNoBufferAndAnEmptyRingFailsTheReceiveWithNoBuffersLosingNothing() throws Exception {
        Pair a = connectedPair();
        Pair b = connectedPair();
        Pair c = connectedPair();
        Op ra = receiveIntoProvided(a.ours(), 64);
        Op rb = receiveIntoProvided(b.ours(), 64);
        Op rc = receiveIntoProvided(c.ours(), 64);
        letTheKernelArm();
        assertEquals(0, ring.outstanding(), "three waiting receives, no buffer out");
        b.out().write("bee".getBytes(StandardCharsets.US_ASCII));
        assertEquals(3, await(rb).bytes());
        a.out().write("ay".getBytes(StandardCharsets.US_ASCII));
        assertEquals(2, await(ra).bytes());
        assertEquals(2, ring.outstanding());
        c.out().write("sea".getBytes(StandardCharsets.US_ASCII));
        Packet pc = await(rc);
        assertEquals(ErrorCode.NO_BUFFERS, IoError.code(pc.error()), () -> IoError.describe(pc.error()));
        assertEquals("ENOBUFS (105)", IoError.describe(pc.error()));
        assertEquals(-1, rc.selectedBuffer(), "a receive that found the ring empty names no buffer");
        // Nothing consumed: a receive once a buffer is back takes the very bytes.
        ring.giveBack(rb.selectedBuffer());
        rc.prepare(OpType.RECV, c.ours(), null).selectBuffer(64);
        assertEquals(0, backend.submitRecv(rc));
        assertEquals(3, await(rc).bytes());
        assertEquals("sea", text(ring.buffer(rc.selectedBuffer()), 3));
        ring.giveBack(rc.selectedBuffer());
        ring.giveBack(ra.selectedBuffer());
        assertEquals(0, ring.outstanding());
        for (Op op : List.of(ra, rb, rc)) {
            op.release();
        }
        for (Pair p : List.of(a, b, c)) {
            backend.close(p.ours(), false);
        }
    }

    /** One receive into a fresh provided buffer on a fresh connection: the id the kernel picked, kept OUT. */
    private int receiveOneAndKeep(byte b) throws Exception {
        Pair pair = connectedPair();
        pair.out().write(new byte[] {b});
        Op op = receiveIntoProvided(pair.ours(), 64);
        Packet p = await(op);
        assertEquals(1, p.bytes(), () -> IoError.describe(p.error()));
        int id = op.selectedBuffer();
        op.release();
        backend.close(pair.ours(), false);
        return id;
    }

    /**
     * 8 buffers, at most 2 in the kernel's ring: a buffer given back while the ring is full waits on the spare
     * stack and is the next one posted, ahead of the buffers never used (a ring with all 8 posted would hand out 3
     * there: every buffer in turn, each cold).
     */
    @Test
    void aBufferGivenBackIsPostedAgainBeforeTheUnusedOnes() throws Exception {
        open(8, 64, 2);
        BufferRing buffers = (BufferRing) ring;
        assertEquals(2, buffers.posted());
        int first = receiveOneAndKeep((byte) 1);
        assertEquals(0, first);
        assertEquals(2, buffers.posted(), "the spare stack refilled the ring");
        ring.giveBack(first); // the ring holds 1 and 2: buffer 0 waits on the stack
        assertEquals(2, buffers.posted());
        int second = receiveOneAndKeep((byte) 2); // takes 1; 0 is posted behind 2
        int third = receiveOneAndKeep((byte) 3);
        int fourth = receiveOneAndKeep((byte) 4);
        assertEquals(List.of(1, 2, 0), List.of(second, third, fourth));
        for (int id : List.of(second, third, fourth)) {
            ring.giveBack(id);
        }
        assertEquals(0, ring.outstanding());
    }

    /**
     * Buffers kept OUT beyond the posted limit do not empty the ring while the pool has spares: 4 buffers, 1
     * posted, four receives each kept; only the fifth finds nothing (NO_BUFFERS, nothing consumed).
     */
    @Test
    void buffersKeptBeyondThePostedLimitDoNotStarveTheRingUntilThePoolIsOut() throws Exception {
        open(4, 64, 1);
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            kept.add(receiveOneAndKeep((byte) i));
        }
        assertEquals(4, ring.outstanding());
        assertEquals(List.of(0, 1, 2, 3), kept.stream().sorted().toList());
        Pair pair = connectedPair();
        pair.out().write("z".getBytes(StandardCharsets.US_ASCII));
        Op op = receiveIntoProvided(pair.ours(), 64);
        Packet p = await(op);
        assertEquals(ErrorCode.NO_BUFFERS, IoError.code(p.error()), () -> IoError.describe(p.error()));
        ring.giveBack(kept.get(2));
        op.prepare(OpType.RECV, pair.ours(), null).selectBuffer(64);
        assertEquals(0, backend.submitRecv(op));
        assertEquals(1, await(op).bytes());
        assertEquals(kept.get(2), op.selectedBuffer(), "the one given back is the one posted");
        ring.giveBack(op.selectedBuffer());
        for (int i : List.of(0, 1, 3)) {
            ring.giveBack(kept.get(i));
        }
        op.release();
        backend.close(pair.ours(), false);
    }

    /** The negative control of the give-back check: a second give-back, or one of a buffer never handed out. */
    @Test
    void aBufferGivenBackTwiceOrNeverHandedOutIsRefused() throws Exception {
        Pair pair = connectedPair();
        pair.out().write("x".getBytes(StandardCharsets.US_ASCII));
        Op op = receiveIntoProvided(pair.ours(), 64);
        assertEquals(1, await(op).bytes());
        int id = op.selectedBuffer();
        ring.giveBack(id);
        IllegalStateException twice = assertThrows(IllegalStateException.class, () -> ring.giveBack(id));
        assertTrue(twice.getMessage().contains("given back twice"), twice.getMessage());
        int other = 1 - id;
        assertThrows(IllegalStateException.class, () -> ring.giveBack(other), "never handed out");
        assertThrows(IllegalStateException.class, () -> ring.buffer(id), "a buffer back in the ring is not ours");
        assertEquals(0, ring.outstanding());
        op.release();
        backend.close(pair.ours(), false);
    }

    /** The peer's FIN completes the receive with 0 bytes; a buffer it names (if any) is the owner's to give back. */
    @Test
    void thePeersFinIsZeroBytesAndLeavesNoBufferUnaccountedFor() throws Exception {
        Pair pair = connectedPair();
        Op op = receiveIntoProvided(pair.ours(), 64);
        letTheKernelArm();
        pair.peer().shutdownOutput();
        Packet p = await(op);
        assertEquals(0, p.error(), () -> IoError.describe(p.error()));
        assertEquals(0, p.bytes());
        assertEquals(op.selectedBuffer() >= 0 ? 1 : 0, ring.outstanding());
        if (op.selectedBuffer() >= 0) {
            ring.giveBack(op.selectedBuffer());
        }
        op.release();
        backend.close(pair.ours(), false);
    }

    @Test
    void closingTheSocketCancelsAWaitingReceiveWithoutTakingABuffer() throws Exception {
        Pair pair = connectedPair();
        Op op = receiveIntoProvided(pair.ours(), 64);
        letTheKernelArm();
        backend.close(pair.ours(), false);
        Packet p = await(op);
        assertTrue(IoError.isAborted(p.error()), () -> IoError.describe(p.error()));
        assertEquals(-1, op.selectedBuffer());
        assertEquals(0, ring.outstanding());
        op.release();
    }

    /**
     * Closing the backend while a receive into the ring is still in flight (a loop that gave up waiting): the ring
     * is unregistered, and its memory is kept, not dropped, since that receive may still write into it. Closed with
     * nothing in flight, the memory is let go of.
     */
    @Test
    void closingTheBackendWithAReceiveInFlightKeepsTheRingsMemory() throws Exception {
        Pair pair = connectedPair();
        Op op = receiveIntoProvided(pair.ours(), 64);
        letTheKernelArm();
        int before = BufferRing.abandonedCount();
        backend.close();
        assertEquals(before + 1, BufferRing.abandonedCount());
        slab = null; // its op is still the kernel's: never freed (as the loop's ABANDONED_SLABS)
        LibC.close((int) pair.ours());

        open(2, 64);
        int now = BufferRing.abandonedCount();
        Pair other = connectedPair();
        Op r = receiveIntoProvided(other.ours(), 64);
        backend.close(other.ours(), false);
        await(r);
        r.release();
        slab.close();
        slab = null;
        backend.close();
        assertEquals(now, BufferRing.abandonedCount(), "nothing in flight: nothing kept");
    }

    @Test
    void aBackendAskedForNoRingHasNone() throws Exception {
        try (IoUringBackend none = new IoUringBackend(8, 16, false, 0, 64)) {
            assertNull(none.providedBuffers());
        }
        assertNotNull(ring);
    }

    @Test
    void aRingSizeThatIsNotAPowerOfTwoIsRefusedByNameBeforeAnythingIsMade() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new IoUringBackend(8, 16, false, 3, 64));
        assertTrue(e.getMessage().contains("3 x 64"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new IoUringBackend(8, 16, false, 4, 0));
        assertThrows(IllegalArgumentException.class, () -> new IoUringBackend(8, 16, false, 4, 64, 5),
                "more posted than the pool has");
        assertThrows(IllegalArgumentException.class, () -> new IoUringBackend(8, 16, false, 4, 64, 0));
    }

    /** The buffers are consecutive slices of one block, as registered. */
    @Test
    void theBuffersAreConsecutiveSlicesOfOneBlock() {
        assertEquals(64, ring.bufferSize());
        assertEquals(2, ring.count());
        assertEquals(ring.address(0) + 64, ring.address(1));
    }
}
