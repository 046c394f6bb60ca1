package dev.iocp.core.backend;

/** Socket options the transport exposes; values are ints (booleans as 0/1, sizes in bytes). */
public enum SocketOpt {
    TCP_NODELAY,
    SO_KEEPALIVE,
    SO_RCVBUF,
    SO_SNDBUF,
    SO_REUSEADDR
}
