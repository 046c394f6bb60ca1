package dev.iocp.transport;

import java.nio.ByteBuffer;

/**
 * A received buffer the protocol kept ({@link Transport#retainReceived()}) instead of copying what it needs: the
 * transport no longer reuses it, and {@link #release()} gives it back to the loop's pool. Typically handed on as
 * it is with {@link Transport#writeOwned(ByteBuffer, Runnable) writeOwned(kept.buffer(), kept::release)}: an echo
 * of a large message without a copy.
 */
public final class RetainedBuffer {
    private final ByteBuffer buffer;
    private final Runnable giveBack;
    private boolean released;

    RetainedBuffer(ByteBuffer buffer, Runnable giveBack) {
        this.buffer = buffer;
        this.giveBack = giveBack;
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
        giveBack.run();
    }
}
