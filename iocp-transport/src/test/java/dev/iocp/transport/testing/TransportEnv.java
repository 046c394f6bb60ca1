package dev.iocp.transport.testing;

import dev.iocp.core.loop.IocpEventLoopGroup;

import java.net.InetSocketAddress;

/** Where transport behaviour tests run: a loop group on some backend, and peers that reach it. */
public interface TransportEnv extends AutoCloseable {
    String name();

    /** A group of {@code loops} loops on this environment's backend. */
    IocpEventLoopGroup newGroup(int loops);

    /** A peer connected to a server of ours listening at {@code address}. */
    Peer connectPeer(InetSocketAddress address) throws Exception;

    /** A place our client can connect to; {@link PeerServer#accept} gives the peer. */
    PeerServer listenPeer() throws Exception;

    /** The loopback address servers bind in this environment (port 0). */
    InetSocketAddress bindAddress();

    interface PeerServer extends AutoCloseable {
        InetSocketAddress address();

        Peer accept(long timeoutMillis) throws Exception;
    }
}
