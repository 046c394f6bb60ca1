package dev.iocp.bench.echo;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * A server under benchmark, whatever it serves (an {@link EchoServer}, or an HTTP server of the HTTP bench): how it
 * is started and stopped, and which threads are charged with its CPU time. A {@link ServerProcess} child runs one.
 */
public interface BenchServer extends AutoCloseable {

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

    /** Short name used on the command line and in results ({@code nio}, {@code iocp}, {@code http-native}). */
    String name();

    /**
     * Every thread that does this server's work (accepting, I/O, completion handling), for per-thread CPU
     * accounting with {@link java.lang.management.ThreadMXBean#getThreadCpuTime(long)}. Valid after
     * {@link #start}; a thread created lazily later must be added to the returned (live) list.
     */
    List<Thread> serverThreads();
}
