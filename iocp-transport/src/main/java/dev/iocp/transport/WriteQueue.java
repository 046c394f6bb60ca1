package dev.iocp.transport;

import dev.iocp.core.backend.Op;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.internal.PlatformDependent;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * The bytes a connection has accepted for sending and the kernel has not yet confirmed: a FIFO of fixed-size
 * native chunks. Small writes are copied into the tail chunk, so one send gathers many writes (coalescing: on
 * request/response loads it is what lets a completion port beat a readiness selector).
 *
 * <p>Invariant 2 for sends: the bytes a send in flight names (the head of the queue, up to the length it gathered)
 * are neither freed nor moved until its packet arrives; {@link #consume} is only called from that packet, and
 * appending only ever writes past what was gathered. Loop thread only.
 */
final class WriteQueue {
    static final int CHUNK_SIZE = 16 * 1024;

    /**
     * A chunk of native memory with a read and a write index: one of the pool's, or a caller's buffer queued as it
     * is ({@link #appendOwned}: {@code release} set, nothing appended to it, released instead of pooled).
     */
    static final class Chunk {
        /** The chunk's memory; for an owned chunk the caller's buffer, cleared when the shell goes back to the pool. */
        ByteBuffer buffer;
        long address;
        int read;
        int write;
        /** An owned caller's buffer: what gives it back once the kernel no longer reads it. Null: a pool chunk. */
        Runnable release;

        Chunk(ByteBuffer buffer) {
            wrap(buffer);
        }

        private void wrap(ByteBuffer memory) {
            this.buffer = memory;
            this.address = memory == null ? 0 : PlatformDependent.directBufferAddress(memory);
        }

        /** Bytes that may still be appended to this chunk: none to a caller's buffer. */
        int room() {
            return release != null ? 0 : CHUNK_SIZE - write;
        }
    }

    /** Released owned buffers not yet told: run by the owner after the completion's effect is applied. */
    private final ArrayDeque<Runnable> releases = new ArrayDeque<>();

    /**
     * Where new chunks' memory comes from: {@code ByteBuffer.allocateDirect}, which throws OutOfMemoryError when the
     * JVM's direct memory is exhausted. A seam for tests that inject that failure (fault injection); production
     * code never changes it.
     */
    static volatile java.util.function.IntFunction<ByteBuffer> directAllocator = ByteBuffer::allocateDirect;

    /** Free chunks of one loop thread: reused so a write in steady state allocates nothing. */
    private static final class Pool {
        private static final int MAX_RETAINED = 1024; // 16 MiB per loop
        final ArrayDeque<Chunk> free = new ArrayDeque<>();
        /** Chunk objects for owned buffers (no memory of their own): reused, so an owned write allocates nothing. */
        final ArrayDeque<Chunk> shells = new ArrayDeque<>();

        Chunk take() {
            Chunk c = free.poll();
            return c != null ? c : new Chunk(directAllocator.apply(CHUNK_SIZE));
        }

        Chunk takeShell(ByteBuffer owned) {
            Chunk c = shells.poll();
            if (c == null) {
                return new Chunk(owned);
            }
            c.wrap(owned);
            return c;
        }

        void giveShell(Chunk c) {
            c.wrap(null); // the caller's buffer is theirs again: keep no reference to it
            c.read = 0;
            c.write = 0;
            if (shells.size() < MAX_RETAINED) {
                shells.push(c);
            }
        }

        void give(Chunk c) {
            c.read = 0;
            c.write = 0;
            if (free.size() < MAX_RETAINED) {
                free.push(c);
            }
        }
    }

    private static final FastThreadLocal<Pool> POOL = new FastThreadLocal<>() {
        @Override
        protected Pool initialValue() {
            return new Pool();
        }
    };

    /** The queue's chunks, a ring (indexed, so gathering doesn't allocate an iterator). */
    private Chunk[] ring = new Chunk[8];
    private int head;
    private int count;
    private final Pool pool = POOL.get();
    private long size;

    /** {@return chunks the queue holds (0 once drained: they are back in the loop's pool)} */
    int chunkCount() {
        return count;
    }

    long size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /**
     * Queues all of {@code src[offset, offset+length)} or none of it: every chunk the bytes need is taken first, so
     * running out of memory (OutOfMemoryError for direct memory) leaves the queue exactly as it was, and the
     * caller's later writes can never follow a truncated one on the wire.
     */
    void append(byte[] src, int offset, int length) {
        int fill = reserve(length);
        while (length > 0) {
            Chunk c = chunk(fill++);
            int n = Math.min(length, c.room());
            PlatformDependent.copyMemory(src, offset, c.address + c.write, n);
            c.write += n;
            offset += n;
            length -= n;
            size += n;
        }
    }

    /** Like {@link #append(byte[], int, int)} for the buffer's remaining bytes; its position is not moved. */
    void append(ByteBuffer src) {
        int pos = src.position();
        int length = src.remaining();
        int fill = reserve(length);
        while (length > 0) {
            Chunk c = chunk(fill++);
            int n = Math.min(length, c.room());
            c.buffer.put(c.write, src, pos, n);
            c.write += n;
            pos += n;
            length -= n;
            size += n;
        }
    }

    /**
     * Queues a caller's direct buffer as it is, no copy: its bytes from position to limit are sent from it, and
     * {@code release} is due once the kernel has confirmed them all, or the queue is discarded (then see
     * {@link #takeReleases}). Nothing is appended to it afterwards. If queuing it fails (the ring cannot grow:
     * OutOfMemoryError), nothing is queued and the caller still owns the buffer.
     */
    void appendOwned(ByteBuffer src, Runnable release) {
        Chunk c = pool.takeShell(src);
        c.read = src.position();
        c.write = src.limit();
        c.release = release;
        try {
            addChunk(c);
        } catch (Throwable t) {
            c.release = null;
            pool.giveShell(c);
            throw t;
        }
        size += c.write - c.read;
    }

    /**
     * The releases of owned buffers the kernel has let go of since the last call, oldest first: the owner runs them
     * after the packet's effect on its state is applied (they are the caller's code: invariant 4).
     */
    Runnable takeRelease() {
        return releases.poll();
    }

    /** Gives back a chunk the kernel no longer reads: to the pool, or its owner's release (queued). */
    private void recycle(Chunk c) {
        if (c.release != null) {
            releases.add(c.release);
            c.release = null;
            pool.giveShell(c);
        } else {
            pool.give(c);
        }
    }

    /**
     * Makes room for {@code length} more bytes at the tail, adding empty chunks as needed, and returns the index of
     * the first chunk with room. If taking a chunk fails, the chunks added here go back to the pool and the failure
     * propagates: nothing was queued.
     */
    private int reserve(int length) {
        int countBefore = count;
        Chunk tail = count == 0 ? null : chunk(count - 1);
        int fill = tail != null && tail.room() > 0 ? count - 1 : count;
        long room = tail == null ? 0 : tail.room();
        try {
            while (room < length) {
                addChunk(pool.take());
                room += CHUNK_SIZE;
            }
        } catch (Throwable t) {
            while (count > countBefore) {
                count--;
                int last = (head + count) & (ring.length - 1);
                pool.give(ring[last]);
                ring[last] = null;
            }
            throw t;
        }
        return fill;
    }

    private void addChunk(Chunk c) {
        if (count == ring.length) {
            Chunk[] grown = new Chunk[ring.length * 2];
            for (int i = 0; i < count; i++) {
                grown[i] = ring[(head + i) & (ring.length - 1)];
            }
            ring = grown;
            head = 0;
        }
        ring[(head + count) & (ring.length - 1)] = c;
        count++;
    }

    private Chunk chunk(int i) {
        return ring[(head + i) & (ring.length - 1)];
    }

    private Chunk pollFirst() {
        if (count == 0) {
            return null;
        }
        Chunk c = ring[head];
        ring[head] = null;
        head = (head + 1) & (ring.length - 1);
        count--;
        return c;
    }

    /** Adds the queue's head bytes to {@code op} as up to {@link Op#MAX_BUFFERS} buffers; returns how many bytes. */
    int gather(Op op) {
        int total = 0;
        int n = 0;
        for (int i = 0; i < count && n < Op.MAX_BUFFERS; i++) {
            Chunk c = chunk(i);
            int len = c.write - c.read;
            if (len > 0) {
                op.addBuffer(c.address + c.read, len);
                total += len;
                n++;
            }
        }
        return total;
    }

    /** The kernel confirmed {@code n} bytes from the head: drop them, returning emptied chunks to the pool. */
    void consume(int n) {
        if (n > size) {
            throw new IllegalStateException("consume " + n + " of " + size + " queued bytes");
        }
        size -= n;
        while (n > 0) {
            Chunk first = chunk(0);
            int take = Math.min(n, first.write - first.read);
            first.read += take;
            n -= take;
            if (first.read == first.write) { // no send is in flight while we consume: safe to recycle
                // Even the last chunk goes back to the loop's pool: a drained queue keeps no memory, so an idle
                // connection costs no 16 KiB chunk (the pool is a plain stack on the loop thread; the next write
                // takes the same chunk back).
                pollFirst();
                recycle(first);
            }
        }
    }

    /** Drops everything. Only when no send is in flight: the kernel may be reading the head. */
    void discardAll() {
        Chunk c;
        while ((c = pollFirst()) != null) {
            recycle(c);
        }
        size = 0;
    }
}
