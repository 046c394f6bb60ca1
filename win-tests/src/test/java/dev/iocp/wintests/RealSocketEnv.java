package dev.iocp.wintests;

import dev.iocp.core.backend.Backends;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.transport.testing.Peer;
import dev.iocp.transport.testing.SocketPeer;
import dev.iocp.transport.testing.TransportEnv;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;

/**
 * Real loopback sockets on the platform's backend (Win32 on Windows and under Wine); the peers are plain blocking
 * {@code java.net.Socket}s, code that shares nothing with ours.
 */
public final class RealSocketEnv implements TransportEnv {
    private final dev.iocp.core.backend.BackendFactory factory;
    private final String name;

    /** The platform's default backend (or {@code -Diocp.backend}'s). */
    public RealSocketEnv() {
        this(Backends.defaultFactory(), System.getProperty(Backends.PROPERTY, "platform default"));
    }

    /**
     * Backends from this factory.
     *
     * @param factory makes each loop's backend
     * @param name what the environment is called in reports
     */
    public RealSocketEnv(dev.iocp.core.backend.BackendFactory factory, String name) {
        this.factory = factory;
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public IocpEventLoopGroup newGroup(int loops) {
        return new IocpEventLoopGroup(loops, factory);
    }

    @Override
    public Peer connectPeer(InetSocketAddress address) throws Exception {
        return SocketPeer.connect(address);
    }

    @Override
    public PeerServer listenPeer() throws Exception {
        ServerSocket ss = new ServerSocket(0, 50, dev.iocp.core.testing.LoopTesting.LOOPBACK_V4);
        return new PeerServer() {
            @Override
            public InetSocketAddress address() {
                return (InetSocketAddress) ss.getLocalSocketAddress();
            }

            @Override
            public Peer accept(long timeoutMillis) throws Exception {
                ss.setSoTimeout((int) timeoutMillis);
                try {
                    Socket s = ss.accept();
                    return new SocketPeer(s);
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("no connection within " + timeoutMillis + " ms", e);
                }
            }

            @Override
            public void close() throws Exception {
                ss.close();
            }
        };
    }

    @Override
    public InetSocketAddress bindAddress() {
        return new InetSocketAddress(dev.iocp.core.testing.LoopTesting.LOOPBACK_V4, 0);
    }

    @Override
    public void close() {}
}
