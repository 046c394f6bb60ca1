package dev.iocp.race;

import dev.iocp.transport.Protocol;
import dev.iocp.transport.Transport;

import java.nio.ByteBuffer;

/**
 * The plain echo: what {@code iocp echo} serves (and {@code scripts/echo-check.sh} checks from Python) and what the
 * benchmark measures as the iocp server, one class so that both speak of the same server.
 *
 * <p>Echoes with flow control: a connection whose write buffer rose above the high-water mark (its peer reads slower
 * than it sends) stops being read until the buffer drains — so a peer that floods without reading holds at most
 * a bounded amount of our memory. On the peer's EOF, what is queued is flushed, then the connection closes.
 */
public final class EchoProtocol implements Protocol {
    private Transport transport;

    @Override
    public void connectionMade(Transport t) {
        transport = t;
    }

    /**
     * From this many bytes a message is echoed from the very buffer it arrived in (no copy: {@code retainReceived}
     * + {@code writeOwned}); smaller ones are copied into the write queue's shared chunks, where they coalesce —
     * holding a whole receive buffer for a few bytes until they are sent would cost more than the copy.
     */
    static final int ZERO_COPY_FROM = 4096;

    @Override
    public void dataReceived(ByteBuffer data) {
        echo(transport, data);
    }

    /**
     * Writes {@code data} (the buffer dataReceived was given) back on {@code transport}: in place from
     * {@link #ZERO_COPY_FROM} bytes, else copied. One rule for every echo server here (this one and the race's).
     *
     * @return whether the bytes went back in place (the receive buffer now belongs to the write queue)
     */
    static boolean echo(Transport transport, ByteBuffer data) {
        if (data.remaining() < ZERO_COPY_FROM) {
            transport.write(data);
            return false;
        }
        transport.writeReceived();
        return true;
    }

    @Override
    public void pauseWriting() {
        transport.pauseReading();
    }

    @Override
    public void resumeWriting() {
        transport.resumeReading();
    }

    @Override
    public boolean eofReceived() {
        return false; // the transport flushes what is queued, then closes (FIN)
    }
}
