package dev.iocp.core.backend.sim;

import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.win32.Win32Error;
import dev.iocp.core.backend.IoException;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A deterministic in-memory TCP network shared by {@link SimulatedBackend}s (one per loop) and {@link SimPeer}s
 * (endpoints a test drives by hand). It models what the transport depends on: streams with a receive window (a
 * peer that stops reading makes sends stay pending), FIN, RST, listeners with a backlog, and the completion
 * rules of Winsock overlapped I/O:
 * <ul>
 *   <li>an op completes by a packet on its socket's port, never synchronously;</li>
 *   <li>a receive completes as soon as data, FIN or RST is there — so data that arrives while a cancel is
 *       being decided has already completed the op, and the cancel answers NOT_FOUND (the bpo-33694 interleaving,
 *       which {@link SimulatedBackend#holdPackets(boolean)} can stretch as long as a test likes);</li>
 *   <li>closing a socket completes its pending ops with ERROR_OPERATION_ABORTED.</li>
 * </ul>
 * One lock guards everything: the simulation trades concurrency for being easy to reason about.
 */
public final class SimulatedNetwork {
    /** Default receive window of a simulated socket, in bytes. */
    public static final int DEFAULT_WINDOW = 64 * 1024;

    final ReentrantLock lock = new ReentrantLock();
    /** Sockets by id - FIRST_SOCKET_ID (an array, not a map: a lookup per op must not box a long). */
    private SimSocket[] sockets = new SimSocket[256];
    private static final long FIRST_SOCKET_ID = 1000;
    private final Map<InetSocketAddress, SimSocket> listeners = new HashMap<>();
    /** Bound UDP sockets by their local address (the wildcard one as {@code ::}, see {@link #bind}). */
    private final Map<InetSocketAddress, SimSocket> datagramBindings = new HashMap<>();
    private long nextSocketId = FIRST_SOCKET_ID;
    private int nextEphemeralPort = 49152;
    private int defaultWindow = DEFAULT_WINDOW;

    /** The network every {@code new SimulatedBackend()} joins unless given another. */
    private static final SimulatedNetwork SHARED = new SimulatedNetwork();

    /** {@return the network every {@code new SimulatedBackend()} joins} */
    public static SimulatedNetwork shared() {
        return SHARED;
    }

    /**
     * Receive window for sockets created from now on.
     *
     * @param bytes the window, in bytes
     */
    public void defaultWindow(int bytes) {
        lock.lock();
        try {
            defaultWindow = bytes;
        } finally {
            lock.unlock();
        }
    }

    Condition newCondition() {
        return lock.newCondition();
    }

    SimSocket newSocket(boolean ipv6, SimulatedBackend owner) {
        SimSocket s = new SimSocket(nextSocketId++, ipv6, defaultWindow);
        s.owner = owner;
        int index = (int) (s.id - FIRST_SOCKET_ID);
        if (index >= sockets.length) {
            sockets = java.util.Arrays.copyOf(sockets, sockets.length * 2);
        }
        sockets[index] = s;
        return s;
    }

    SimSocket socket(long id, String call) throws IoException {
        SimSocket s = socketOrNull(id);
        if (s == null || s.state == SimSocket.State.CLOSED) {
            throw SimulatedBackend.failure(call, Win32Error.WSAENOTSOCK);
        }
        return s;
    }

    SimSocket socketOrNull(long id) {
        long index = id - FIRST_SOCKET_ID;
        return index >= 0 && index < sockets.length ? sockets[(int) index] : null;
    }

    private void forget(SimSocket s) {
        sockets[(int) (s.id - FIRST_SOCKET_ID)] = null;
    }

    /**
     * Binds as the real backends' dual-stack sockets do: the IPv4 wildcard {@code 0.0.0.0} is the IPv6 one,
     * {@code ::}, which accepts both families ({@link #findListener}) and is what the socket then reports.
     */
    void bind(SimSocket s, InetSocketAddress address) throws IoException {
        if (s.local != null) {
            throw SimulatedBackend.failure("bind " + address, Win32Error.WSAEINVAL);
        }
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("unresolved address " + address); // as the real backends' encoders
        }
        InetAddress ip = address.getAddress().isAnyLocalAddress() ? anyLocal(true) : address.getAddress();
        InetSocketAddress a = new InetSocketAddress(ip, address.getPort() != 0 ? address.getPort() : nextEphemeralPort++);
        if (s.datagram ? datagramBindings.containsKey(a) : listeners.containsKey(a)) {
            throw SimulatedBackend.failure("bind " + address, Win32Error.WSAEADDRINUSE);
        }
        s.local = a;
        if (s.datagram) {
            datagramBindings.put(a, s);
        }
    }

    void listen(SimSocket s) throws IoException {
        if (s.local == null) {
            throw SimulatedBackend.failure("listen", Win32Error.WSAEINVAL);
        }
        s.state = SimSocket.State.LISTENING;
        listeners.put(s.local, s);
    }

    private SimSocket findListener(InetSocketAddress remote) {
        SimSocket l = listeners.get(remote);
        if (l == null) {
            // A listener bound to the wildcard address (dual-stack, see bind) accepts on every local address of
            // either family.
            l = listeners.get(new InetSocketAddress(anyLocal(true), remote.getPort()));
        }
        return l != null && l.state == SimSocket.State.LISTENING ? l : null;
    }

    private static InetAddress anyLocal(boolean v6) {
        try {
            return InetAddress.getByAddress(new byte[v6 ? 16 : 4]);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Connects {@code client} to the listener at {@code remote}. Returns 0 and completes {@code connectOp} (if any)
     * with a packet, or returns WSAECONNREFUSED when nobody listens there.
     */
    int connect(SimSocket client, InetSocketAddress remote, Op connectOp) {
        SimSocket listener = findListener(remote);
        if (listener == null) {
            if (connectOp != null) {
                complete(client, connectOp, 0, Win32Error.WSAECONNREFUSED);
            }
            return Win32Error.WSAECONNREFUSED;
        }
        if (client.local == null) {
            client.local = new InetSocketAddress(remote.getAddress(), nextEphemeralPort++);
        }
        SimSocket server = newSocket(client.ipv6, null);
        server.local = remote;
        server.remote = client.local;
        server.state = SimSocket.State.CONNECTED;
        client.remote = remote;
        client.state = SimSocket.State.CONNECTED;
        client.peer = server;
        server.peer = client;
        if (connectOp != null) {
            complete(client, connectOp, 0, 0);
        }
        Op accept = listener.pendingAccepts.poll();
        if (accept != null) {
            accept.acceptSocket(server.id);
            complete(listener, accept, 0, 0);
        } else {
            listener.backlog.add(server);
            peerChanged.signalAll();
        }
        return 0;
    }

    void submitAccept(SimSocket listener, Op op) {
        SimSocket waiting = listener.backlog.poll();
        if (waiting != null) {
            op.acceptSocket(waiting.id);
            complete(listener, op, 0, 0);
        } else {
            listener.pendingAccepts.add(op);
        }
    }

    /** A receive: completes now if data, FIN or RST is there, else waits in {@link SimSocket#pendingRecv}. */
    void submitRecv(SimSocket s, Op op) {
        if (!tryCompleteRecv(s, op)) {
            s.pendingRecv = op;
        }
    }

    /**
     * A waiting receive completes once data, FIN or RST is there. A readiness receive (no buffers, Win32's zero-byte
     * WSARecv) completes the same way with 0 bytes and consumes nothing: the bytes stay for {@link #receiveNow}.
     */
    private boolean tryCompleteRecv(SimSocket s, Op op) {
        if (s.inbound.size() > 0 && op.selectsBuffer()) {
            SimulatedBackend.SimBuffers pool = s.owner.simBuffers();
            int id = pool.pick();
            if (id < 0) {
                complete(s, op, 0, Win32Error.WSAENOBUFS); // every buffer is out: nothing consumed
                return true;
            }
            int n = s.inbound.readToNative(pool.address(id), Math.min(op.selectLimit(), pool.bufferSize()));
            op.selectedBuffer(id);
            complete(s, op, n, 0);
            if (s.peer != null) {
                pumpSends(s.peer);
            }
            return true;
        }
        if (s.inbound.size() > 0 && op.bufferCount() == 0) {
            complete(s, op, 0, 0);
            return true;
        }
        if (s.inbound.size() > 0) {
            int total = 0;
            for (int i = 0; i < op.bufferCount() && s.inbound.size() > 0; i++) {
                total += s.inbound.readToNative(op.bufferAddress(i), op.bufferLength(i));
            }
            complete(s, op, total, 0);
            // Room in our window: the peer's waiting sends can move on.
            if (s.peer != null) {
                pumpSends(s.peer);
            }
            return true;
        }
        if (s.resetError != 0) {
            complete(s, op, 0, s.resetError);
            return true;
        }
        if (s.inboundFin) {
            complete(s, op, 0, 0);
            return true;
        }
        return false;
    }

    /**
     * A non-blocking receive (recv on a non-blocking socket): what is there, up to {@code length}; the FIN as 0; a
     * reset as WSAECONNRESET (Windows keeps reporting it); nothing yet as WSAEWOULDBLOCK. Errors are negative Win32
     * numbers.
     */
    int receiveNow(SimSocket s, long address, int length) {
        if (s.inbound.size() > 0) {
            int n = s.inbound.readToNative(address, length);
            if (s.peer != null) {
                pumpSends(s.peer); // room in our window: the peer's waiting sends move on
            }
            return n;
        }
        if (s.resetError != 0) {
            return -s.resetError;
        }
        return s.inboundFin ? 0 : -Win32Error.WSAEWOULDBLOCK;
    }

    void submitSend(SimSocket s, Op op) {
        if (s.resetError != 0) {
            complete(s, op, 0, s.resetError);
            return;
        }
        if (s.outputShutdown) {
            complete(s, op, 0, Win32Error.WSAESHUTDOWN);
            return;
        }
        s.pendingSends.add(op);
        pumpSends(s);
    }

    /** Moves the bytes of {@code s}'s waiting sends into its peer's receive buffer, as far as the window allows. */
    void pumpSends(SimSocket s) {
        SimSocket dst = s.peer;
        while (!s.pendingSends.isEmpty()) {
            Op op = s.pendingSends.peek();
            if (dst == null || dst.state == SimSocket.State.CLOSED) {
                // The peer is gone: behave as after an RST.
                s.pendingSends.poll();
                s.headSendProgress = 0;
                complete(s, op, 0, Win32Error.WSAECONNRESET);
                continue;
            }
            int total = totalLength(op);
            int room = dst.receiveWindow - dst.inbound.size();
            while (s.headSendProgress < total && room > 0) {
                // Find the buffer holding offset headSendProgress.
                int skip = s.headSendProgress;
                int i = 0;
                while (skip >= op.bufferLength(i)) {
                    skip -= op.bufferLength(i);
                    i++;
                }
                int n = Math.min(op.bufferLength(i) - skip, room);
                dst.inbound.writeFromNative(op.bufferAddress(i) + skip, n);
                s.headSendProgress += n;
                room -= n;
            }
            if (s.headSendProgress < total) {
                break; // window full: the send stays pending (a peer that doesn't read)
            }
            s.pendingSends.poll();
            s.headSendProgress = 0;
            complete(s, op, total, 0);
        }
        deliver(dst);
    }

    /** New bytes, FIN or RST reached {@code s}: complete its waiting receive, or tell its test peer. */
    void deliver(SimSocket s) {
        if (s == null) {
            return;
        }
        Op recv = s.pendingRecv;
        if (recv != null && tryCompleteRecv(s, recv)) {
            s.pendingRecv = null;
        }
        if (s.owner == null) {
            peerChanged.signalAll();
        }
    }

    /** Signalled when a test-driven socket gets bytes, FIN or RST (for {@link SimPeer} waits). */
    final Condition peerChanged = lock.newCondition();

    void shutdownOutput(SimSocket s) {
        if (s.outputShutdown) {
            return;
        }
        s.outputShutdown = true;
        if (s.peer != null) {
            s.peer.inboundFin = true;
            deliver(s.peer);
        }
    }

    /**
     * Closes {@code s}: its pending ops complete with ERROR_OPERATION_ABORTED; the peer sees FIN (graceful) or
     * WSAECONNRESET (abortive, or graceful with unread data, as TCP does).
     */
    void close(SimSocket s, boolean abortive) {
        if (s.state == SimSocket.State.CLOSED) {
            return;
        }
        boolean unread = s.inbound.size() > 0;
        if (s.state == SimSocket.State.LISTENING) {
            listeners.remove(s.local);
            for (SimSocket waiting : s.backlog) {
                close(waiting, true);
            }
            s.backlog.clear();
        }
        if (s.datagram) {
            datagramBindings.values().remove(s); // keyed by the bound address, which a connect may have refined
        }
        s.state = SimSocket.State.CLOSED;
        Op recv = s.pendingRecv;
        s.pendingRecv = null;
        if (recv != null) {
            complete(s, recv, 0, Win32Error.ERROR_OPERATION_ABORTED);
        }
        while (!s.pendingSends.isEmpty()) {
            complete(s, s.pendingSends.poll(), 0, Win32Error.ERROR_OPERATION_ABORTED);
        }
        s.headSendProgress = 0;
        while (!s.pendingAccepts.isEmpty()) {
            complete(s, s.pendingAccepts.poll(), 0, Win32Error.ERROR_OPERATION_ABORTED);
        }
        SimSocket p = s.peer;
        if (p != null && p.state != SimSocket.State.CLOSED) {
            if (abortive || unread) {
                p.resetError = Win32Error.WSAECONNRESET;
                p.inbound.clear();
                Op waitingRecv = p.pendingRecv;
                p.pendingRecv = null;
                if (waitingRecv != null) {
                    complete(p, waitingRecv, 0, Win32Error.WSAECONNRESET);
                }
                while (!p.pendingSends.isEmpty()) {
                    complete(p, p.pendingSends.poll(), 0, Win32Error.WSAECONNRESET);
                }
                p.headSendProgress = 0;
                if (p.owner == null) {
                    peerChanged.signalAll();
                }
            } else {
                p.inboundFin = true;
                deliver(p);
            }
        }
        forget(s);
    }

    // ------------------------------------------------------------------ datagrams

    /** One datagram waiting in a UDP socket: its bytes and where it came from. */
    record Datagram(byte[] bytes, InetSocketAddress source) {}

    /** Dissolves a UDP socket's connection: it hears anyone again, at the address it was bound to. */
    void disconnectDatagram(SimSocket s) {
        s.remote = null;
        s.portUnreachable = false; // reported to connected sockets only
        if (s.wildcardLocal != null) {
            s.local = s.wildcardLocal;
            s.wildcardLocal = null;
        }
    }

    /** A UDP socket that sends before it is bound gets a wildcard address and a free port, as the kernel gives it. */
    private void bindImplicitly(SimSocket s) throws IoException {
        if (s.local == null) {
            bind(s, new InetSocketAddress(anyLocal(true), 0));
        }
    }

    /** Connects a UDP socket: sends without a target go to {@code remote}, and only its datagrams are received. */
    void connectDatagram(SimSocket s, InetSocketAddress remote) throws IoException {
        bindImplicitly(s);
        s.remote = remote;
        if (s.local.getAddress().isAnyLocalAddress()) {
            // As a real stack does: the connect picks the source address (on loopback, the peer's own), which is
            // what getsockname reports from now on; a disconnect gives the wildcard back.
            s.wildcardLocal = s.local;
            s.local = new InetSocketAddress(remote.getAddress(), s.local.getPort());
        }
        // As a real stack does: what others sent before the connect and nobody read is no longer for this socket.
        s.datagrams.removeIf(d -> !d.source().equals(remote));
        s.portUnreachable = false;
        s.datagramBytes = s.datagrams.stream().mapToInt(d -> d.bytes().length).sum();
    }

    /**
     * Sends one datagram: it completes at once with its full length (UDP never waits for the receiver). It reaches
     * the socket bound to {@code target} (or to the wildcard address on its port), unless that socket is connected
     * to someone else or holds a window's worth of unread datagrams; otherwise it is dropped, as an unreachable port
     * or a full receive buffer drops it, and the sender learns nothing.
     */
    void sendDatagram(SimSocket s, Op op, InetSocketAddress target) throws IoException {
        bindImplicitly(s);
        byte[] bytes = new byte[totalLength(op)];
        int at = 0;
        for (int i = 0; i < op.bufferCount(); i++) {
            io.netty.util.internal.PlatformDependent.copyMemory(op.bufferAddress(i), bytes, at, op.bufferLength(i));
            at += op.bufferLength(i);
        }
        // A wildcard-bound sender is seen with the address it sent to (loopback answers from where it was reached).
        InetSocketAddress source = s.local.getAddress().isAnyLocalAddress()
                ? new InetSocketAddress(target.getAddress(), s.local.getPort()) : s.local;
        SimSocket dst = datagramBindings.get(target);
        if (dst == null) {
            dst = datagramBindings.get(new InetSocketAddress(anyLocal(true), target.getPort()));
        }
        complete(s, op, bytes.length, 0);
        if (dst == null && s.remote != null) {
            // Nobody at the connected peer's port: the ICMP port-unreachable fails the sender's receive, as Windows
            // reports it to a connected UDP socket (the Win32 backend turns SIO_UDP_CONNRESET on at connect only).
            s.portUnreachable = true;
            Op waiting = s.pendingRecv;
            if (waiting != null) {
                s.pendingRecv = null;
                receiveDatagram(s, waiting);
            }
            return;
        }
        if (dst == null || dst.state == SimSocket.State.CLOSED || (dst.remote != null && !dst.remote.equals(source))
                || dst.datagramBytes + bytes.length > dst.receiveWindow) {
            return;
        }
        dst.datagrams.add(new Datagram(bytes, source));
        dst.datagramBytes += bytes.length;
        Op waiting = dst.pendingRecv;
        if (waiting != null) {
            dst.pendingRecv = null;
            takeDatagram(dst, waiting);
        }
    }

    /** A receive of one datagram: completes now if one is waiting, else waits in {@link SimSocket#pendingRecv}. */
    void receiveDatagram(SimSocket s, Op op) {
        if (s.portUnreachable) {
            s.portUnreachable = false;
            complete(s, op, 0, Win32Error.ERROR_PORT_UNREACHABLE);
        } else if (s.datagrams.isEmpty()) {
            s.pendingRecv = op;
        } else {
            takeDatagram(s, op);
        }
    }

    /**
     * Completes {@code op} with the oldest datagram: its bytes scattered over the op's buffers, its source written
     * into the op's native area (as the kernel writes WSARecvFrom's lpFrom, Winsock's layout), and WSAEMSGSIZE with
     * the bytes that fitted when it did not fit (the rest is lost, as Windows loses it).
     */
    private void takeDatagram(SimSocket s, Op op) {
        Datagram d = s.datagrams.poll();
        s.datagramBytes -= d.bytes().length;
        int copied = 0;
        for (int i = 0; i < op.bufferCount() && copied < d.bytes().length; i++) {
            int n = Math.min(op.bufferLength(i), d.bytes().length - copied);
            io.netty.util.internal.PlatformDependent.copyMemory(d.bytes(), copied, op.bufferAddress(i), n);
            copied += n;
        }
        dev.iocp.core.backend.SockAddrCodec.WINDOWS.encode(d.source(), op.nativeArea());
        complete(s, op, copied, copied < d.bytes().length ? Win32Error.WSAEMSGSIZE : 0);
    }

    /** Queues the packet of {@code op} on the port of the socket's owner. */
    void complete(SimSocket s, Op op, int bytes, int error) {
        if ((op.type() == OpType.RECV || op.type() == OpType.RECV_FROM) && s.pendingRecv == op) {
            s.pendingRecv = null;
        }
        // Ops are only submitted on sockets registered with a backend, and registration never changes.
        s.owner.enqueuePacket(op, bytes, error);
    }

    static int totalLength(Op op) {
        int total = 0;
        for (int i = 0; i < op.bufferCount(); i++) {
            total += op.bufferLength(i);
        }
        return total;
    }

    /**
     * Creates a test-driven endpoint connected to the listener at {@code address}.
     *
     * @param address a listening address of this network
     * @return the peer
     * @throws IoException REFUSED if nothing listens there
     */
    public SimPeer connectPeer(InetSocketAddress address) throws IoException {
        lock.lock();
        try {
            SimSocket s = newSocket(address.getAddress() instanceof java.net.Inet6Address, null);
            int err = connect(s, address, null);
            if (err != 0) {
                forget(s);
                throw SimulatedBackend.failure("connect", err);
            }
            return new SimPeer(this, s);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Listens at {@code address} with a test-driven listener: whoever connects there gets a {@link SimPeer} at the
     * other end, returned by {@link PeerListener#awaitPeer}.
     *
     * @param address the address to listen at
     * @return the listener
     * @throws IoException ADDRESS_IN_USE if something listens there already
     */
    public PeerListener listenPeer(InetSocketAddress address) throws IoException {
        lock.lock();
        try {
            SimSocket l = newSocket(address.getAddress() instanceof java.net.Inet6Address, null);
            bind(l, address);
            listen(l);
            return new PeerListener(l);
        } finally {
            lock.unlock();
        }
    }

    /** A listener whose accepted connections are driven by the test. */
    public final class PeerListener {
        private final SimSocket listener;

        PeerListener(SimSocket listener) {
            this.listener = listener;
        }

        /** {@return the address it listens at} */
        public InetSocketAddress address() {
            return listener.local;
        }

        /**
         * Waits for the next connection to this listener.
         *
         * @param timeout how long to wait
         * @param unit the timeout's unit
         * @return the test's end of it
         * @throws InterruptedException if interrupted while waiting
         * @throws AssertionError if the time runs out (a test failure)
         */
        public SimPeer awaitPeer(long timeout, TimeUnit unit) throws InterruptedException {
            long deadline = System.nanoTime() + unit.toNanos(timeout);
            lock.lock();
            try {
                while (listener.backlog.isEmpty()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new AssertionError("no connection to " + listener.local + " within " + timeout + " " + unit);
                    }
                    peerChanged.awaitNanos(left);
                }
                return new SimPeer(SimulatedNetwork.this, listener.backlog.poll());
            } finally {
                lock.unlock();
            }
        }

        /** Stops listening. */
        public void close() {
            lock.lock();
            try {
                SimulatedNetwork.this.close(listener, false);
            } finally {
                lock.unlock();
            }
        }
    }

    void signalPeers() {
        peerChanged.signalAll();
    }
}
