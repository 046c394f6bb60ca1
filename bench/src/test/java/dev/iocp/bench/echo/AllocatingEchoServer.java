package dev.iocp.bench.echo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Negative control for the allocation column: a faithful echo server that makes {@code garbagePerRead} bytes of
 * garbage per read (a fresh buffer each time). The bench must see at least that much per ping-pong message.
 */
final class AllocatingEchoServer extends BlockingEchoServer {
    private final int garbagePerRead;

    AllocatingEchoServer(int garbagePerRead) {
        this.garbagePerRead = garbagePerRead;
    }

    @Override
    public String name() {
        return "allocating";
    }

    @Override
    void echo(InputStream in, OutputStream out) throws IOException {
        while (true) {
            byte[] buf = new byte[garbagePerRead]; // the garbage: a new buffer per read
            int n = in.read(buf);
            if (n <= 0) return;
            out.write(buf, 0, n);
        }
    }
}
