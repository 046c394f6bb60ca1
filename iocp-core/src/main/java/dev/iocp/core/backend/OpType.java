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
    CONNECT
}
