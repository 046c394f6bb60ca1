package dev.iocp.transport.testing;

import dev.iocp.core.backend.sim.SimPeer;
import dev.iocp.core.backend.sim.SimulatedBackend;
import dev.iocp.core.backend.sim.SimulatedNetwork;
import dev.iocp.core.loop.IocpEventLoopGroup;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The simulated backend and network; peers are {@link SimPeer}s. Optionally each loop's backend has provided buffers
 * ({@link SimulatedBackend#provideBuffers}), so that receives into them go through the same deterministic suites.
 */
public final class SimulatedEnv implements TransportEnv {
    private final SimulatedNetwork net = new SimulatedNetwork();
    private final int providedBufferCount;
    private final int providedBufferSize;
    private final boolean skipCompletionPortOnSuccess;

    /**
     * Backends without provided buffers (as Win32: a PROVIDED connection receives as READINESS does), in the
     * simulated backend's default skip-on-success mode (off unless its property says so).
     */
    public SimulatedEnv() {
        this(0, 0);
    }

    /**
     * Backends with a pool of provided buffers each.
     *
     * @param providedBufferCount buffers per loop; 0: none
     * @param providedBufferSize bytes in each
     */
    public SimulatedEnv(int providedBufferCount, int providedBufferSize) {
        this(providedBufferCount, providedBufferSize, Boolean.getBoolean(SimulatedBackend.SKIP_PROPERTY));
    }

    /** @param skipCompletionPortOnSuccess whether the backends model Win32's skip-on-success mode */
    public SimulatedEnv(boolean skipCompletionPortOnSuccess) {
        this(0, 0, skipCompletionPortOnSuccess);
    }

    /**
     * @param providedBufferCount buffers per loop; 0: none
     * @param providedBufferSize bytes in each
     * @param skipCompletionPortOnSuccess whether the backends model Win32's skip-on-success mode
     */
    public SimulatedEnv(int providedBufferCount, int providedBufferSize, boolean skipCompletionPortOnSuccess) {
        this.providedBufferCount = providedBufferCount;
        this.providedBufferSize = providedBufferSize;
        this.skipCompletionPortOnSuccess = skipCompletionPortOnSuccess;
    }

    public SimulatedNetwork network() {
        return net;
    }

    @Override
    public String name() {
        return "simulated" + (providedBufferCount > 0 ? ", provided buffers" : "")
                + (skipCompletionPortOnSuccess ? ", skip-on-success" : "");
    }

    @Override
    public IocpEventLoopGroup newGroup(int loops) {
        return new IocpEventLoopGroup(loops, () -> providedBufferCount > 0
                ? new SimulatedBackend(net, 64, skipCompletionPortOnSuccess).provideBuffers(providedBufferCount,
                        providedBufferSize)
                : new SimulatedBackend(net, 64, skipCompletionPortOnSuccess));
    }

    @Override
    public Peer connectPeer(InetSocketAddress address) throws Exception {
        return new Sim(net.connectPeer(address));
    }

    @Override
    public PeerServer listenPeer() throws Exception {
        SimulatedNetwork.PeerListener l = net.listenPeer(bindAddress());
        return new PeerServer() {
            @Override
            public InetSocketAddress address() {
                return l.address();
            }

            @Override
            public Peer accept(long timeoutMillis) throws Exception {
                return new Sim(l.awaitPeer(timeoutMillis, TimeUnit.MILLISECONDS));
            }

            @Override
            public void close() {
                l.close();
            }
        };
    }

    @Override
    public InetSocketAddress bindAddress() {
        return new InetSocketAddress(dev.iocp.core.testing.LoopTesting.LOOPBACK_V4, 0);
    }

    @Override
    public void close() {}

    /** Adapts a {@link SimPeer}. */
    public static final class Sim implements Peer {
        public final SimPeer peer;

        Sim(SimPeer peer) {
            this.peer = peer;
        }

        @Override
        public void write(byte[] bytes) {
            peer.write(bytes);
        }

        @Override
        public byte[] readExactly(int n, long timeoutMillis) throws Exception {
            return peer.readExactly(n, timeoutMillis, TimeUnit.MILLISECONDS);
        }

        @Override
        public Ending awaitEnding(long timeoutMillis) throws Exception {
            return Ending.valueOf(peer.awaitEnding(timeoutMillis, TimeUnit.MILLISECONDS).name());
        }

        @Override
        public Drained drainToEnd(long timeoutMillis) throws Exception {
            long total = 0;
            long deadline = System.currentTimeMillis() + timeoutMillis;
            for (;;) {
                total += peer.read().length;
                Ending e = Ending.valueOf(peer.awaitEnding(10, TimeUnit.MILLISECONDS).name());
                total += peer.read().length;
                if (e != Ending.NONE || System.currentTimeMillis() > deadline) {
                    return new Drained(total, e);
                }
            }
        }

        @Override
        public void shutdownOutput() {
            peer.shutdownOutput();
        }

        @Override
        public void close() {
            peer.close();
        }

        @Override
        public void reset() {
            peer.reset();
        }

        /** A peer that has stopped reading: its window is what it will ever take. */
        public void receiveWindow(int bytes) {
            peer.receiveWindow(bytes);
        }

        @Override
        public InetSocketAddress localAddress() {
            return peer.localAddress();
        }
    }
}
