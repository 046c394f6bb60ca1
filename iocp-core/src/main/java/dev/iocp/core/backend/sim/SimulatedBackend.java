package dev.iocp.core.backend.sim;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.BatchFailures;
import dev.iocp.core.backend.CancelResult;
import dev.iocp.core.backend.CompletionSink;
import dev.iocp.core.backend.InlineCompletions;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.IoException;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpSlab;
import dev.iocp.core.backend.ProvidedBuffers;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.backend.SocketOpt;
import dev.iocp.core.win32.Win32Error;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;

/**
 * A deterministic, scriptable backend: a completion port over a {@link SimulatedNetwork}. It is how every
 * interleaving of completion and cancellation is tested on any OS, and users can test their protocols with it.
 *
 * <p>What a test controls:
 * <ul>
 *   <li><b>when and how ops complete</b> — through the network (a {@link SimPeer} writes, FINs, resets, stops
 *       reading), or directly: {@link #complete(Op, byte[])}, {@link #fail(Op, int)};</li>
 *   <li><b>what a cancel returns</b> — by default what the model says (NOT_FOUND if the op's packet already exists,
 *       else REQUESTED followed by an ERROR_OPERATION_ABORTED packet); {@link #scriptNextCancel} overrides the
 *       next answer, e.g. REQUESTED while the op goes on to complete with data (invariant 1's other half);</li>
 *   <li><b>the order packets leave the port</b> — {@link #holdPackets(boolean) hold} them, look at
 *       {@link #heldPackets()}, then {@link #releasePackets(List)} in any order, in one batch.</li>
 * </ul>
 * It also counts the calls a real backend would make into the kernel ({@link #kernelCalls()}), for the benchmarks.
 *
 * <h2>Skip-on-success mode</h2>
 * With {@code skipCompletionPortOnSuccess} (a constructor option, or {@code -D}{@value #SKIP_PROPERTY}{@code =true}
 * for the default constructors; off by default) it models Win32's FILE_SKIP_COMPLETION_PORT_ON_SUCCESS as the
 * Win32 backend uses it: every socket it registers is in the mode, an op that succeeds inside its own submit (data
 * already there for a receive, window for a send, a connection in the backlog for an accept) posts no port packet,
 * and its completion waits in the backend's {@link InlineCompletions} queue for the next {@link #poll}, under the
 * same rules as on Win32 (a poll with inline completions does not block, and reads the port only if the previous
 * poll did not). Such completions are never held ({@link #holdPackets}): they never reach the port. An op that
 * completes later, or fails, still completes through the port — an immediate failure included, as before (the
 * simulation reports it as a packet; Win32 returns it from the submit).
 *
 * <h2>Errors</h2>
 * It simulates Windows, so it speaks Win32 numbers ({@link Win32Error}) internally and in its scripting API
 * ({@link #fail(Op, int)}, {@link Packet}), and translates them with {@link Win32Error#ERRORS} where they enter the
 * SPI, as the Win32 backend does: a failed submit ({@link #submitFailed}), a packet ({@link #poll}), a failed
 * synchronous call ({@link #failure}). Its users read {@code Connection reset by peer (WSAECONNRESET 10054)} as on
 * Windows.
 */
public final class SimulatedBackend implements Backend {
    /** The system property that turns skip-on-success mode on for the default constructors: {@value}. */
    public static final String SKIP_PROPERTY = "iocp.sim.skipCompletionPortOnSuccess";

    private final SimulatedNetwork net;
    private final boolean skipCompletionPortOnSuccess;
    /** Immediate successes in skip-on-success mode; loop thread only (the thread that submits and polls). */
    private final InlineCompletions inline = new InlineCompletions();
    /** The op whose submit is running, if its socket is in skip-on-success mode; guarded by the network's lock. */
    private Op submittingInline;
    private long portReads;
    /** Polls that have blocked on an empty port so far (each blocked with no packet and nothing inline waiting). */
    private long pollsBlocked;
    private final Condition portReady;
    private final int batchSize;

    // The port: a ring of packets. Arrays, not objects, so a completion allocates nothing.
    private Op[] ringOps = new Op[64];
    private int[] ringBytes = new int[64];
    private int[] ringErrors = new int[64];
    private int ringHead;
    private int ringSize;

    private boolean holding;
    private final List<Packet> held = new ArrayList<>();
    private boolean wakeupPending;
    private boolean closed;
    private CancelScript nextCancelScript;

    private long kernelCalls;
    private long packetsDequeued;
    /** The provided buffers, if the test asked for them ({@link #provideBuffers}); else null. */
    private SimBuffers buffers;

    /** What the next {@link #cancel} answers, overriding the model. */
    public enum CancelScript {
        /** REQUESTED, and the op is not aborted: it completes later as the network or the test decides. */
        REQUESTED_BUT_COMPLETES_LATER,
        /** NOT_FOUND, and the op completes now with whatever data is there (none: 0 bytes, as a FIN would). */
        NOT_FOUND_COMPLETES_NOW
    }

    /** A packet as a test sees it while held; {@code error} is a Win32 number (0: success). */
    public record Packet(Op op, int bytes, int error) {
        @Override
        public String toString() {
            return op + " bytes=" + bytes + (error == 0 ? "" : " error=" + Win32Error.ERRORS.describe(error));
        }
    }

    /** A backend on the {@link SimulatedNetwork#shared() shared} network. */
    public SimulatedBackend() {
        this(SimulatedNetwork.shared(), 64);
    }

    /**
     * A backend on the given network.
     *
     * @param network the network its sockets live in
     */
    public SimulatedBackend(SimulatedNetwork network) {
        this(network, 64);
    }

    /**
     * A backend on the given network, dequeuing at most {@code batchSize} packets a poll.
     *
     * @param network the network its sockets live in
     * @param batchSize the most packets one poll hands over
     */
    public SimulatedBackend(SimulatedNetwork network, int batchSize) {
        this(network, batchSize, Boolean.getBoolean(SKIP_PROPERTY));
    }

    /**
     * A backend on the given network, dequeuing at most {@code batchSize} packets a poll.
     *
     * @param network the network its sockets live in
     * @param batchSize the most packets one poll hands over
     * @param skipCompletionPortOnSuccess model Win32's skip-on-success mode (see the class comment)
     */
    public SimulatedBackend(SimulatedNetwork network, int batchSize, boolean skipCompletionPortOnSuccess) {
        this.skipCompletionPortOnSuccess = skipCompletionPortOnSuccess;
        this.net = network;
        this.portReady = network.newCondition();
        this.batchSize = batchSize;
    }

    /**
     * Gives this backend a pool of provided buffers, as io_uring's provided-buffer ring: a receive marked
     * {@link Op#selectBuffer(int)} then takes a free one when bytes arrive, and fails with WSAENOBUFS (10055,
     * {@code NO_BUFFERS}), consuming nothing, when all are out. Off by default (Windows has no such thing); the
     * transport's tests turn it on to drive its provided-buffer receives through every interleaving
     * deterministically, as they do its other receives. Call before the backend's loop uses it.
     *
     * @param count buffers in the pool
     * @param size bytes in each
     * @return this backend
     */
    public SimulatedBackend provideBuffers(int count, int size) {
        net.lock.lock();
        try {
            buffers = new SimBuffers(count, size);
            return this;
        } finally {
            net.lock.unlock();
        }
    }

    @Override
    public ProvidedBuffers providedBuffers() {
        return buffers;
    }

    /** The pool's "kernel side": which buffers a receive may pick. Guarded by the network's lock. */
    final class SimBuffers extends ProvidedBuffers {
        private final int[] free;
        private int freeCount;

        SimBuffers(int count, int size) {
            super(count, size);
            free = new int[count];
            for (int id = count - 1; id >= 0; id--) {
                free[freeCount++] = id;
            }
        }

        /** Network, under its lock: a free buffer for a receive that has bytes, or -1 (every buffer is out). */
        int pick() {
            return freeCount == 0 ? -1 : free[--freeCount];
        }

        @Override
        protected void recycle(int id, long address, int length) {
            net.lock.lock();
            try {
                free[freeCount++] = id;
            } finally {
                net.lock.unlock();
            }
        }
    }

    /** The network, under its lock: the pool a selecting receive on one of this backend's sockets picks from. */
    SimBuffers simBuffers() {
        return buffers;
    }

    /** {@return the network its sockets live in} */
    public SimulatedNetwork network() {
        return net;
    }

    @Override
    public String name() {
        return "simulated";
    }

    // ------------------------------------------------------------------ errors: the egress points

    /** A synchronous call failed with this Win32 number, as the SPI reports it. */
    static IoException failure(String call, int win32) {
        return Win32Error.ERRORS.exception(call, win32);
    }

    /** A submit failed with this Win32 number: no packet will come; the SPI's error. */
    private static int submitFailed(int win32) {
        return Win32Error.ERRORS.error(win32);
    }

    // ------------------------------------------------------------------ sockets

    @Override
    public long openTcpSocket(boolean ipv6) {
        net.lock.lock();
        try {
            kernelCalls += skipCompletionPortOnSuccess ? 3 : 1;
            SimSocket s = net.newSocket(ipv6, this);
            s.skipsPortOnSuccess = skipCompletionPortOnSuccess;
            return s.id;
        } finally {
            net.lock.unlock();
        }
    }

    @Override
    public void register(long socket) throws IoException {
        net.lock.lock();
        try {
            kernelCalls += skipCompletionPortOnSuccess ? 3 : 1;
            SimSocket s = net.socket(socket, "register");
            if (s.owner != null && s.owner != this) {
                throw failure("register", Win32Error.ERROR_INVALID_PARAMETER);
            }
            s.owner = this;
            s.skipsPortOnSuccess = skipCompletionPortOnSuccess;
        } finally {
            net.lock.unlock();
        }
    }

    @Override
    public void bind(long socket, InetSocketAddress address) throws IoException {
        net.lock.lock();
        try {
            kernelCalls++;
            net.bind(net.socket(socket, "bind"), address);
        } finally {
            net.lock.unlock();
        }
    }

    @Override
    public void listen(long socket, int backlog) throws IoException {
        net.lock.lock();
        try {
            kernelCalls++;
            net.listen(net.socket(socket, "listen"));
        } finally {
            net.lock.unlock();
        }
    }

    @Override
    public InetSocketAddress localAddress(long socket) throws IoException {
        net.lock.lock();
        try {
            SimSocket s = net.socket(socket, "getsockname");
            if (s.local == null) {
                throw failure("getsockname", Win32Error.WSAEINVAL);
            }
            return s.local;
        } finally {
            net.lock.unlock();
        }
    }

    @Override
    public InetSocketAddress remoteAddress(long socket) throws IoException {
        net.lock.lock();
        try {
            SimSocket s = net.socket(socket, "getpeername");
            if (s.remote == null) {
                throw failure("getpeername", Win32Error.WSAENOTCONN);
            }
            return s.remote;
        } finally {
            net.lock.unlock();
        }
    }

    @Override
    public void setOption(long socket, SocketOpt option, int value) throws IoException {
        net.lock.lock();
        try {
            kernelCalls++;
            SimSocket s = net.socket(socket, "setsockopt");
            s.options[option.ordinal()] = value;
            if (option == SocketOpt.SO_RCVBUF) {
                s.receiveWindow = Math.max(1, value);
            }
        } finally {
            net.lock.unlock();
        }
    }

    @Override
    public int bytesAvailable(long socket) throws IoException {
        net.lock.lock();
        try {
            return net.socket(socket, "ioctlsocket (FIONREAD)").inbound.size();
        } finally {
            net.lock.unlock();
        }
    }

    @Override
    public int getOption(long socket, SocketOpt option) throws IoException {
        net.lock.lock();
        try {
            SimSocket s = net.socket(socket, "getsockopt");
            return option == SocketOpt.SO_RCVBUF ? s.receiveWindow : s.options[option.ordinal()];
        } finally {
            net.lock.unlock();
        }
    }

    @Override
    public void shutdownOutput(long socket) throws IoException {
        net.lock.lock();
        try {
            kernelCalls++;
            SimSocket s = net.socket(socket, "shutdown");
            if (s.state != SimSocket.State.CONNECTED) {
                throw failure("shutdown", Win32Error.WSAENOTCONN);
            }
            net.shutdownOutput(s);
        } finally {
            net.lock.unlock();
        }
    }

    @Override
    public void close(long socket, boolean abortive) {
        net.lock.lock();
        try {
            kernelCalls++;
            SimSocket s = net.socketOrNull(socket);
            if (s != null) {
                net.close(s, abortive);
            }
        } finally {
            net.lock.unlock();
        }
    }

    // ------------------------------------------------------------------ ops

    @Override
    public int submitRecv(Op op) {
        net.lock.lock();
        try {
            kernelCalls++;
            SimSocket s = net.socketOrNull(op.socket());
            if (s == null || s.state == SimSocket.State.CLOSED) {
                return submitFailed(Win32Error.WSAENOTSOCK);
            }
            if (s.state != SimSocket.State.CONNECTED) {
                return submitFailed(Win32Error.WSAENOTCONN);
            }
            if (s.pendingRecv != null) {
                // Not an OS rule, but the transport promises one receive in flight; catch a breach loudly.
                throw new IllegalStateException("second receive submitted on " + s + " while " + s.pendingRecv + " pending");
            }
            op.markInFlight();
            submittingInline = s.skipsPortOnSuccess ? op : null;
            try {
                net.submitRecv(s, op);
            } finally {
                submittingInline = null;
            }
            return 0;
        } finally {
            net.lock.unlock();
        }
    }

    @Override
    public int receiveNow(long socket, long address, int length) {
        net.lock.lock();
        try {
            kernelCalls++;
            SimSocket s = net.socketOrNull(socket);
            if (s == null || s.state == SimSocket.State.CLOSED) {
                return -submitFailed(Win32Error.WSAENOTSOCK);
            }
            if (s.state != SimSocket.State.CONNECTED) {
                return -submitFailed(Win32Error.WSAENOTCONN);
            }
            if (s.pendingRecv != null && (s.pendingRecv.bufferCount() > 0 || s.pendingRecv.selectsBuffer())) {
                // Not an OS rule, but the transport promises one receive at a time; catch a breach loudly.
                throw new IllegalStateException("receiveNow on " + s + " while " + s.pendingRecv + " pending");
            }
            int r = net.receiveNow(s, address, length);
            return r >= 0 ? r : -submitFailed(-r);
        } finally {
            net.lock.unlock();
        }
    }

    @Override
    public int submitSend(Op op) {
        net.lock.lock();
        try {
            kernelCalls++;
            SimSocket s = net.socketOrNull(op.socket());
            if (s == null || s.state == SimSocket.State.CLOSED) {
                return submitFailed(Win32Error.WSAENOTSOCK);
            }
            if (s.state != SimSocket.State.CONNECTED) {
                return submitFailed(Win32Error.WSAENOTCONN);
            }
            op.markInFlight();
            submittingInline = s.skipsPortOnSuccess ? op : null;
            try {
                net.submitSend(s, op);
            } finally {
                submittingInline = null;
            }
            return 0;
        } finally {
            net.lock.unlock();
        }
    }

    @Override
    public int submitAccept(Op op) {
        net.lock.lock();
        try {
            kernelCalls++;
            SimSocket l = net.socketOrNull(op.socket());
            if (l == null || l.state != SimSocket.State.LISTENING) {
                return submitFailed(Win32Error.WSAEINVAL);
            }
            op.markInFlight();
            submittingInline = l.skipsPortOnSuccess ? op : null; // the listener's mode: the accept completes on it
            try {
                net.submitAccept(l, op);
            } finally {
                submittingInline = null;
            }
            return 0;
        } finally {
            net.lock.unlock();
        }
    }

    @Override
    public long finishAccept(Op op) throws IoException {
        net.lock.lock();
        try {
            kernelCalls++;
            SimSocket s = net.socket(op.acceptSocket(), "finish accept");
            return s.id;
        } finally {
            net.lock.unlock();
        }
    }

    @Override
    public int submitConnect(Op op, InetSocketAddress remote) {
        net.lock.lock();
        try {
            kernelCalls++;
            SimSocket s = net.socketOrNull(op.socket());
            if (s == null || s.state == SimSocket.State.CLOSED) {
                return submitFailed(Win32Error.WSAENOTSOCK);
            }
            if (s.state != SimSocket.State.OPEN) {
                return submitFailed(Win32Error.WSAEISCONN);
            }
            op.markInFlight();
            submittingInline = s.skipsPortOnSuccess ? op : null;
            try {
                net.connect(s, remote, op); // refusal comes as a packet, as with ConnectEx
            } finally {
                submittingInline = null;
            }
            return 0;
        } finally {
            net.lock.unlock();
        }
    }

    @Override
    public void finishConnect(Op op) {
        kernelCalls++;
    }

    // ------------------------------------------------------------------ datagrams

    @Override
    public long openUdpSocket(boolean ipv6) {
        net.lock.lock();
        try {
            kernelCalls += skipCompletionPortOnSuccess ? 4 : 2; // as on Win32: the socket, SIO_UDP_CONNRESET, ...
            SimSocket s = net.newSocket(ipv6, this);
            s.datagram = true;
            s.skipsPortOnSuccess = skipCompletionPortOnSuccess;
            return s.id;
        } finally {
            net.lock.unlock();
        }
    }

    /** The open UDP socket of an op or call, or null. */
    private SimSocket datagramSocket(long socket) {
        SimSocket s = net.socketOrNull(socket);
        return s != null && s.state != SimSocket.State.CLOSED && s.datagram ? s : null;
    }

    /** Winsock fails a WSARecvFrom on a socket that is not bound yet (WSAEINVAL); so does this model. */
    @Override
    public int submitReceiveFrom(Op op) {
        net.lock.lock();
        try {
            kernelCalls++;
            SimSocket s = datagramSocket(op.socket());
            if (s == null) {
                return submitFailed(Win32Error.WSAENOTSOCK);
            }
            if (s.local == null || SimulatedNetwork.totalLength(op) == 0) {
                return submitFailed(Win32Error.WSAEINVAL);
            }
            if (s.pendingRecv != null) {
                // Not an OS rule, but the transport promises one receive in flight; catch a breach loudly.
                throw new IllegalStateException("second receive submitted on " + s + " while " + s.pendingRecv
                        + " pending");
            }
            op.markInFlight();
            submittingInline = s.skipsPortOnSuccess ? op : null;
            try {
                net.receiveDatagram(s, op);
            } finally {
                submittingInline = null;
            }
            return 0;
        } finally {
            net.lock.unlock();
        }
    }

    @Override
    public InetSocketAddress receivedFrom(Op op) {
        return dev.iocp.core.backend.SockAddrCodec.WINDOWS.decode(op.nativeArea(),
                dev.iocp.core.backend.SockAddrCodec.MAX_SIZE);
    }

    @Override
    public int submitSendTo(Op op, InetSocketAddress target) {
        net.lock.lock();
        try {
            kernelCalls++;
            SimSocket s = datagramSocket(op.socket());
            if (s == null) {
                return submitFailed(Win32Error.WSAENOTSOCK);
            }
            InetSocketAddress to = target != null ? target : s.remote;
            if (to == null) {
                return submitFailed(Win32Error.WSAENOTCONN);
            }
            if (to.isUnresolved() || (target != null && s.remote != null && !target.equals(s.remote))) {
                return submitFailed(Win32Error.WSAEINVAL);
            }
            op.markInFlight();
            submittingInline = s.skipsPortOnSuccess ? op : null;
            try {
                net.sendDatagram(s, op, to);
            } catch (IoException e) {
                throw new IllegalStateException("an implicit bind cannot fail in the simulation", e);
            } finally {
                submittingInline = null;
            }
            return 0;
        } finally {
            net.lock.unlock();
        }
    }

    @Override
    public void connectDatagram(long socket, InetSocketAddress remote) throws IoException {
        net.lock.lock();
        try {
            kernelCalls++;
            SimSocket s = datagramSocket(socket);
            if (s == null) {
                throw failure("connect " + remote, Win32Error.WSAENOTSOCK);
            }
            if (remote.isUnresolved()) {
                throw new IllegalArgumentException("unresolved address " + remote); // as the real encoders
            }
            net.connectDatagram(s, remote);
        } finally {
            net.lock.unlock();
        }
    }

    @Override
    public void disconnectDatagram(long socket) throws IoException {
        net.lock.lock();
        try {
            kernelCalls++;
            SimSocket s = datagramSocket(socket);
            if (s == null) {
                throw failure("connect (disconnect)", Win32Error.WSAENOTSOCK);
            }
            net.disconnectDatagram(s);
        } finally {
            net.lock.unlock();
        }
    }

    @Override
    public CancelResult cancel(Op op) {
        net.lock.lock();
        try {
            kernelCalls++;
            op.noteCancelRequested();
            CancelScript script = nextCancelScript;
            nextCancelScript = null;
            SimSocket s = net.socketOrNull(op.socket());
            boolean waiting = s != null && isWaiting(s, op);
            if (!waiting) {
                // Its packet exists already (queued or held): too late, as CancelIoEx says with ERROR_NOT_FOUND.
                return CancelResult.NOT_FOUND;
            }
            if (script == CancelScript.REQUESTED_BUT_COMPLETES_LATER) {
                return CancelResult.REQUESTED;
            }
            if (script == CancelScript.NOT_FOUND_COMPLETES_NOW) {
                removeWaiting(s, op);
                net.complete(s, op, 0, 0);
                return CancelResult.NOT_FOUND;
            }
            removeWaiting(s, op);
            net.complete(s, op, 0, Win32Error.ERROR_OPERATION_ABORTED);
            return CancelResult.REQUESTED;
        } finally {
            net.lock.unlock();
        }
    }

    private static boolean isWaiting(SimSocket s, Op op) {
        return s.pendingRecv == op || s.pendingSends.contains(op) || s.pendingAccepts.contains(op);
    }

    private static void removeWaiting(SimSocket s, Op op) {
        if (s.pendingRecv == op) {
            s.pendingRecv = null;
        } else if (s.pendingSends.peek() == op) {
            s.pendingSends.poll();
            s.headSendProgress = 0;
        } else {
            s.pendingSends.remove(op);
            s.pendingAccepts.remove(op);
        }
    }

    /**
     * The answer of the next {@link #cancel}, instead of the model's.
     *
     * @param script the answer
     */
    public void scriptNextCancel(CancelScript script) {
        net.lock.lock();
        try {
            nextCancelScript = script;
        } finally {
            net.lock.unlock();
        }
    }

    // ------------------------------------------------------------------ direct completion (test scripting)

    /**
     * Completes a waiting RECV with {@code data} (written into its buffers), ahead of anything the network holds.
     * For other op types, completes with {@code data.length} bytes transferred.
     *
     * @param op an op in flight on this backend
     * @param data the bytes it transfers
     */
    public void complete(Op op, byte[] data) {
        net.lock.lock();
        try {
            SimSocket s = requireWaiting(op);
            int n = 0;
            if (op.type() == OpType.RECV) {
                for (int i = 0; i < op.bufferCount() && n < data.length; i++) {
                    int len = Math.min(op.bufferLength(i), data.length - n);
                    io.netty.util.internal.PlatformDependent.copyMemory(data, n, op.bufferAddress(i), len);
                    n += len;
                }
            } else {
                n = data.length;
            }
            removeWaiting(s, op);
            net.complete(s, op, n, 0);
        } finally {
            net.lock.unlock();
        }
    }

    /**
     * Completes a waiting op with a failure {@code error} (a Win32 error number).
     *
     * @param op an op in flight on this backend
     * @param error the Win32 error number
     */
    public void fail(Op op, int error) {
        net.lock.lock();
        try {
            SimSocket s = requireWaiting(op);
            removeWaiting(s, op);
            net.complete(s, op, 0, error);
        } finally {
            net.lock.unlock();
        }
    }

    private SimSocket requireWaiting(Op op) {
        SimSocket s = net.socketOrNull(op.socket());
        if (s == null || !isWaiting(s, op)) {
            throw new IllegalStateException(op + " is not waiting on the simulated network");
        }
        return s;
    }

    // ------------------------------------------------------------------ the port

    /** Network side: a packet for an op submitted here. Caller holds the network lock. */
    void enqueuePacket(Op op, int bytes, int error) {
        if (op == submittingInline && error == 0) {
            // Succeeded inside its own submit on a socket in skip-on-success mode: no port packet (Wine fact 7).
            inline.add(op, bytes);
            return;
        }
        if (holding) {
            held.add(new Packet(op, bytes, error));
            net.signalPeers(); // for awaitHeld
            return;
        }
        pushRing(op, bytes, error);
        portReady.signalAll();
    }

    private void pushRing(Op op, int bytes, int error) {
        if (ringSize == ringOps.length) {
            int cap = ringOps.length * 2;
            Op[] o = new Op[cap];
            int[] b = new int[cap];
            int[] e = new int[cap];
            for (int i = 0; i < ringSize; i++) {
                int j = (ringHead + i) % ringOps.length;
                o[i] = ringOps[j];
                b[i] = ringBytes[j];
                e[i] = ringErrors[j];
            }
            ringOps = o;
            ringBytes = b;
            ringErrors = e;
            ringHead = 0;
        }
        int tail = (ringHead + ringSize) % ringOps.length;
        ringOps[tail] = op;
        ringBytes[tail] = bytes;
        ringErrors[tail] = error;
        ringSize++;
    }

    /**
     * While holding, packets stay off the port (see {@link #heldPackets()}) until released. Turning holding off
     * releases what is held, in arrival order.
     *
     * @param hold hold from now on, or release and stop holding
     */
    public void holdPackets(boolean hold) {
        net.lock.lock();
        try {
            holding = hold;
            if (!hold) {
                releaseLocked(new ArrayList<>(held));
            }
        } finally {
            net.lock.unlock();
        }
    }

    /** {@return the packets held now, in arrival order (a copy)} */
    public List<Packet> heldPackets() {
        net.lock.lock();
        try {
            return List.copyOf(held);
        } finally {
            net.lock.unlock();
        }
    }

    /**
     * Waits until at least {@code n} packets are held. Lets a test act (e.g. cancel) exactly between "the op
     * completed" and "the loop dequeued its packet".
     *
     * @param n how many
     * @param timeout how long to wait
     * @param unit the timeout's unit
     * @return the packets held then, in arrival order
     * @throws InterruptedException if interrupted while waiting
     * @throws AssertionError if the time runs out (a test failure)
     */
    public List<Packet> awaitHeld(int n, long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        net.lock.lock();
        try {
            while (held.size() < n) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("expected " + n + " held packets, have " + held);
                }
                net.peerChanged.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(5)));
            }
            return List.copyOf(held);
        } finally {
            net.lock.unlock();
        }
    }

    /**
     * Puts the given held packets on the port in the given order; the loop dequeues them as one batch.
     *
     * @param inOrder held packets, in the order the port should give them
     */
    public void releasePackets(List<Packet> inOrder) {
        net.lock.lock();
        try {
            releaseLocked(inOrder);
        } finally {
            net.lock.unlock();
        }
    }

    private void releaseLocked(List<Packet> inOrder) {
        for (Packet p : inOrder) {
            if (!held.remove(p)) {
                throw new IllegalArgumentException(p + " is not held");
            }
            pushRing(p.op(), p.bytes(), p.error());
        }
        portReady.signalAll();
    }

    /**
     * Inline completions first (then the poll does not block), then the port unless
     * {@link InlineCompletions#mustReadPort} says this poll skips it; only a poll that reads the port counts as a
     * kernel call (GetQueuedCompletionStatusEx).
     */
    @Override
    public int poll(OpSlab slab, CompletionSink sink, long timeoutNanos) {
        // The inline queue is the loop thread's (its submits fill it): handed out without the network's lock, as the
        // port's batch is, since handlers submit again.
        boolean readPort = inline.mustReadPort();
        Throwable inlineFailure = null;
        int inlineDelivered = 0;
        if (!inline.isEmpty()) {
            inlineFailure = inline.dispatch(sink, batchSize, null);
            inlineDelivered = inline.lastDispatched();
            packetsDequeued += inlineDelivered;
            timeoutNanos = 0;
        }
        if (!readPort) {
            BatchFailures.rethrowIfAny(inlineFailure);
            return inlineDelivered;
        }
        int n = 0;
        Op[] batchOps = null;
        net.lock.lock();
        try {
            kernelCalls++;
            portReads++;
            long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
            while (ringSize == 0 && !wakeupPending && timeoutNanos != 0 && !closed) {
                pollsBlocked++;
                net.signalPeers(); // for awaitPollBlocked
                if (timeoutNanos < 0) {
                    portReady.awaitUninterruptibly();
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    try {
                        portReady.awaitNanos(left);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
            wakeupPending = false;
            n = Math.min(ringSize, batchSize);
            if (n == 0) {
                BatchFailures.rethrowIfAny(inlineFailure);
                return inlineDelivered;
            }
            // Take the batch out under the lock, dispatch outside it: handlers submit new ops (which lock).
            batch(n);
            batchOps = this.batchOps;
        } finally {
            net.lock.unlock();
        }
        Throwable firstFailure = inlineFailure;
        for (int i = 0; i < n; i++) {
            Op op = batchOps[i];
            batchOps[i] = null;
            packetsDequeued++;
            try {
                int win32 = batchErrors[i];
                sink.onPacket(op, batchBytes[i], win32 == 0 ? IoError.SUCCESS : Win32Error.ERRORS.error(win32));
            } catch (Throwable failure) {
                // Keep going: the rest of the batch is out of the port and exists nowhere else (BatchFailures).
                firstFailure = BatchFailures.add(firstFailure, failure);
            }
        }
        BatchFailures.rethrowIfAny(firstFailure);
        return inlineDelivered + n;
    }

    private Op[] batchOps = new Op[64];
    private int[] batchBytes = new int[64];
    private int[] batchErrors = new int[64];

    private void batch(int n) {
        if (batchOps.length < n) {
            batchOps = new Op[n];
            batchBytes = new int[n];
            batchErrors = new int[n];
        }
        for (int i = 0; i < n; i++) {
            batchOps[i] = ringOps[ringHead];
            batchBytes[i] = ringBytes[ringHead];
            batchErrors[i] = ringErrors[ringHead];
            if (batchOps[i].selectedBuffer() >= 0) {
                buffers.handedOut(batchOps[i].selectedBuffer()); // on the loop thread: the owner's from here
            }
            ringOps[ringHead] = null;
            ringHead = (ringHead + 1) % ringOps.length;
            ringSize--;
        }
    }

    @Override
    public void wakeup() {
        net.lock.lock();
        try {
            kernelCalls++;
            wakeupPending = true;
            portReady.signalAll();
        } finally {
            net.lock.unlock();
        }
    }

    @Override
    public void close() {
        net.lock.lock();
        try {
            closed = true;
            portReady.signalAll();
        } finally {
            net.lock.unlock();
        }
    }

    /**
     * {@return calls a real backend would have made into the kernel so far: socket set-up (in skip-on-success mode
     * registering a socket is 3: the association, the provider query, the mode), submits, receiveNow, cancels, polls
     * that read the port (a poll served from the inline queue alone makes none), wake-ups, closes}
     */
    public long kernelCalls() {
        net.lock.lock();
        try {
            return kernelCalls;
        } finally {
            net.lock.unlock();
        }
    }

    /**
     * Waits until a poll has blocked on an empty port more than {@code blockedBefore} times in all: the loop has
     * finished everything the last packets caused (their handlers, the packets and inline completions those
     * caused) and waits for the network. For tests that measure what one exchange costs.
     *
     * @param blockedBefore a count of {@link #pollsBlocked()} taken earlier
     * @param timeout how long to wait
     * @param unit the timeout's unit
     * @throws InterruptedException if interrupted while waiting
     * @throws AssertionError if the time runs out (a test failure)
     */
    public void awaitPollBlocked(long blockedBefore, long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        net.lock.lock();
        try {
            while (pollsBlocked <= blockedBefore) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no poll blocked within " + timeout + " " + unit);
                }
                net.peerChanged.awaitNanos(left);
            }
        } finally {
            net.lock.unlock();
        }
    }

    /** {@return polls that have blocked on an empty port so far} */
    public long pollsBlocked() {
        net.lock.lock();
        try {
            return pollsBlocked;
        } finally {
            net.lock.unlock();
        }
    }

    /** {@return whether the sockets this backend registers are in skip-on-success mode} */
    public boolean skipCompletionPortOnSuccess() {
        return skipCompletionPortOnSuccess;
    }

    /** {@return polls that read the port (GetQueuedCompletionStatusEx calls, on Win32) so far; counted in {@link #kernelCalls()}} */
    public long portReads() {
        net.lock.lock();
        try {
            return portReads;
        } finally {
            net.lock.unlock();
        }
    }

    /** {@return ops completed inline so far (successes inside their own submit, in skip-on-success mode)} */
    public long inlineCompletions() {
        return inline.added();
    }

    /** {@return inline completions waiting for the next poll} */
    public int inlineCompletionsWaiting() {
        return inline.size();
    }

    /** {@return packets handed to the loop so far} */
    public long packetsDequeued() {
        return packetsDequeued;
    }

    /**
     * {@return the socket's pending RECV op, if one waits on the network (for tests that script completions)}
     *
     * @param socket a socket of this backend
     */
    public Op pendingRecv(long socket) {
        net.lock.lock();
        try {
            SimSocket s = net.socketOrNull(socket);
            return s == null ? null : s.pendingRecv;
        } finally {
            net.lock.unlock();
        }
    }

    /**
     * {@return the socket's first waiting SEND op, if any}
     *
     * @param socket a socket of this backend
     */
    public Op pendingSend(long socket) {
        net.lock.lock();
        try {
            SimSocket s = net.socketOrNull(socket);
            return s == null ? null : s.pendingSends.peek();
        } finally {
            net.lock.unlock();
        }
    }
}
