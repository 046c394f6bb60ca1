package dev.iocp.core.backend.sim;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The far end of a simulated connection, driven by a test: it writes bytes, FIN or RST into the connection and
 * reads what the connection under test sent. Its receive window limits how much the other side can send before
 * its sends stay pending; a test that never calls {@link #read()} is a peer that stopped reading.
 * Safe from any thread.
 */
public final class SimPeer {
    private final SimulatedNetwork net;
    private final SimSocket socket;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();

    SimPeer(SimulatedNetwork net, SimSocket socket) {
        this.net = net;
        this.socket = socket;
    }

    /** {@return this peer's own address} */
    public InetSocketAddress localAddress() {
        return socket.local;
    }

    /**
     * Sends bytes to the connection under test (ignores the window: a test decides what arrives).
     *
     * @param bytes the bytes, copied
     */
    public void write(byte[] bytes) {
        net.lock.lock();
        try {
            SimSocket dst = socket.peer;
            if (dst == null || dst.state == SimSocket.State.CLOSED || socket.outputShutdown) {
                throw new IllegalStateException("peer can't write: connection closed or shut down");
            }
            dst.inbound.write(bytes, 0, bytes.length);
            net.deliver(dst);
        } finally {
            net.lock.unlock();
        }
    }

    /** shutdown(SD_SEND): the connection under test reads EOF after the bytes already written. */
    public void shutdownOutput() {
        net.lock.lock();
        try {
            net.shutdownOutput(socket);
        } finally {
            net.lock.unlock();
        }
    }

    /** close(): FIN, or RST if unread data remains (as TCP does). */
    public void close() {
        net.lock.lock();
        try {
            net.close(socket, false);
        } finally {
            net.lock.unlock();
        }
    }

    /** abort(): SO_LINGER{1,0} + close: the connection under test sees WSAECONNRESET. */
    public void reset() {
        net.lock.lock();
        try {
            net.close(socket, true);
        } finally {
            net.lock.unlock();
        }
    }

    /**
     * Sets how many unread bytes this peer buffers before the other side's sends stay pending.
     *
     * @param bytes the window, in bytes
     */
    public void receiveWindow(int bytes) {
        net.lock.lock();
        try {
            socket.receiveWindow = bytes;
            if (socket.peer != null) {
                net.pumpSends(socket.peer);
            }
        } finally {
            net.lock.unlock();
        }
    }

    /** {@return takes everything received so far (what the connection under test sent), freeing window} */
    public byte[] read() {
        net.lock.lock();
        try {
            drainLocked();
            byte[] out = received.toByteArray();
            received.reset();
            return out;
        } finally {
            net.lock.unlock();
        }
    }

    /** {@return bytes received and not yet {@link #read()} (without taking them off the window)} */
    public int unread() {
        net.lock.lock();
        try {
            return socket.inbound.size() + received.size();
        } finally {
            net.lock.unlock();
        }
    }

    /**
     * Reads until {@code n} bytes have arrived (draining the window as it goes, like a reading peer), or fails
     * after the timeout.
     *
     * @param n how many bytes
     * @param timeout how long to wait
     * @param unit the timeout's unit
     * @return the bytes, in order
     * @throws InterruptedException if interrupted while waiting
     * @throws AssertionError if the time runs out (a test failure)
     */
    public byte[] readExactly(int n, long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        net.lock.lock();
        try {
            for (;;) {
                drainLocked();
                if (received.size() >= n) {
                    byte[] all = received.toByteArray();
                    received.reset();
                    received.write(all, n, all.length - n);
                    return java.util.Arrays.copyOf(all, n);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("peer received " + received.size() + " of " + n + " bytes within "
                            + timeout + " " + unit);
                }
                net.peerChanged.awaitNanos(left);
            }
        } finally {
            net.lock.unlock();
        }
    }

    /**
     * Waits until the connection under test has sent FIN (after all its data) or reset.
     *
     * @param timeout how long to wait
     * @param unit the timeout's unit
     * @return how it ended
     * @throws InterruptedException if interrupted while waiting
     * @throws AssertionError if the time runs out (a test failure)
     */
    public Ending awaitEnding(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        net.lock.lock();
        try {
            for (;;) {
                if (socket.resetError != 0) {
                    return Ending.RESET;
                }
                if (socket.inboundFin && socket.inbound.size() == 0) {
                    return Ending.FIN;
                }
                if (socket.inboundFin) {
                    drainLocked();
                    continue;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return Ending.NONE;
                }
                net.peerChanged.awaitNanos(left);
            }
        } finally {
            net.lock.unlock();
        }
    }

    /** How a connection ended, as seen by this peer. */
    public enum Ending {
        /** Not ended yet. */
        NONE,
        /** The connection under test sent FIN after all its data. */
        FIN,
        /** The connection under test reset. */
        RESET
    }

    private void drainLocked() {
        // Draining opens the window, which lets waiting sends move more bytes in: repeat until nothing moves.
        while (socket.inbound.size() > 0) {
            byte[] bytes = socket.inbound.readAll();
            received.write(bytes, 0, bytes.length);
            if (socket.peer != null) {
                net.pumpSends(socket.peer);
            }
        }
    }
}
