package dev.iocp.core.backend;

import dev.iocp.core.win32.Win32Exception;

import java.net.InetSocketAddress;

/**
 * The one seam between the loop/transport and the operating system: one instance per event loop (on Win32, one
 * completion port). Everything but {@link #wakeup()} is called on the loop thread only.
 *
 * <p>The submit contract, shared by every op kind: {@code submitX(op)} either returns {@code 0}, and then the op is
 * {@link Op.State#IN_FLIGHT} and exactly one packet for it will come out of {@link #poll}; or it returns a Win32 error
 * number, and then no packet will come and the op is still {@link Op.State#OWNED} by the caller. Backends never
 * deliver an immediate success synchronously: a success always comes as a packet, so the loop has one path.
 *
 * <p>Socket handles are {@code long}s whose meaning is the backend's (a SOCKET, an fd, a simulated id).
 */
public interface Backend extends AutoCloseable {

    /** Short name for logs and reports ("win32", "simulated", "io_uring"). */
    String name();

    /** A new overlapped TCP socket of the given family, associated with this backend's port. */
    long openTcpSocket(boolean ipv6) throws Win32Exception;

    /** Associates a socket accepted on another backend's listener with this backend's port. */
    void register(long socket) throws Win32Exception;

    void bind(long socket, InetSocketAddress address) throws Win32Exception;

    void listen(long socket, int backlog) throws Win32Exception;

    InetSocketAddress localAddress(long socket) throws Win32Exception;

    InetSocketAddress remoteAddress(long socket) throws Win32Exception;

    void setOption(long socket, SocketOpt option, int value) throws Win32Exception;

    int getOption(long socket, SocketOpt option) throws Win32Exception;

    /** shutdown(SD_SEND): the peer will read EOF once it has read everything sent before. */
    void shutdownOutput(long socket) throws Win32Exception;

    /**
     * Closes the socket. {@code abortive} sets SO_LINGER{1,0} first, so the peer sees a reset (RST) instead of
     * a FIN and unsent data is discarded. Ops still in flight on the socket complete with an error packet; their
     * memory stays owned by the kernel until then. Errors are ignored: after close there is nothing to act on.
     */
    void close(long socket, boolean abortive);

    /** WSARecv into the op's buffers. */
    int submitRecv(Op op);

    /** WSASend gathering the op's buffers. */
    int submitSend(Op op);

    /**
     * AcceptEx on the listening socket {@code op.socket()}. The backend creates the socket that will be accepted (or,
     * where the kernel creates it, learns it from the packet) and records it with {@link Op#acceptSocket(long)}.
     *
     * <p>The accepted socket has exactly one owner at each moment. Until the ACCEPT packet it is the backend's: a
     * submit that fails closes whatever it prepared and leaves {@code acceptSocket()} 0. From the packet on it is the
     * op owner's, whatever the packet says: after a failed packet the owner closes {@code acceptSocket()} if it is
     * not 0; after a successful one it calls {@link #finishAccept}, and if that throws, the socket is still open and
     * still the owner's to close — no backend ever closes it behind the owner (a second closesocket of the same
     * handle value could close an unrelated socket that reused it).
     */
    int submitAccept(Op op);

    /**
     * After a successful ACCEPT packet: finishes the accepted socket (SO_UPDATE_ACCEPT_CONTEXT) and returns it, not
     * yet registered with any port (the caller {@link #register registers} it with the loop that will own it). If it
     * throws, the accepted socket is left open, for the caller to close (see {@link #submitAccept}).
     */
    long finishAccept(Op op) throws Win32Exception;

    /** ConnectEx to {@code remote}; binds the socket to the wildcard address first if needed. */
    int submitConnect(Op op, InetSocketAddress remote);

    /** After a successful CONNECT packet: SO_UPDATE_CONNECT_CONTEXT, so shutdown/getpeername work. */
    void finishConnect(Op op) throws Win32Exception;

    /**
     * Requests cancellation of an IN_FLIGHT op. Only a request (invariant 1): the op's packet still comes and
     * is the truth about what happened.
     */
    CancelResult cancel(Op op);

    /**
     * Dequeues one batch of packets, waiting at most {@code timeoutNanos} for the first ({@code 0}: don't wait;
     * negative: wait until a packet or a {@link #wakeup()}), and hands every op packet to {@code sink} in port order.
     * Wake-up packets are consumed silently.
     *
     * @return the number of op packets handed to the sink
     */
    int poll(OpSlab slab, CompletionSink sink, long timeoutNanos);

    /** Makes a current or next {@link #poll} return. Safe from any thread. */
    void wakeup();

    /** Closes the port. The caller has already waited for every op packet. */
    @Override
    void close();
}
