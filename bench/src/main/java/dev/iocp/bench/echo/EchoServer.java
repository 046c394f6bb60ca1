package dev.iocp.bench.echo;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * An echo server under benchmark: every byte a client sends comes back to it, in order.
 *
 * <p>Implementations are compared in one JVM against the same {@link LoadGenerator}. To be comparable they must
 * (a) set TCP_NODELAY on accepted sockets, (b) not allocate per message on their own hot path, (c) apply flow
 * control (stop reading a connection while its echo is not yet fully written), and (d) report every thread that
 * does server work in {@link #serverThreads()} so that its CPU time can be charged to the server.
 *
 * <p>To add a server (e.g. the iocp transport) implement this interface and register it in {@link Servers}.
 */
public interface EchoServer extends AutoCloseable {

    /**
     * Binds and starts serving. Returns when the server is accepting.
     *
     * @param bind    address to bind (port 0 for an ephemeral port)
     * @param threads number of I/O threads (event loops / pool threads) the server may use
     * @return the address actually bound
     */
    InetSocketAddress start(InetSocketAddress bind, int threads) throws IOException;

    /** Stops accepting, closes every connection and stops the server's threads. Idempotent. */
    @Override
    void close();

    /** Short name used on the command line and in results ({@code nio}, {@code nio2}, {@code iocp}). */
    String name();

    /**
     * Every thread that does this server's work (accepting, I/O, completion handling), for per-thread CPU
     * accounting with {@link java.lang.management.ThreadMXBean#getThreadCpuTime(long)}. Valid after
     * {@link #start}; a thread created lazily later must be added to the returned (live) list.
     */
    List<Thread> serverThreads();
}
