package dev.iocp.transport;

import dev.iocp.core.backend.ProvidedBuffers;
import io.netty.util.concurrent.EventExecutor;

import java.nio.ByteBuffer;
import java.util.concurrent.RejectedExecutionException;

/**
 * A received buffer the protocol kept ({@link Transport#retainReceived()}) instead of copying what it needs: the
 * transport no longer reuses it, and {@link #release()} gives it back to the loop's pool. Typically handed on as
 * it is with {@link Transport#writeOwned(ByteBuffer, Runnable) writeOwned(kept.buffer(), kept)}: an echo of a large
 * message without a copy. It is its own release hook ({@link #run()} is {@link #release()}), so handing it on
 * allocates nothing.
 */
public final class RetainedBuffer implements Runnable {
    private final ByteBuffer buffer;
    /** Where the buffer goes back: the loop's receive-buffer pool, or (ringId >= 0) the backend's provided buffers. */
    private final ReceiveBuffers pool;
    private final ProvidedBuffers ring;
    private final int ringId;
    private final EventExecutor loop;
    /** A layer's own give-back (the TLS layer's decrypt buffers), run on the releasing thread; null: pool or ring. */
    private final Runnable layerGiveBack;
    private boolean released;

    RetainedBuffer(ByteBuffer buffer, ReceiveBuffers pool, ProvidedBuffers ring, int ringId, EventExecutor loop) {
        this.buffer = buffer;
        this.pool = pool;
        this.ring = ring;
        this.ringId = ringId;
        this.loop = loop;
        this.layerGiveBack = null;
    }

    /** A buffer of a layer above the plain transport, which gives it back its own way (from any thread). */
    RetainedBuffer(ByteBuffer buffer, Runnable layerGiveBack) {
        this.buffer = buffer;
        this.pool = null;
        this.ring = null;
        this.ringId = -1;
        this.loop = null;
        this.layerGiveBack = layerGiveBack;
    }

    /** {@return the buffer, as dataReceived had it (position and limit around the bytes received)} */
    public ByteBuffer buffer() {
        return buffer;
    }

    /**
     * Gives the buffer back to its loop's pool; from any thread (it hops onto the loop). The buffer must not be
     * touched afterwards.
     *
     * @throws IllegalStateException on a second call
     */
    public void release() {
        synchronized (this) {
            if (released) {
                throw new IllegalStateException("retained receive buffer released twice");
            }
            released = true;
        }
        if (layerGiveBack != null) {
            layerGiveBack.run();
        } else if (loop.inEventLoop()) {
            giveBack();
        } else {
            try {
                loop.execute(this::giveBack);
            } catch (RejectedExecutionException e) {
                // the loop is gone: the buffer is left to the garbage collector (its cleaner frees it)
            }
        }
    }

    private void giveBack() {
        pool.giveBack(buffer, ring, ringId);
    }

    /** The same as {@link #release()}: so that the buffer can be {@code writeOwned}'s release hook as it is. */
    @Override
    public void run() {
        release();
    }
}
