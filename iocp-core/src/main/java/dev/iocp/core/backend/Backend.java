package dev.iocp.core.backend;

import java.net.InetSocketAddress;

/**
 * The one seam between the loop/transport and the operating system: one instance per event loop (on Win32, one
 * completion port; on io_uring, one ring). Everything but {@link #wakeup()} is called on the loop thread only.
 *
 * <p>The submit contract, shared by every op kind: {@code submitX(op)} either returns {@code 0}, and then the op is
 * {@link Op.State#IN_FLIGHT} and exactly one packet for it will come out of {@link #poll}; or it returns an error
 * ({@link IoError}), and then no packet will come and the op is still {@link Op.State#OWNED} by the caller. Backends
 * never deliver an immediate success synchronously: a success always comes as a packet, so the loop has one path.
 * Where the OS itself posts no packet for an immediate success (Win32's FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, which
 * the Win32 backend uses), the backend queues the completion ({@link InlineCompletions}) and its next poll hands it
 * out as the packet; the op stays IN_FLIGHT, the backend's, until then.
 *
 * <p>Errors: every error a backend hands out — a failed submit's return value, a packet's error, an
 * {@link IoException} from a synchronous call — is a packed {@link IoError}: the library's {@link ErrorCode}, which
 * callers decide by, plus the native number and its vocabulary, which messages name. Each backend translates its
 * native numbers at the one point where they enter the SPI.
 *
 * <p>Socket handles are {@code long}s whose meaning is the backend's (a SOCKET, an fd, a simulated id).
 */
public interface Backend extends AutoCloseable {

    /**
     * Short name for logs and reports.
     *
     * @return "win32", "simulated" or "io_uring"
     */
    String name();

    /**
     * A new TCP socket of the given family, ready for this backend's ops (on Win32 an overlapped socket associated
     * with the completion port).
     *
     * @param ipv6 an AF_INET6 socket if true, AF_INET if false
     * @return the socket's handle
     * @throws IoException if the operating system refuses (the message names the call and the native error)
     */
    long openTcpSocket(boolean ipv6) throws IoException;

    /**
     * Makes a socket accepted on another backend's listener usable by this backend's ops (on Win32: associates it
     * with this completion port; on io_uring nothing is needed).
     *
     * @param socket the accepted socket
     * @throws IoException if the operating system refuses (the message names the call and the native error)
     */
    void register(long socket) throws IoException;

    /**
     * Binds the socket to a local address.
     *
     * @param socket the socket
     * @param address a resolved address (port 0: any free port)
     * @throws IoException if the operating system refuses (the message names the call and the native error)
     */
    void bind(long socket, InetSocketAddress address) throws IoException;

    /**
     * Makes a bound socket listen.
     *
     * @param socket the bound socket
     * @param backlog the accept queue's length, as the operating system takes it
     * @throws IoException if the operating system refuses (the message names the call and the native error)
     */
    void listen(long socket, int backlog) throws IoException;

    /**
     * The socket's local address (getsockname).
     *
     * @param socket a bound or connected socket
     * @return its address, with the real port when 0 was bound
     * @throws IoException if the operating system refuses (the message names the call and the native error)
     */
    InetSocketAddress localAddress(long socket) throws IoException;

    /**
     * The connected peer's address (getpeername).
     *
     * @param socket a connected socket
     * @return the peer's address
     * @throws IoException if the operating system refuses (the message names the call and the native error)
     */
    InetSocketAddress remoteAddress(long socket) throws IoException;

    /**
     * Sets a socket option.
     *
     * @param socket the socket
     * @param option which option
     * @param value its value (booleans as 0 / 1, sizes in bytes)
     * @throws IoException if the operating system refuses (the message names the call and the native error)
     */
    void setOption(long socket, SocketOpt option, int value) throws IoException;

    /**
     * Reads a socket option.
     *
     * @param socket the socket
     * @param option which option
     * @return its value, in {@link #setOption}'s terms
     * @throws IoException if the operating system refuses (the message names the call and the native error)
     */
    int getOption(long socket, SocketOpt option) throws IoException;

    /**
     * How many received bytes the socket holds that a receive would return at once (FIONREAD). A reader that filled
     * its buffer asks this to know whether another receive will complete now or only when the peer sends more; it
     * is a hint (more may arrive right after), never a reason to drop or delay anything.
     *
     * @param socket a connected socket
     * @return the bytes a receive would return at once
     * @throws IoException if the operating system refuses (the message names the call and the native error)
     */
    int bytesAvailable(long socket) throws IoException;

    /**
     * Shuts down sending (a half-close: Win32 shutdown(SD_SEND), Linux shutdown(SHUT_WR)): the peer will read EOF
     * once it has read everything sent before.
     *
     * @param socket a connected socket
     * @throws IoException if the operating system refuses (the message names the call and the native error)
     */
    void shutdownOutput(long socket) throws IoException;

    /**
     * Closes the socket. {@code abortive} sets SO_LINGER{1,0} first, so the peer sees a reset (RST) instead of
     * a FIN and unsent data is discarded. Ops still in flight on the socket complete with an error packet; their
     * memory stays owned by the kernel until then. Errors are ignored: after close there is nothing to act on.
     *
     * @param socket the socket
     * @param abortive reset the connection instead of closing it gracefully
     */
    void close(long socket, boolean abortive);

    /**
     * A receive into the op's buffers (Win32: WSARecv; io_uring: RECV, or RECVMSG over several buffers). A packet
     * with success and 0 bytes is the peer's FIN.
     *
     * <p><b>A RECV op marked {@link Op#selectBuffer(int)} receives into a provided buffer</b> (only where
     * {@link #providedBuffers()} is not null): it names no buffer, so waiting on an idle socket pins none; when bytes
     * arrive the backend picks a free one of its pool, and the packet (success, {@code bytesTransferred} bytes at the
     * start of it) names it with {@link Op#selectedBuffer()}; the owner gives it back when done with it. 0 bytes is
     * the peer's FIN. With every buffer of the pool out, the packet fails with {@link ErrorCode#NO_BUFFERS} and has
     * consumed nothing (the bytes wait in the socket).
     *
     * <p><b>A RECV op with no buffers (and not selecting one) is a readiness receive</b>: it pins no data buffer and consumes nothing. Its
     * packet comes once the socket has something a receive would return at once — data, the peer's FIN, or an
     * error — and says only that (success, 0 bytes; or the error, such as a reset, where the OS reports it on the
     * probe). The owner then takes the bytes with {@link #receiveNow} into memory of its choosing. Win32: a
     * zero-byte WSARecv (Wine fact 8); io_uring: a one-shot POLL_ADD for POLLIN; simulated: the same model as
     * Win32's. It is cancelled, closed and counted like any op (one packet per successful submit).
     *
     * @param op an OWNED op of type RECV with its socket and buffers (or none: readiness) set
     * @return 0 (a packet will come), or the {@link IoError} why not (no packet will come)
     */
    int submitRecv(Op op);

    /**
     * The pool that receives marked {@link Op#selectBuffer(int)} take their buffer from at completion time, or null
     * if this backend has none — then such a receive must not be submitted, and an owner that wants no buffer pinned
     * while waiting uses a readiness receive. io_uring: a provided-buffer ring where the kernel has one (Linux ≥
     * 5.19) and {@code -Diocp.uring.providedBuffers} is not false; Win32: none (a zero-byte WSARecv is its way); the
     * simulated backend: one if the test asked for it ({@code SimulatedBackend.provideBuffers}).
     *
     * @return the pool, or null
     */
    default ProvidedBuffers providedBuffers() {
        return null;
    }

    /**
     * A synchronous receive that never waits (Win32: recv on the socket, which every backend-made or registered
     * socket has in non-blocking mode; io_uring: recv with MSG_DONTWAIT): what a readiness receive's packet
     * announced. The memory is the caller's and is only touched during the call.
     *
     * @param socket a connected socket with no data receive in flight
     * @param address where the bytes go
     * @param length the most bytes to take; more than 0
     * @return the bytes received (0: the peer's FIN); or, negative, {@code -error}: an {@link IoError} — with
     *         {@link ErrorCode#WOULD_BLOCK} when the socket has nothing now (the readiness was spurious, or another
     *         receive took the bytes first)
     */
    int receiveNow(long socket, long address, int length);

    /**
     * A send gathering the op's buffers (Win32: WSASend; io_uring: SEND or SENDMSG). It may complete short.
     *
     * @param op an OWNED op of type SEND with its socket and buffers set
     * @return 0 (a packet will come), or the {@link IoError} why not (no packet will come)
     */
    int submitSend(Op op);

    /**
     * An accept on the listening socket {@code op.socket()} (Win32: AcceptEx; io_uring: ACCEPT). The backend
     * creates the socket that will be accepted (Win32), or learns it from the packet (io_uring, where the kernel
     * creates it), and records it with {@link Op#acceptSocket(long)}.
     *
     * <p>The accepted socket has exactly one owner at each moment. Until the ACCEPT packet it is the backend's: a
     * submit that fails closes whatever it prepared and leaves {@code acceptSocket()} 0. From the packet on it is the
     * op owner's, whatever the packet says: after a failed packet the owner closes {@code acceptSocket()} if it is
     * not 0; after a successful one it calls {@link #finishAccept}, and if that throws, the socket is still open and
     * still the owner's to close — no backend ever closes it behind the owner (a second closesocket of the same
     * handle value could close an unrelated socket that reused it).
     *
     * @param op an OWNED op of type ACCEPT whose socket is the listener
     * @return 0 (a packet will come), or the {@link IoError} why not (no packet will come)
     */
    int submitAccept(Op op);

    /**
     * After a successful ACCEPT packet: finishes the accepted socket (Win32: SO_UPDATE_ACCEPT_CONTEXT; io_uring:
     * nothing) and returns it, not
     * yet registered with any port (the caller {@link #register registers} it with the loop that will own it). If it
     * throws, the accepted socket is left open, for the caller to close (see {@link #submitAccept}).
     *
     * @param op the ACCEPT op whose packet reported success
     * @return the accepted socket
     * @throws IoException if the operating system refuses (the message names the call and the native error)
     */
    long finishAccept(Op op) throws IoException;

    /**
     * A connect to {@code remote} (Win32: ConnectEx, binding the socket to the wildcard address first if needed;
     * io_uring: CONNECT). A refusal comes as the packet's error, not as the submit's.
     *
     * @param op an OWNED op of type CONNECT whose socket is open and not connected
     * @param remote the resolved address to connect to
     * @return 0 (a packet will come), or the {@link IoError} why not (no packet will come)
     */
    int submitConnect(Op op, InetSocketAddress remote);

    /**
     * After a successful CONNECT packet: finishes the socket so that shutdown and the address queries work (Win32:
     * SO_UPDATE_CONNECT_CONTEXT; io_uring: nothing).
     *
     * @param op the CONNECT op whose packet reported success
     * @throws IoException if the operating system refuses (the message names the call and the native error)
     */
    void finishConnect(Op op) throws IoException;

    /**
     * Requests cancellation of an IN_FLIGHT op. Only a request (invariant 1): the op's packet still comes and
     * is the truth about what happened.
     *
     * @param op the op to cancel
     * @return what the request achieved: it never completes the op
     */
    CancelResult cancel(Op op);

    /**
     * Dequeues one batch of packets, waiting at most {@code timeoutNanos} for the first ({@code 0}: don't wait;
     * negative: wait until a packet or a {@link #wakeup()}), and hands every op packet to {@code sink} in port order.
     * Wake-up packets are consumed silently.
     *
     * @param slab the slab the ops come from (a packet names its op by id)
     * @param sink receives every op packet
     * @param timeoutNanos how long to wait for the first packet
     * @return the number of op packets handed to the sink
     */
    int poll(OpSlab slab, CompletionSink sink, long timeoutNanos);

    /** Makes a current or next {@link #poll} return. Safe from any thread. */
    void wakeup();

    /**
     * Hands the kernel every submission made so far. A submit is accepted at once on every backend, but io_uring
     * queues its SQEs until the next {@link #poll} (one system call per batch); a caller that must know the kernel
     * has an op now (a Netty flush, after which Netty code may block its loop) calls this. A no-op where submits
     * reach the kernel at once (Win32, simulated).
     */
    default void submitNow() {}

    // ------------------------------------------------------------------------------------------ datagrams

    /**
     * A new UDP socket of the given family, ready for the datagram ops (on Win32 an overlapped socket associated with
     * the completion port, with SIO_UDP_CONNRESET off). Sockets follow the same dual-stack convention as
     * {@link #openTcpSocket}: where the backend makes AF_INET6 sockets with IPV6_V6ONLY off, IPv4 addresses are given
     * to them IPv4-mapped and come back as IPv4 ones.
     *
     * @param ipv6 an AF_INET6 socket if true, AF_INET if false
     * @return the socket's handle
     * @throws IoException if the operating system refuses (the message names the call and the native error)
     * @throws UnsupportedOperationException if this backend has no datagram sockets
     */
    default long openUdpSocket(boolean ipv6) throws IoException {
        throw new UnsupportedOperationException(name() + " backend: no datagram sockets");
    }

    /**
     * A receive of one datagram into the op's buffers that also learns its source address (Win32: WSARecvFrom;
     * io_uring: RECVMSG), which the backend writes into the op's native area: the kernel's from the submit until the
     * packet (invariant 2). The packet's bytes are the datagram's (0 is an empty datagram, not an end). A datagram
     * larger than the buffers is truncated: the packet carries the bytes that fitted <em>and</em> the error
     * {@link ErrorCode#MESSAGE_TOO_LONG} (Winsock's WSAEMSGSIZE, io_uring's MSG_TRUNC); the rest is lost, as the
     * operating system loses it. After a packet with bytes (truncated or not) {@link #receivedFrom} names the
     * sender. On a connected socket an ICMP port-unreachable for an earlier send may fail the receive with
     * {@link ErrorCode#REFUSED} (Linux; Win32 turns that report off, see {@link #openUdpSocket}); the socket stays
     * usable.
     *
     * @param op an OWNED op of type RECV_FROM with its socket and buffers set (at least one byte of room)
     * @return 0 (a packet will come), or the {@link IoError} why not (no packet will come)
     */
    default int submitReceiveFrom(Op op) {
        throw new UnsupportedOperationException(name() + " backend: no datagram sockets");
    }

    /**
     * After a RECV_FROM packet that reported bytes (success, or {@link ErrorCode#MESSAGE_TOO_LONG}): the address the
     * datagram came from, as the kernel wrote it into the op's native area.
     *
     * @param op the RECV_FROM op, OWNED again after its packet
     * @return the sender's address
     */
    default InetSocketAddress receivedFrom(Op op) {
        throw new UnsupportedOperationException(name() + " backend: no datagram sockets");
    }

    /**
     * A send of one datagram gathering the op's buffers (Win32: WSASendTo; io_uring: SENDMSG), to {@code target},
     * encoded into the op's native area; with {@code target} null, to the connected peer. A datagram is sent whole
     * or not at all: a packet with success carries its full length.
     *
     * @param op an OWNED op of type SEND_TO with its socket and buffers set
     * @param target a resolved address, or null on a connected socket
     * @return 0 (a packet will come), or the {@link IoError} why not (no packet will come)
     */
    default int submitSendTo(Op op, InetSocketAddress target) {
        throw new UnsupportedOperationException(name() + " backend: no datagram sockets");
    }

    /**
     * Connects a UDP socket (synchronous: no packet is exchanged): from now on it sends to {@code remote} when a send
     * names no target, and receives only what {@code remote} sends.
     *
     * @param socket a UDP socket
     * @param remote a resolved address
     * @throws IoException if the operating system refuses (the message names the call and the native error)
     */
    default void connectDatagram(long socket, InetSocketAddress remote) throws IoException {
        throw new UnsupportedOperationException(name() + " backend: no datagram sockets");
    }

    /**
     * Dissolves a UDP socket's association with its peer (a connect to AF_UNSPEC / the null address): it receives
     * from anyone again, and keeps its local address.
     *
     * @param socket a connected UDP socket
     * @throws IoException if the operating system refuses (the message names the call and the native error)
     */
    default void disconnectDatagram(long socket) throws IoException {
        throw new UnsupportedOperationException(name() + " backend: no datagram sockets");
    }

    /** Closes the backend (the completion port, the ring). The caller has already waited for every op packet. */
    @Override
    void close();
}
