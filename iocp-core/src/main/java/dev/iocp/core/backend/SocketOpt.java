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
    SO_BROADCAST
}
