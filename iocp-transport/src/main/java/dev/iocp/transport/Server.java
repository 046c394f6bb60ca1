package dev.iocp.transport;

import io.netty.util.concurrent.Future;

import java.net.InetSocketAddress;

/** A listening socket that hands each accepted connection to a new {@link Protocol}. */
public interface Server {
    /** The bound address (with the real port when 0 was asked for). */
    InetSocketAddress localAddress();

    /** Connections accepted so far. */
    long acceptedCount();

    /**
     * Stops accepting: closes the listening socket. Connections already accepted are left alone. The returned future
     * completes once every pending accept has had its packet.
     */
    Future<Void> close();
}
