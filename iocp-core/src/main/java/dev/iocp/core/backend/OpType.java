package dev.iocp.core.backend;

/** What an op asks the kernel to do. */
public enum OpType {
    /** A receive into the op's buffers. */
    RECV,
    /** A send gathering the op's buffers. */
    SEND,
    /** An accept on a listening socket. */
    ACCEPT,
    /** An outgoing connect. */
    CONNECT,
    /** A receive of one datagram that also reports its source address. */
    RECV_FROM,
    /** A send of one datagram, to an address or to the connected peer. */
    SEND_TO
}
