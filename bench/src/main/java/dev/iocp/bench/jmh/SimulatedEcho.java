package dev.iocp.bench.jmh;

import dev.iocp.core.backend.sim.SimulatedBackend;
import dev.iocp.core.backend.sim.SimulatedNetwork;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.race.EchoProtocol;
import dev.iocp.transport.Protocol;
import dev.iocp.transport.Server;
import dev.iocp.transport.Transport;
import dev.iocp.transport.Transports;
import io.netty.util.concurrent.Promise;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * A ping-pong through the whole stack — loop dispatch, transport read path, write queue, send — on the simulated
 * backend, with client and server on the same loop, so that one message costs what the loop and the transport cost
 * and nothing else (no OS, no second thread). Counts what a real backend would have asked of the kernel.
 */
public final class SimulatedEcho implements AutoCloseable {
    final IocpEventLoopGroup group;
    final IocpEventLoop loop;
    final SimulatedBackend backend;
    private final Server server;
    private final Transport client;
    private final PingProtocol ping;

    public SimulatedEcho(int messageSize) throws Exception {
        this(messageSize, 1);
    }

    /** @param pipeline messages written back to back before waiting for their echoes (1 = strict ping-pong) */
    public SimulatedEcho(int messageSize, int pipeline) throws Exception {
        this(messageSize, pipeline, null);
    }

    /**
     * @param pipeline messages written back to back before waiting for their echoes (1 = strict ping-pong)
     * @param tls null for plaintext; else both sides speak TLS from the first byte (the handshake is done before
     *            this returns: what is measured is the data path)
     */
    public SimulatedEcho(int messageSize, int pipeline, dev.iocp.race.RaceTls tls) throws Exception {
        SimulatedNetwork net = new SimulatedNetwork();
        group = new IocpEventLoopGroup(1, () -> new SimulatedBackend(net));
        loop = group.next();
        backend = (SimulatedBackend) loop.submit(loop::backend).get();
        InetSocketAddress any = new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0);
        ping = new PingProtocol(messageSize, pipeline);
        if (tls == null) {
            server = Transports.listen(group, any, EchoProtocol::new).get(10, TimeUnit.SECONDS);
            client = Transports.connect(loop, server.localAddress(), ping).get(10, TimeUnit.SECONDS);
        } else {
            server = Transports.listen(group, any, EchoProtocol::new, dev.iocp.transport.TransportConfig.DEFAULT,
                    Transports.DEFAULT_PENDING_ACCEPTS, tls.server()).get(10, TimeUnit.SECONDS);
            client = Transports.connect(loop, server.localAddress(), ping, dev.iocp.transport.TransportConfig.DEFAULT,
                    tls.client()).get(10, TimeUnit.SECONDS);
        }
    }

    /** Runs {@code n} round trips (of {@code pipeline} messages each) on the loop thread; returns after the last echo. */
    public void roundTrips(int n) throws Exception {
        Promise<Void> done = loop.newPromise();
        loop.execute(() -> ping.start(n, done));
        done.get(60, TimeUnit.SECONDS);
    }

    public long kernelCalls() {
        return backend.kernelCalls();
    }

    /** Bytes allocated so far by the loop thread (HotSpot's per-thread counter). */
    public long loopThreadAllocatedBytes() throws Exception {
        long id = loop.submit(() -> Thread.currentThread().getId()).get();
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getThreadAllocatedBytes(id);
    }

    @Override
    public void close() throws Exception {
        client.close();
        server.close().get(10, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).get(20, TimeUnit.SECONDS);
    }

    /** Sends {@code pipeline} messages, waits for all their echoes, repeats. */
    static final class PingProtocol implements Protocol {
        private final byte[] message;
        private final int pipeline;
        private Transport transport;
        private int remaining;
        private int pendingBytes;
        private Promise<Void> done;

        PingProtocol(int size, int pipeline) {
            message = new byte[size];
            this.pipeline = pipeline;
        }

        @Override
        public void connectionMade(Transport t) {
            transport = t;
        }

        void start(int n, Promise<Void> done) {
            this.remaining = n;
            this.done = done;
            send();
        }

        private void send() {
            pendingBytes = message.length * pipeline;
            for (int i = 0; i < pipeline; i++) {
                transport.write(message, 0, message.length); // coalesced into one send by the write queue
            }
        }

        @Override
        public void dataReceived(ByteBuffer data) {
            pendingBytes -= data.remaining();
            if (pendingBytes > 0) {
                return;
            }
            if (--remaining > 0) {
                send();
            } else {
                done.setSuccess(null);
            }
        }
    }
}
