package dev.iocp.transport.testing;

import java.net.InetSocketAddress;

/**
 * The far end of a connection under test, driven by the test: a simulated peer, or a plain blocking
 * {@code java.net.Socket} on real loopback (code that doesn't share ours).
 */
public interface Peer extends AutoCloseable {
    enum Ending { NONE, FIN, RESET }

    void write(byte[] bytes) throws Exception;

    /** Blocks until {@code n} bytes arrived (reading them, so the window opens), or fails after the timeout. */
    byte[] readExactly(int n, long timeoutMillis) throws Exception;

    /** Reads until the connection ends; returns how (FIN after all data, RESET, or NONE at the timeout). */
    Ending awaitEnding(long timeoutMillis) throws Exception;

    /** Reads and discards until the connection ends; returns how many bytes it read and how it ended. */
    record Drained(long bytes, Ending ending) {}

    Drained drainToEnd(long timeoutMillis) throws Exception;

    void shutdownOutput() throws Exception;

    /** Graceful close (FIN). */
    @Override
    void close() throws Exception;

    /** SO_LINGER{1,0} + close: RST. */
    void reset() throws Exception;

    InetSocketAddress localAddress();
}
