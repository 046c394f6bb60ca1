package dev.iocp.http;

import java.net.InetSocketAddress;

/**
 * A started HTTP server, whichever API serves it. It owns its listener only: the event loops were handed to it and
 * stay their creator's to shut down, so one group can carry several servers (or a benchmark's own load).
 */
public interface RunningHttpServer extends AutoCloseable {

    /** The bound address (with the port the system chose, if 0 was asked for). */
    InetSocketAddress localAddress();

    /** Stops accepting; connections already open are left to finish or to the loops' shutdown. Waits at most 10 s. */
    @Override
    void close();
}
