package dev.iocp.transport;

/**
 * Per-connection settings. Defaults follow asyncio where it has one (write water marks 64 KiB / 16 KiB) and
 * otherwise what a server wants by default (TCP_NODELAY on; a close deadline so that a peer that never reads can't
 * hold a connection forever).
 *
 * @param receiveBufferSize   the most bytes one receive takes: a cap, not a reservation — the buffer comes from the
 *                            loop's pool for the receive and goes back after it (in {@link ReceiveMode#BUFFERED},
 *                            a receive in flight or held while paused keeps one)
 * @param writeHighWater      {@link Protocol#pauseWriting()} above this many queued bytes
 * @param writeLowWater       {@link Protocol#resumeWriting()} at or below this
 * @param closeTimeoutMillis  deadline of a graceful {@link Transport#close()} before it becomes an abort; 0 = none
 * @param tcpNoDelay          TCP_NODELAY on new connections
 * @param receiveMode         how a connection waits for data: {@link ReceiveMode}
 * @param keepAlive           TCP keep-alive on new connections ({@link KeepAlive}: by default on, 60 s idle, a probe
 *                            every 10 s, 6 probes): the kernel ends a connection whose peer vanished without a FIN
 *                            or RST; {@link KeepAlive#OFF} for none. The default can be set with the system property
 *                            {@value #KEEP_ALIVE_PROPERTY}
 * @param idleTimeoutMillis   a connection with no receive and no send completed for this long is aborted with an
 *                            {@link IdleTimeoutException} (as Netty's IdleStateHandler or Kestrel's limits would);
 *                            0 = none. The default is 0, or the system property {@value #IDLE_TIMEOUT_PROPERTY}
 */
public record TransportConfig(int receiveBufferSize, long writeHighWater, long writeLowWater,
                              long closeTimeoutMillis, boolean tcpNoDelay, ReceiveMode receiveMode,
                              KeepAlive keepAlive, long idleTimeoutMillis) {

    /** The system property giving {@link #DEFAULT}'s idle timeout in milliseconds (read once, at class load). */
    public static final String IDLE_TIMEOUT_PROPERTY = "iocp.transport.idleTimeoutMillis";

    /** The system property giving {@link #DEFAULT}'s keep-alive: {@code off} or {@code IDLE,INTERVAL,PROBES}. */
    public static final String KEEP_ALIVE_PROPERTY = "iocp.transport.keepAlive";

    /**
     * 64 KiB receives, water marks 64 KiB / 16 KiB, a 30 s close deadline, TCP_NODELAY on, {@link ReceiveMode}'s
     * default, {@link KeepAlive#DEFAULT} (unless {@value #KEEP_ALIVE_PROPERTY} says otherwise), no idle timeout (unless {@value #IDLE_TIMEOUT_PROPERTY} says one): a transport
     * cannot know how long its protocol may legitimately stay silent (the idle benchmark holds 19,000 silent
     * connections), so the deadline is the application's to set.
     */
    public static final TransportConfig DEFAULT = new TransportConfig(64 * 1024, 64 * 1024, 16 * 1024, 30_000, true,
            ReceiveMode.DEFAULT,
            KeepAlive.parse(io.netty.util.internal.SystemPropertyUtil.get(KEEP_ALIVE_PROPERTY, "60,10,6")),
            Math.max(0, io.netty.util.internal.SystemPropertyUtil.getLong(IDLE_TIMEOUT_PROPERTY, 0)));

    /**
     * Checks the settings.
     *
     * @param receiveBufferSize bytes one receive can take; more than 0
     * @param writeHighWater {@link Protocol#pauseWriting()} above this many queued bytes
     * @param writeLowWater {@link Protocol#resumeWriting()} at or below this; {@code 0 <= low <= high}
     * @param closeTimeoutMillis the graceful close's deadline; 0 = none, never negative
     * @param tcpNoDelay TCP_NODELAY on new connections
     * @param receiveMode how a connection waits for data; not null
     * @param keepAlive TCP keep-alive on new connections; not null
     * @param idleTimeoutMillis abort a connection idle this long; 0 = none, never negative
     * @throws IllegalArgumentException if one is out of range
     */
    public TransportConfig {
        java.util.Objects.requireNonNull(receiveMode, "receiveMode");
        java.util.Objects.requireNonNull(keepAlive, "keepAlive");
        if (receiveBufferSize <= 0) {
            throw new IllegalArgumentException("receiveBufferSize must be > 0, got " + receiveBufferSize);
        }
        if (writeLowWater < 0 || writeHighWater < writeLowWater) {
            throw new IllegalArgumentException("need 0 <= low <= high, got low=" + writeLowWater + " high=" + writeHighWater);
        }
        if (closeTimeoutMillis < 0) {
            throw new IllegalArgumentException("closeTimeoutMillis must be >= 0, got " + closeTimeoutMillis);
        }
        if (idleTimeoutMillis < 0) {
            throw new IllegalArgumentException("idleTimeoutMillis must be >= 0, got " + idleTimeoutMillis);
        }
    }

    /**
     * {@return this config with another receive buffer size}
     *
     * @param bytes bytes one receive can take
     */
    public TransportConfig withReceiveBufferSize(int bytes) {
        return new TransportConfig(bytes, writeHighWater, writeLowWater, closeTimeoutMillis, tcpNoDelay,
                receiveMode, keepAlive, idleTimeoutMillis);
    }

    /**
     * {@return this config with other write water marks}
     *
     * @param high the high-water mark, in bytes
     * @param low the low-water mark, in bytes
     */
    public TransportConfig withWriteBufferLimits(long high, long low) {
        return new TransportConfig(receiveBufferSize, high, low, closeTimeoutMillis, tcpNoDelay,
                receiveMode, keepAlive, idleTimeoutMillis);
    }

    /**
     * {@return this config with another close deadline}
     *
     * @param millis the deadline; 0 = none
     */
    public TransportConfig withCloseTimeoutMillis(long millis) {
        return new TransportConfig(receiveBufferSize, writeHighWater, writeLowWater, millis, tcpNoDelay,
                receiveMode, keepAlive, idleTimeoutMillis);
    }

    /**
     * {@return this config with another receive mode}
     *
     * @param mode how a connection waits for data
     */
    public TransportConfig withReceiveMode(ReceiveMode mode) {
        return new TransportConfig(receiveBufferSize, writeHighWater, writeLowWater, closeTimeoutMillis, tcpNoDelay,
                mode, keepAlive, idleTimeoutMillis);
    }

    /**
     * {@return this config with keep-alive on ({@link KeepAlive#DEFAULT}) or off for new connections}
     *
     * @param on whether the kernel probes idle connections
     */
    public TransportConfig withKeepAlive(boolean on) {
        return withKeepAlive(on ? KeepAlive.DEFAULT : KeepAlive.OFF);
    }

    /**
     * {@return this config with another keep-alive for new connections}
     *
     * @param keepAlive the probes' timing, or {@link KeepAlive#OFF}
     */
    public TransportConfig withKeepAlive(KeepAlive keepAlive) {
        return new TransportConfig(receiveBufferSize, writeHighWater, writeLowWater, closeTimeoutMillis, tcpNoDelay,
                receiveMode, keepAlive, idleTimeoutMillis);
    }

    /**
     * {@return this config with another idle timeout}
     *
     * @param millis abort a connection with no receive and no send completed for this long; 0 = none
     */
    public TransportConfig withIdleTimeoutMillis(long millis) {
        return new TransportConfig(receiveBufferSize, writeHighWater, writeLowWater, closeTimeoutMillis, tcpNoDelay,
                receiveMode, keepAlive, millis);
    }
}
