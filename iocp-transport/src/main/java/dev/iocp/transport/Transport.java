package dev.iocp.transport;

import dev.iocp.core.backend.SocketOpt;
import dev.iocp.core.loop.IocpEventLoop;
import io.netty.util.concurrent.Future;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * One TCP connection, as its {@link Protocol} sees it. Every method is safe from any thread: a call made off the
 * connection's loop is carried onto it, in call order.
 */
public interface Transport {

    /** {@return the loop that runs this connection's callbacks} */
    IocpEventLoop loop();

    /**
     * Queues bytes for sending; they are copied now, so the caller may reuse its array at once.
     *
     * @throws TransportClosedException after this transport's own {@link #close()}, {@link #abort()} or
     *         {@link #writeEof()} — a mistake the caller could have avoided. A write that races with the peer
     *         (a reset not yet reported) is discarded instead, and {@link Protocol#connectionLost} says why.
     *
     * @param data the bytes
     * @param offset where they start in {@code data}
     * @param length how many
     */
    void write(byte[] data, int offset, int length);

    /**
     * Like {@link #write(byte[], int, int)}, the whole array.
     *
     * @param data the bytes, copied now
     */
    default void write(byte[] data) {
        write(data, 0, data.length);
    }

    /**
     * Like {@link #write(byte[], int, int)}, copying the buffer's remaining bytes (its position is not moved).
     *
     * @param data the bytes, copied now
     */
    void write(ByteBuffer data);

    /**
     * Writes {@code data}'s remaining bytes without copying them: the transport owns the buffer from this call on
     * and sends from it in place, and runs {@code release} (on the loop) exactly once when it no longer needs it —
     * after the kernel confirmed its last byte, or when the connection ends and the queue is discarded, or at once
     * if the write is discarded (the same rules as {@link #write(byte[], int, int)}). Until then the caller must
     * not touch the buffer. For large messages, where the copy costs; small ones are better copied ({@code write}
     * coalesces them into shared chunks: an owned buffer is sent as a buffer of its own).
     *
     * @param data a direct buffer; its position and limit are not moved
     * @param release gives the buffer back (e.g. {@link RetainedBuffer#release()}, a ByteBuf's release)
     * @throws IllegalArgumentException if {@code data} is not direct (the caller keeps it; release is not run)
     * @throws TransportClosedException after this transport's own close(), abort() or writeEof() (the caller
     *         keeps the buffer; release is not run)
     */
    void writeOwned(ByteBuffer data, Runnable release);

    /**
     * Inside {@link Protocol#dataReceived}: keeps the buffer it was given instead of copying from it. The transport
     * receives into another buffer from then on; the protocol gives this one back with
     * {@link RetainedBuffer#release()} (often through {@link #writeOwned}).
     *
     * @return the kept buffer
     * @throws IllegalStateException outside dataReceived, or a second time in one call
     */
    RetainedBuffer retainReceived();

    /**
     * Inside {@link Protocol#dataReceived}: sends what remains of the buffer it was given (position to limit) from
     * that buffer, no copy, and gives the buffer back to the transport once the kernel no longer reads it — what
     * {@code writeOwned(data, retainReceived())} does, without a handle to allocate (an echo or a proxy of large
     * messages). The protocol must not touch the buffer afterwards. Nothing to send, or a write that would be
     * discarded (the connection is ending), leaves the buffer the transport's as after any dataReceived.
     *
     * @throws IllegalStateException outside dataReceived, or after the buffer was retained in this call
     * @throws TransportClosedException after this transport's own close(), abort() or writeEof()
     */
    default void writeReceived() {
        RetainedBuffer kept = retainReceived();
        try {
            writeOwned(kept.buffer(), kept); // the kept buffer is its own release hook
        } catch (RuntimeException refused) {
            kept.release(); // refused: the buffer is still ours to give back
            throw refused;
        }
    }

    /** Half-close: after everything queued is sent, shutdown(SD_SEND); the peer reads EOF. Reading goes on. */
    void writeEof();

    /**
     * Stops delivering data. The receive already in flight is not cancelled (cancelling it is how CPython lost data,
     * bpo-33694): if it completes while paused, its result is held as is — data, EOF or error — and delivered, in
     * order, by {@link #resumeReading()}. Idempotent.
     */
    void pauseReading();

    /**
     * Delivers what was held while paused — on the next loop turn, never inside the caller's own callback — then
     * receives again. Idempotent.
     */
    void resumeReading();

    /** {@return whether reading is on (not paused, not ended)} */
    boolean isReading();

    /**
     * This connection's read-stream counts: pauses, resumes, and receives that completed while paused (held, then
     * delivered on resume — the race window of bpo-33694). Live and read-only; exact when read on {@link #loop()}
     * (e.g. in {@link Protocol#connectionLost}, after which they stop changing), racy elsewhere: see
     * {@link TransportCounters}.
     *
     * @return the counters (the same object for the connection's life)
     */
    TransportCounters counters();

    /**
     * Graceful close: stops delivering data, sends everything queued, sends FIN, then lingers — receiving and
     * discarding what the peer still sends — until the peer's FIN, and closes. (Closing with the peer's bytes unread
     * would turn the FIN into an RST, and the peer's kernel would drop what it had not read of ours yet.) The whole
     * close has one deadline ({@link TransportConfig#closeTimeoutMillis()}): if the queue has not drained by then —
     * a peer that doesn't read — the connection is aborted and {@link Protocol#connectionLost} gets a
     * {@link CloseTimeoutException}; if everything was sent but the peer has not closed, the socket is closed
     * gracefully. Idempotent. Data that arrives after close() — or that was held while reading was paused — is not
     * delivered: the caller chose to stop reading.
     */
    void close();

    /** Abortive close: discards queued writes and resets the connection (SO_LINGER{1,0}: the peer sees RST). */
    void abort();

    /** {@return true once {@link #close()} or {@link #abort()} was called, or the connection was lost} */
    boolean isClosing();

    /** {@return a future that completes (never fails) after {@link Protocol#connectionLost} returned} */
    Future<Void> closeFuture();

    /** {@return bytes queued and not yet handed to the kernel with a completed send} */
    long writeBufferSize();

    /**
     * Sets the water marks: {@link Protocol#pauseWriting()} when the buffer grows above {@code high},
     * {@link Protocol#resumeWriting()} when it drains to {@code low} or below. {@code 0 <= low <= high}.
     *
     * @param high the high-water mark, in bytes
     * @param low the low-water mark, in bytes
     * @throws IllegalArgumentException unless {@code 0 <= low <= high}
     */
    void setWriteBufferLimits(long high, long low);

    /** {@return the high-water mark, in bytes} */
    long writeBufferHigh();

    /** {@return the low-water mark, in bytes} */
    long writeBufferLow();

    /** {@return the connection's local address} */
    InetSocketAddress localAddress();

    /** {@return the peer's address} */
    InetSocketAddress remoteAddress();

    /**
     * Sets a socket option (TCP_NODELAY and SO_KEEPALIVE take 0/1; buffer sizes in bytes).
     *
     * @param option which option
     * @param value its value
     */
    void setOption(SocketOpt option, int value);

    /**
     * Reads a socket option.
     *
     * @param option which option
     * @return its value, in {@link #setOption}'s terms
     */
    int getOption(SocketOpt option);
}
