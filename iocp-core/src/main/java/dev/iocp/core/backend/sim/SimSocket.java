package dev.iocp.core.backend.sim;

import dev.iocp.core.backend.Op;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * One endpoint of the simulated network. Guarded by the network's lock.
 *
 * <p>A connected endpoint's {@link #peer} is either another socket driven by a backend (a loop's connection) or
 * a {@link SimPeer}'s socket driven by the test ({@link #owner} null).
 */
final class SimSocket {
    enum State { OPEN, LISTENING, CONNECTED, CLOSED }

    final long id;
    final boolean ipv6;
    /** The backend whose port gets this socket's packets; null for a test-driven peer or an unregistered accept. */
    SimulatedBackend owner;
    /**
     * Whether an op that succeeds inside its submit posts no packet (Win32's FILE_SKIP_COMPLETION_PORT_ON_SUCCESS,
     * set when the owner registered the socket): its owner then queues the completion inline.
     */
    boolean skipsPortOnSuccess;
    State state = State.OPEN;
    InetSocketAddress local;
    InetSocketAddress remote;
    SimSocket peer;

    /** Bytes the peer sent that this socket has not received yet. */
    final ByteRing inbound = new ByteRing();
    /** How many unread bytes {@link #inbound} takes before the peer's sends stay pending (the TCP window). */
    int receiveWindow;
    /** The peer sent FIN: after {@link #inbound} drains, receives complete with 0 bytes. */
    boolean inboundFin;
    /** The peer reset the connection: receives and sends fail with this error. 0 while not reset. */
    int resetError;
    boolean outputShutdown;

    Op pendingRecv;
    /** Sends waiting for window; the head one has moved {@link #headSendProgress} bytes so far. */
    final ArrayDeque<Op> pendingSends = new ArrayDeque<>();
    int headSendProgress;
    final ArrayDeque<Op> pendingAccepts = new ArrayDeque<>();
    final ArrayDeque<SimSocket> backlog = new ArrayDeque<>();
    /** Options as set (values only remembered; TCP_NODELAY etc. have no effect in the simulation). */
    final int[] options = new int[dev.iocp.core.backend.SocketOpt.values().length];

    /** A UDP socket: datagrams, no streams ({@link SimulatedNetwork}'s datagram part). */
    boolean datagram;
    /** Datagrams received and not yet taken by a receive, oldest first; their bytes count against the window. */
    final ArrayDeque<SimulatedNetwork.Datagram> datagrams = new ArrayDeque<>();
    int datagramBytes;
    /** A UDP socket bound to the wildcard address and then connected: that address, for the disconnect. */
    InetSocketAddress wildcardLocal;
    /** A connected UDP socket's datagram found nobody: its next receive fails with ERROR_PORT_UNREACHABLE. */
    boolean portUnreachable;

    SimSocket(long id, boolean ipv6, int receiveWindow) {
        this.id = id;
        this.ipv6 = ipv6;
        this.receiveWindow = receiveWindow;
    }

    @Override
    public String toString() {
        return "SimSocket#" + id + "[" + state + (owner == null ? ", test-driven" : "") + "]";
    }
}
