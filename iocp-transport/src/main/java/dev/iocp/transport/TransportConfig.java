package dev.iocp.transport;

/**
 * Per-connection settings. Defaults follow asyncio where it has one (write water marks 64 KiB / 16 KiB) and
 * otherwise what a server wants by default (TCP_NODELAY on; a close deadline so that a peer that never reads can't
 * hold a connection forever).
 *
 * @param receiveBufferSize   bytes one receive can take (the buffer a held receive keeps while paused)
 * @param writeHighWater      {@link Protocol#pauseWriting()} above this many queued bytes
 * @param writeLowWater       {@link Protocol#resumeWriting()} at or below this
 * @param closeTimeoutMillis  deadline of a graceful {@link Transport#close()} before it becomes an abort; 0 = none
 * @param tcpNoDelay          TCP_NODELAY on new connections
 */
public record TransportConfig(int receiveBufferSize, long writeHighWater, long writeLowWater,
                              long closeTimeoutMillis, boolean tcpNoDelay) {

    public static final TransportConfig DEFAULT = new TransportConfig(64 * 1024, 64 * 1024, 16 * 1024, 30_000, true);

    public TransportConfig {
        if (receiveBufferSize <= 0) {
            throw new IllegalArgumentException("receiveBufferSize must be > 0, got " + receiveBufferSize);
        }
        if (writeLowWater < 0 || writeHighWater < writeLowWater) {
            throw new IllegalArgumentException("need 0 <= low <= high, got low=" + writeLowWater + " high=" + writeHighWater);
        }
        if (closeTimeoutMillis < 0) {
            throw new IllegalArgumentException("closeTimeoutMillis must be >= 0, got " + closeTimeoutMillis);
        }
    }

    public TransportConfig withReceiveBufferSize(int bytes) {
        return new TransportConfig(bytes, writeHighWater, writeLowWater, closeTimeoutMillis, tcpNoDelay);
    }

    public TransportConfig withWriteBufferLimits(long high, long low) {
        return new TransportConfig(receiveBufferSize, high, low, closeTimeoutMillis, tcpNoDelay);
    }

    public TransportConfig withCloseTimeoutMillis(long millis) {
        return new TransportConfig(receiveBufferSize, writeHighWater, writeLowWater, millis, tcpNoDelay);
    }
}
