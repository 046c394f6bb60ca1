package dev.iocp.core.backend;

import io.netty.util.internal.PlatformDependent;

import java.util.ArrayList;
import java.util.List;

/**
 * A loop's op records: native memory in chunks of {@value #CHUNK_SLOTS} native areas of
 * {@link Op#NATIVE_AREA_SIZE} bytes, and one {@link Op} object per area, created when its chunk is. Growing adds a
 * chunk; nothing is ever moved, so an op's native address stays valid for the op's whole life.
 *
 * <p>Finding an op from its packet: by its id ({@link #byId}, an array index), which a backend carries in its own
 * way (io_uring's user_data; Win32 stores it in the op's native area, beside the OVERLAPPED the packet hands back:
 * one native read). No map lookup, no allocation.
 *
 * <p>Not thread-safe: owned by one loop thread.
 */
public final class OpSlab implements AutoCloseable {
    static final int CHUNK_SLOTS = 256;

    private final List<Long> chunks = new ArrayList<>();
    private Op[] ops = new Op[0];
    private Op[] freeStack = new Op[0];
    private int freeCount;
    int inFlight;
    private int owned;
    private boolean closed;

    /**
     * Takes a free op, OWNED by the caller.
     *
     * @return the op
     * @throws IllegalStateException if every op is in use
     */
    public Op acquire() {
        if (closed) {
            throw new IllegalStateException("op slab is closed");
        }
        if (freeCount == 0) {
            grow();
        }
        Op op = freeStack[--freeCount];
        freeStack[freeCount] = null;
        op.state = Op.State.OWNED;
        owned++;
        return op;
    }

    void free(Op op) {
        op.state = Op.State.FREE;
        owned--;
        freeStack[freeCount++] = op;
    }

    /**
     * {@return the op with this id; {@code id} must be below {@link #capacity()}}
     *
     * @param id an op's {@link Op#id()}
     */
    public Op byId(int id) {
        return ops[id];
    }

    /** {@return ops the kernel currently owns (submitted, packet not yet dequeued)} */
    public int inFlight() {
        return inFlight;
    }

    /** {@return ops not in the free list: in flight, or held by an owner} */
    public int inUse() {
        return owned;
    }

    /** {@return how many ops the slab holds} */
    public int capacity() {
        return ops.length;
    }

    private void grow() {
        long base = PlatformDependent.allocateMemory((long) CHUNK_SLOTS * Op.NATIVE_AREA_SIZE);
        PlatformDependent.setMemory(base, (long) CHUNK_SLOTS * Op.NATIVE_AREA_SIZE, (byte) 0);
        chunks.add(base);
        int first = ops.length;
        Op[] grown = java.util.Arrays.copyOf(ops, first + CHUNK_SLOTS);
        Op[] stack = java.util.Arrays.copyOf(freeStack, first + CHUNK_SLOTS);
        // Push in reverse so the lowest id is handed out first (easier to read in traces).
        for (int i = CHUNK_SLOTS - 1; i >= 0; i--) {
            Op op = new Op(this, first + i, base + (long) i * Op.NATIVE_AREA_SIZE);
            grown[first + i] = op;
            stack[freeCount++] = op;
        }
        ops = grown;
        freeStack = stack;
    }

    /**
     * Frees the native memory. Refused while any op is in flight: the kernel may still write to it (invariant 2).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (inFlight != 0) {
            throw new IllegalStateException(inFlight + " ops still in flight; their memory belongs to the kernel");
        }
        closed = true;
        for (long base : chunks) {
            PlatformDependent.freeMemory(base);
        }
        chunks.clear();
    }
}
