package dev.iocp.transport;

import java.nio.ByteBuffer;
import java.util.Random;

/**
 * Fault injection for direct-memory exhaustion: makes new write-queue chunks fail with the OutOfMemoryError that
 * {@code ByteBuffer.allocateDirect} throws when the JVM's direct memory is used up. For tests in any module.
 */
public final class DirectMemoryPressure {
    private DirectMemoryPressure() {}

    /** An installed pressure: close it to restore the real allocator. */
    public static final class Handle implements AutoCloseable {
        private final java.util.concurrent.atomic.AtomicLong injected = new java.util.concurrent.atomic.AtomicLong();

        /** Chunk allocations failed so far. */
        public long injected() {
            return injected.get();
        }

        @Override
        public void close() {
            WriteQueue.directAllocator = ByteBuffer::allocateDirect;
        }
    }

    /** Until the returned handle is closed, each new chunk fails with probability {@code p} (seeded). */
    public static Handle failChunksWithProbability(double p, long seed) {
        Random random = new Random(seed);
        Handle handle = new Handle();
        WriteQueue.directAllocator = size -> {
            boolean fail;
            synchronized (random) {
                fail = random.nextDouble() < p;
            }
            if (fail) {
                handle.injected.incrementAndGet();
                throw new OutOfMemoryError("Direct buffer memory (injected)");
            }
            return ByteBuffer.allocateDirect(size);
        };
        return handle;
    }
}
