package dev.iocp.core.backend;

/** What an op asks the kernel to do. */
public enum OpType {
    RECV,
    SEND,
    ACCEPT,
    CONNECT
}
