package dev.iocp.transport;

import dev.iocp.core.backend.ProvidedBuffers;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.concurrent.FastThreadLocal;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Receive buffers of one loop thread, by size: a receive takes one for as long as it needs it (a readiness drain:
 * one call; a buffered receive: submit to delivery, or to resume when held) and gives it back, so the configured
 * receive size is a cap, not memory each connection keeps. Loop thread only.
 *
 * <p>Invariant 2: a buffer named by a receive in flight is never given back; only its packet (or the end of a held
 * result) lets the owner give it back.
 */
final class ReceiveBuffers {
    /** The most free buffers kept per size (64 KiB buffers: 2 MiB a loop); beyond it a buffer given back is dropped. */
    static final int MAX_RETAINED_PER_SIZE = 32;

    private static final FastThreadLocal<ReceiveBuffers> OF_THREAD = new FastThreadLocal<>() {
        @Override
        protected ReceiveBuffers initialValue() {
            return new ReceiveBuffers();
        }
    };

    private final IntObjectHashMap<ArrayDeque<ByteBuffer>> free = new IntObjectHashMap<>();

    /** {@return the pool of the calling (loop) thread} */
    static ReceiveBuffers ofThisThread() {
        return OF_THREAD.get();
    }

    ByteBuffer take(int size) {
        ArrayDeque<ByteBuffer> q = free.get(size);
        ByteBuffer b = q == null ? null : q.poll();
        return b != null ? b.clear() : ByteBuffer.allocateDirect(size);
    }

    void give(ByteBuffer b) {
        ArrayDeque<ByteBuffer> q = free.get(b.capacity());
        if (q == null) {
            q = new ArrayDeque<>();
            free.put(b.capacity(), q);
        }
        if (q.size() < MAX_RETAINED_PER_SIZE) {
            q.push(b);
        }
    }

    /**
     * A received buffer goes back where it came from: the backend's provided buffers ({@code ringId >= 0}, the
     * kernel may write it from now on) or this pool.
     */
    void giveBack(ByteBuffer buffer, ProvidedBuffers ring, int ringId) {
        if (ringId >= 0) {
            ring.giveBack(ringId);
        } else {
            give(buffer);
        }
    }

    /** {@return free buffers of this size (for tests)} */
    int freeCount(int size) {
        ArrayDeque<ByteBuffer> q = free.get(size);
        return q == null ? 0 : q.size();
    }
}
