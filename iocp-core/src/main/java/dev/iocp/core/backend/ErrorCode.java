package dev.iocp.core.backend;

/**
 * The library's own error vocabulary: what an operating-system error means to the code that reacts to it. Every
 * backend translates its native numbers into these at the point where they enter the SPI (see {@link IoError} and
 * {@link NativeErrors}); the transport decides by these alone, and the native name and number travel alongside
 * for people to read.
 */
public enum ErrorCode {
    /** The peer reset the connection (it sent RST), or a send met a connection it had already reset. */
    RESET,
    /** The op was cancelled, or its socket was closed under it, before it completed. */
    ABORTED,
    /** What was asked for does not exist (any more): e.g. a cancel that came too late, the op had completed. */
    NOT_FOUND,
    /** A connect found nobody listening at the target address. */
    REFUSED,
    /** A bind named an address another socket already holds. */
    ADDRESS_IN_USE,
    /** A bind or connect named an address this host does not have or cannot use. */
    ADDRESS_NOT_AVAILABLE,
    /** The operation (usually a connect, or a keep-alive probe) gave up waiting. */
    TIMED_OUT,
    /** The process or the system is out of file descriptors / socket handles. */
    NO_DESCRIPTORS,
    /** The kernel is out of buffer space or memory for the operation (or a backend's submission ring is full). */
    NO_BUFFERS,
    /** No route to the network (or the network is down). */
    NETWORK_UNREACHABLE,
    /** No route to the host (or the host is down). */
    HOST_UNREACHABLE,
    /** The socket is not connected (a receive, send or address query before connect or after the peer left). */
    NOT_CONNECTED,
    /** A send after this side's own shutdown of sending. */
    SHUT_DOWN,
    /** An argument the kernel refused: a bad length, a bad address, an option it does not take in this state. */
    INVALID_ARGUMENT,
    /** The handle is not (or no longer) an open socket. */
    BAD_HANDLE,
    /** The operation is not permitted (privileged port, policy, a filter). */
    ACCESS_DENIED,
    /** A non-blocking call could not complete now. */
    WOULD_BLOCK,
    /**
     * A datagram did not fit the receive's buffers: the packet carries the bytes that fitted, the rest is lost (or
     * a datagram to send is larger than the protocol allows).
     */
    MESSAGE_TOO_LONG,
    /** Anything else: the native name says what. */
    OTHER
}
