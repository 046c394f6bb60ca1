package dev.iocp.core.backend.uring;

import dev.iocp.core.backend.ProvidedBuffers;
import io.netty.util.internal.PlatformDependent;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

import static dev.iocp.core.backend.uring.IoUringAbi.*;

/**
 * The ring's provided buffers (Linux ≥ 5.19: IORING_REGISTER_PBUF_RING): a ring of {@code struct io_uring_buf}
 * entries in our memory, registered as buffer group {@link #GROUP}, from which a RECV with IOSQE_BUFFER_SELECT takes
 * a buffer at the moment it has bytes to copy. The kernel moves the ring's head as it takes entries; we move the
 * tail as we give buffers back ({@link #recycle}). Since a waiting RECV has not taken a buffer yet (when the socket
 * is empty the kernel puts the buffer back and waits for readiness), an idle connection pins nothing: this pool is
 * all the receive memory the loop has.
 *
 * <h2>Memory and its end</h2>
 * The entries (page-aligned, as the kernel requires) and the buffers are direct ByteBuffers: freed by the garbage
 * collector once unreachable, never explicitly. {@link #release} is the one place the backend lets go of them, and
 * only when the kernel cannot write into them any more: the ring unregistered (the kernel picks no buffer from it)
 * and no selecting receive in flight (one that already picked a buffer may still be copying into it). Otherwise
 * they are parked for the life of the process ({@link #ABANDONED}), as the loop does with a slab whose ops never
 * came back. A buffer a protocol still holds after that is a slice of the block and keeps it reachable.
 *
 * <h2>Few buffers posted, the rest kept hot in a stack</h2>
 * The kernel takes entries in ring order, so a buffer given back waits behind every entry already posted: with all
 * 64 × 64 KiB posted, each receive copied into memory last touched 63 receives earlier, out of the CPU's caches.
 * Measured (async-profiler, 10 connections × 16 KiB, 4 in flight, natively): the kernel's copy into user memory
 * took 2.4× NIO's samples per message with 64 posted and about NIO's with 8 or 16 ({@code bench/RESULTS.md}
 * section 9). So at most {@code postedLimit} buffers are in the ring; the others wait in
 * {@link #spare}, last given back first taken, and one moves into the ring each time the kernel is seen to have
 * taken one ({@link #taken}). The pool's size still bounds what may be OUT at once (buffers held or retained by
 * protocols); the posted limit only bounds what one pass of the kernel can pick before we refill — past it a
 * receive gets ENOBUFS, consuming nothing, and waits for readiness (the same path as an exhausted pool).
 */
final class BufferRing extends ProvidedBuffers {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(BufferRing.class);

    /** Our one buffer group id (bgid): one ring per io_uring instance. */
    static final short GROUP = 0;
    private static final int PAGE = 4096;
    /** Blocks whose kernel use could not be proven over: kept reachable so that no cleaner frees them. */
    private static final java.util.Queue<Object> ABANDONED = new java.util.concurrent.ConcurrentLinkedQueue<>();

    private final IoUringRing ring;
    private final ByteBuffer entriesBlock;
    private final long entries;
    private final int mask;
    /** Our tail: entries [kernel head, tail) are buffers the kernel may pick. Wraps at 2^16, as the kernel's u16. */
    private int tail;
    /** The most buffers published in the ring at once. */
    private final int postedLimit;
    /**
     * Buffers published and not yet seen taken ({@link #taken}); the kernel may have taken some whose CQEs are not
     * reaped yet, so the ring holds at most this many.
     */
    private int posted;
    /** IN_POOL buffers not in the ring: a stack, so the one given back last (warmest in cache) is posted next. */
    private final int[] spare;
    private int spareCount;
    private boolean registered;
    /** Selecting receives submitted whose CQE is not reaped yet (the backend counts up, the CQ reaping down). */
    int selectingInFlight;

    /**
     * Allocates {@code count} buffers of {@code size} bytes and a ring of as many entries, fills it, and registers it.
     *
     * @param count a power of two, at most 32768 (the kernel's limit on a ring's entries)
     * @param postedLimit the most buffers in the ring at once, 1..count
     * @return the ring, or null if the kernel refused the registration (older than 5.19: EINVAL) — then the
     *         backend has no provided buffers
     */
    static BufferRing register(IoUringRing ring, int count, int size, int postedLimit) {
        BufferRing r = new BufferRing(ring, count, size, postedLimit);
        int result = ring.registerBufferRing(r.entries, count, GROUP);
        if (result < 0) {
            logger.debug("IORING_REGISTER_PBUF_RING refused ({}): receives wait for readiness instead",
                    Errno.ERRORS.describe(-result));
            return null; // never registered: the kernel never saw the memory
        }
        r.registered = true;
        return r;
    }

    private BufferRing(IoUringRing ring, int count, int size, int postedLimit) {
        super(count, size);
        if (Integer.bitCount(count) != 1 || count > 32768) {
            throw new IllegalArgumentException("a buffer ring's size is a power of two up to 32768, got " + count);
        }
        if (postedLimit < 1 || postedLimit > count) {
            throw new IllegalArgumentException("posted buffers must be 1.." + count + ", got " + postedLimit);
        }
        this.postedLimit = postedLimit;
        this.spare = new int[count];
        this.ring = ring;
        this.entriesBlock = ByteBuffer.allocateDirect(count * BUF_SIZE + PAGE).alignedSlice(PAGE);
        this.entries = PlatformDependent.directBufferAddress(entriesBlock);
        PlatformDependent.setMemory(entries, (long) count * BUF_SIZE, (byte) 0);
        this.mask = count - 1;
        for (int id = count - 1; id >= postedLimit; id--) {
            spare[spareCount++] = id;
        }
        for (int id = 0; id < postedLimit; id++) {
            put(id, address(id), size);
        }
        posted = postedLimit;
        publish();
    }

    /** {@return how many rings' memory this process keeps because a receive could still write it (for tests)} */
    static int abandonedCount() {
        return ABANDONED.size();
    }

    /** Writes a buffer into the entry at our tail (not visible to the kernel until {@link #publish}). */
    private void put(int id, long address, int length) {
        long e = entries + (long) (tail & mask) * BUF_SIZE;
        PlatformDependent.putLong(e + BUF_ADDR, address);
        PlatformDependent.putInt(e + BUF_LEN, length);
        PlatformDependent.putShort(e + BUF_BID, (short) id);
        tail++;
    }

    /**
     * Moves the ring's tail: a release store, so the kernel (which reads the tail with an acquire load) sees the
     * entries written before it. Only the tail's 16 bits are ours to write; entry 0's other fields are not touched.
     */
    private void publish() {
        VarHandle.releaseFence();
        PlatformDependent.putShort(entries + BUF_RING_TAIL, (short) tail);
    }

    /** The buffer goes back into the ring, at once visible to the kernel, or onto the spare stack if it is full. */
    @Override
    protected void recycle(int id, long address, int length) {
        if (posted < postedLimit) {
            put(id, address, length);
            posted++;
            publish();
        } else {
            spare[spareCount++] = id;
        }
    }

    /** A CQE named a buffer (now OUT): the ring has room for one more, filled from the spare stack's top. */
    @Override
    protected void taken(int id) {
        posted--;
        if (spareCount > 0) {
            int next = spare[--spareCount];
            put(next, address(next), bufferSize());
            posted++;
            publish();
        }
    }

    /** {@return buffers published in the ring and not seen taken (for tests)} */
    int posted() {
        return posted;
    }

    /**
     * The backend's close: unregisters the ring, then lets go of the memory if no selecting receive can still be
     * writing into it ({@code selectingInFlight == 0}), else parks it.
     */
    void release() {
        boolean unregistered = !registered;
        if (registered) {
            int r = ring.unregisterBufferRing(GROUP);
            unregistered = r >= 0;
            if (!unregistered) {
                logger.warn("IORING_UNREGISTER_PBUF_RING failed: {}", Errno.ERRORS.describe(-r));
            }
            registered = false;
        }
        if (!unregistered || selectingInFlight > 0) {
            logger.warn("io_uring closed with {} receives into provided buffers in flight: their {} KiB stay "
                    + "allocated (the kernel may still write them)", selectingInFlight,
                    ((long) count() * bufferSize() + count() * BUF_SIZE) / 1024);
            ABANDONED.add(new Object[] {block(), entriesBlock});
        }
    }
}
