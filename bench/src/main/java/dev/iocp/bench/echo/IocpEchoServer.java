package dev.iocp.bench.echo;

import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.race.EchoProtocol;
import dev.iocp.transport.Server;
import dev.iocp.transport.ReceiveMode;
import dev.iocp.transport.TransportConfig;
import dev.iocp.transport.Transports;
import io.netty.util.concurrent.EventExecutor;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The iocp transport as a benchmark echo server: one event loop per configured thread on the platform's backend
 * (Win32 on Windows, io_uring on Linux; {@code -Diocp.backend} overrides), connections spread round-robin over the
 * loops, the same flow-controlled echo protocol as {@code iocp echo}: write what arrives (copied into the write
 * queue, coalesced into one send per loop turn), stop reading a connection while its write buffer is above the
 * high-water mark. TCP_NODELAY is on (the transport's default). Nothing is allocated per message.
 */
public final class IocpEchoServer implements EchoServer {
    /** {@code iocp-buffered}: the same server with BUFFERED receives, to measure the receive modes in one run. */
    public static final String BUFFERED_NAME = "iocp-buffered";
    /** {@code iocp-readiness}: the same server with READINESS receives (the default is PROVIDED). */
    public static final String READINESS_NAME = "iocp-readiness";

    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final String name;
    private final TransportConfig config;

    /** The default configuration (what {@code iocp echo} serves). */
    public IocpEchoServer() {
        this(Servers.IOCP, TransportConfig.DEFAULT);
    }

    IocpEchoServer(String name, TransportConfig config) {
        this.name = name;
        this.config = config;
    }

    /** {@return the server with BUFFERED receives} */
    static IocpEchoServer buffered() {
        return new IocpEchoServer(BUFFERED_NAME, TransportConfig.DEFAULT.withReceiveMode(ReceiveMode.BUFFERED));
    }

    /** {@return the server with READINESS receives} */
    static IocpEchoServer readiness() {
        return new IocpEchoServer(READINESS_NAME, TransportConfig.DEFAULT.withReceiveMode(ReceiveMode.READINESS));
    }

    private IocpEventLoopGroup group;
    private Server server;

    @Override
    public InetSocketAddress start(InetSocketAddress bind, int nThreads) throws IOException {
        group = new IocpEventLoopGroup(nThreads);
        try {
            for (EventExecutor loop : group) {
                threads.add(loop.submit(Thread::currentThread).get(10, TimeUnit.SECONDS));
            }
            server = Transports.listen(group, bind, EchoProtocol::new, config, Transports.DEFAULT_PENDING_ACCEPTS)
                    .get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            close();
            throw new IOException("iocp echo server failed to start: " + e, e);
        }
        return server.localAddress();
    }

    @Override
    public void close() {
        if (server != null) {
            server.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
            server = null;
        }
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(20, TimeUnit.SECONDS);
            group = null;
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<Thread> serverThreads() {
        return threads;
    }
}
