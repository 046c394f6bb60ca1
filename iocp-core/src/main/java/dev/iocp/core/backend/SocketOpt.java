package dev.iocp.core.backend;

/** Socket options the transport exposes; values are ints (booleans as 0/1, sizes in bytes). */
public enum SocketOpt {
    /** Nagle's algorithm off (1) or on (0). */
    TCP_NODELAY,
    /** TCP keep-alive probes on (1) or off (0). */
    SO_KEEPALIVE,
    /** The kernel's receive buffer, in bytes. */
    SO_RCVBUF,
    /** The kernel's send buffer, in bytes. */
    SO_SNDBUF,
    /** Address reuse on bind on (1) or off (0). */
    SO_REUSEADDR,
    /** Sending datagrams to a broadcast address allowed (1) or not (0). */
    SO_BROADCAST,
    /**
     * Seconds a connection is idle before the first keep-alive probe (Linux TCP_KEEPIDLE; Windows TCP_KEEPALIVE,
     * from Windows 10 1709; before that only the registry's system-wide value applies and setting it fails).
     */
    TCP_KEEPIDLE,
    /** Seconds between unanswered keep-alive probes (TCP_KEEPINTVL; Windows 10 1709 and later). */
    TCP_KEEPINTVL,
    /** Unanswered keep-alive probes after which the connection is dropped (TCP_KEEPCNT; Windows 10 1703 and later). */
    TCP_KEEPCNT;

    /** {@return whether the option is a TCP-level one (IPPROTO_TCP), not a socket-level one (SOL_SOCKET)} */
    public boolean tcpLevel() {
        return this == TCP_NODELAY || this == TCP_KEEPIDLE || this == TCP_KEEPINTVL || this == TCP_KEEPCNT;
    }
}
