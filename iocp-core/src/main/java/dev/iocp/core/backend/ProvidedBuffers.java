package dev.iocp.core.backend;

import java.nio.ByteBuffer;

/**
 * A backend's pool of receive buffers that it picks from when a receive <em>completes</em>, not when it is armed
 * (io_uring: a provided-buffer ring, IORING_REGISTER_PBUF_RING, read with IOSQE_BUFFER_SELECT). A receive waiting
 * on an idle socket therefore names no buffer: the loop's pool of {@link #count()} × {@link #bufferSize()} bytes is
 * the only receive memory, however many connections wait. One pool per backend (per loop); loop thread only.
 *
 * <h2>A buffer's life</h2>
 * <pre>
 *   IN_POOL --a selecting receive's packet names it ({@link Op#selectedBuffer()})--> OUT (the op's owner's)
 *   OUT --{@link #giveBack}: its bytes were delivered, or a held result was consumed--> IN_POOL
 * </pre>
 * While OUT the owner may keep the buffer as long as it likes (a receive held while reading is paused, a buffer a
 * protocol retained); the kernel will not pick it. While IN_POOL it is the kernel's to write at any moment: the
 * owner must not touch it, and {@link #giveBack} refuses a buffer that is not OUT (given back twice, or never
 * handed out): that is how a double give-back is caught before it could let the kernel write into a buffer a
 * protocol still reads.
 *
 * <p>A pool with every buffer OUT makes a selecting receive fail with {@link ErrorCode#NO_BUFFERS} (io_uring's
 * ENOBUFS) having consumed nothing: the bytes are still in the socket, and the owner waits for them another way.
 *
 * <p>Memory: one direct {@link ByteBuffer} holds every buffer, and each buffer is a slice of it; a slice keeps the
 * whole block reachable, so a buffer a protocol still holds after the backend closed stays valid memory. The backend
 * drops its own reference only once no receive can still write into the block ({@link Backend#close()}).
 */
public abstract class ProvidedBuffers {
    private final int count;
    private final int bufferSize;
    private final ByteBuffer block;
    private final ByteBuffer[] views;
    private final long[] addresses;
    /** OUT: handed out by a packet and not given back yet. */
    private final boolean[] out;
    private int outstanding;

    /**
     * @param count how many buffers; more than 0
     * @param bufferSize bytes in each; more than 0
     */
    protected ProvidedBuffers(int count, int bufferSize) {
        if (count <= 0 || bufferSize <= 0) {
            throw new IllegalArgumentException("need count > 0 and bufferSize > 0, got " + count + " x " + bufferSize);
        }
        this.count = count;
        this.bufferSize = bufferSize;
        this.block = ByteBuffer.allocateDirect(Math.multiplyExact(count, bufferSize));
        this.views = new ByteBuffer[count];
        this.addresses = new long[count];
        this.out = new boolean[count];
        long base = io.netty.util.internal.PlatformDependent.directBufferAddress(block);
        for (int id = 0; id < count; id++) {
            views[id] = block.slice(id * bufferSize, bufferSize);
            addresses[id] = base + (long) id * bufferSize;
        }
    }

    /** {@return how many buffers the pool has} */
    public final int count() {
        return count;
    }

    /** {@return the bytes of one buffer: the most one selecting receive can take} */
    public final int bufferSize() {
        return bufferSize;
    }

    /** {@return buffers handed out by packets and not given back yet} */
    public final int outstanding() {
        return outstanding;
    }

    /**
     * {@return at most how many buffers the kernel can still pick: the pool's count less those OUT} (receives whose
     * packets are not dequeued yet may have taken some of these already).
     */
    public final int available() {
        return count - outstanding;
    }

    /**
     * The buffer a packet handed out, cleared (position 0, limit its size). The same object each time for an id: no
     * allocation per receive.
     *
     * @param id a buffer id from {@link Op#selectedBuffer()}, now OUT
     * @return its view
     * @throws IllegalStateException if the buffer is not OUT
     */
    public final ByteBuffer buffer(int id) {
        requireOut(id, "buffer");
        return views[id].clear();
    }

    /**
     * The native address of a buffer (for backends and tests).
     *
     * @param id the buffer id
     * @return its address
     */
    public final long address(int id) {
        return addresses[id];
    }

    /**
     * Gives a buffer back to the kernel: from now on a selecting receive may write into it at any moment.
     *
     * @param id a buffer the caller had from a packet
     * @throws IllegalStateException if it is not OUT: given back twice, or never handed out
     */
    public final void giveBack(int id) {
        requireOut(id, "giveBack");
        out[id] = false;
        outstanding--;
        recycle(id, addresses[id], bufferSize);
    }

    /**
     * Backend: a packet named this buffer (the kernel picked it); its owner is the op's owner from now.
     *
     * @param id the buffer the kernel filled
     * @throws IllegalStateException if it was OUT already: the kernel picked a buffer we never gave back
     */
    public final void handedOut(int id) {
        if (id < 0 || id >= count) {
            throw new IllegalStateException("provided buffer id " + id + " out of range 0.." + (count - 1));
        }
        if (out[id]) {
            throw new IllegalStateException("provided buffer " + id + " handed out twice without a give-back");
        }
        out[id] = true;
        outstanding++;
        taken(id);
    }

    /**
     * The kernel took this buffer from where it picks ({@link #handedOut}): a hook for a backend that refills what
     * it posts (io_uring's ring posts only some of its buffers at a time). By default nothing.
     *
     * @param id the buffer now OUT
     */
    protected void taken(int id) {
    }

    /**
     * The id of a buffer of this pool, derived from its address, so that callers keep no id beside the buffer.
     *
     * @param b a buffer, of this pool or not
     * @return its id if it is one of this pool's buffers as {@link #buffer} handed it out, else -1 (a buffer of
     *         another pool, or a heap buffer)
     */
    public final int idOf(ByteBuffer b) {
        if (!b.isDirect()) {
            return -1;
        }
        long offset = io.netty.util.internal.PlatformDependent.directBufferAddress(b) - addresses[0];
        if (offset < 0 || offset % bufferSize != 0 || offset / bufferSize >= count) {
            return -1;
        }
        int id = (int) (offset / bufferSize);
        return views[id] == b ? id : -1;
    }

    /**
     * Puts a buffer back where the kernel picks from (io_uring: a ring entry and the tail moved).
     *
     * @param id the buffer id
     * @param address its native address
     * @param length its size
     */
    protected abstract void recycle(int id, long address, int length);

    /** {@return the block every buffer is a slice of (the backend keeps it reachable while the kernel may write it)} */
    protected final ByteBuffer block() {
        return block;
    }

    private void requireOut(int id, String what) {
        if (id < 0 || id >= count || !out[id]) {
            throw new IllegalStateException(what + " of provided buffer " + id
                    + ": not handed out (given back twice, or never named by a packet)");
        }
    }
}
