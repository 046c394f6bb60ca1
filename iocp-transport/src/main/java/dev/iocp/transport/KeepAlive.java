package dev.iocp.transport;

/**
 * TCP keep-alive for a connection: after {@code idleSeconds} without traffic the kernel sends a probe, then one
 * every {@code intervalSeconds}; after {@code probes} unanswered ones it drops the connection, whose
 * {@link Protocol#connectionLost} then names the error. It is what frees a connection whose peer vanished without a
 * FIN or RST (a host switched off, a cable pulled, a NAT that forgot the flow) when nothing is being sent.
 *
 * <p>{@link #DEFAULT} is 60 s idle, probes every 10 s, 6 probes: a vanished peer is found within about two minutes,
 * and the probes keep a connection's flow alive through middleboxes that forget idle flows after a few minutes
 * (Azure's load balancer: 4 minutes by default; AWS's NLB: 350 s). The system's own defaults (2 hours idle on
 * Windows and Linux) find nothing in time. Where the OS refuses the timing options (Windows before 10 1709), the
 * system's timing applies and SO_KEEPALIVE is still on.
 *
 * @param idleSeconds     seconds without traffic before the first probe; 0 = keep-alive off
 * @param intervalSeconds seconds between unanswered probes
 * @param probes          unanswered probes after which the connection is dropped
 */
public record KeepAlive(int idleSeconds, int intervalSeconds, int probes) {
    /** No keep-alive probes. */
    public static final KeepAlive OFF = new KeepAlive(0, 0, 0);

    /** 60 s idle, a probe every 10 s, 6 probes. */
    public static final KeepAlive DEFAULT = new KeepAlive(60, 10, 6);

    /**
     * Checks the values.
     *
     * @param idleSeconds 0 (off) or more
     * @param intervalSeconds at least 1 when on
     * @param probes at least 1 when on
     * @throws IllegalArgumentException if a value is out of range
     */
    public KeepAlive {
        if (idleSeconds < 0 || (idleSeconds > 0 && (intervalSeconds < 1 || probes < 1))) {
            throw new IllegalArgumentException("keep-alive needs idle >= 0, and interval >= 1 and probes >= 1 when on;"
                    + " got idle=" + idleSeconds + " interval=" + intervalSeconds + " probes=" + probes);
        }
    }

    /** {@return whether probes are sent at all} */
    public boolean on() {
        return idleSeconds > 0;
    }

    /**
     * Reads {@code off} or {@code IDLE,INTERVAL,PROBES} (seconds, seconds, count), as the system property
     * {@value TransportConfig#KEEP_ALIVE_PROPERTY} gives it.
     *
     * @param text the setting
     * @return the keep-alive it names
     * @throws IllegalArgumentException if it is neither
     */
    public static KeepAlive parse(String text) {
        String t = text.trim();
        if (t.equalsIgnoreCase("off")) {
            return OFF;
        }
        String[] parts = t.split(",");
        if (parts.length != 3) {
            throw new IllegalArgumentException("keep-alive must be 'off' or IDLE,INTERVAL,PROBES, got '" + text + "'");
        }
        try {
            return new KeepAlive(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()),
                    Integer.parseInt(parts[2].trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("keep-alive must be 'off' or IDLE,INTERVAL,PROBES, got '" + text + "'", e);
        }
    }
}
