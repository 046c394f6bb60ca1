package dev.iocp.bench.echo;

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
public interface EchoServer extends BenchServer {
}
