package dev.iocp.bench.echo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Negative control: an echo server that flips one bit of the byte at stream offset {@code corruptAt} of every
 * connection and echoes everything else faithfully. The benchmark's verification must catch it.
 */
final class CorruptingEchoServer extends BlockingEchoServer {
    private final long corruptAt;

    CorruptingEchoServer(long corruptAt) {
        this.corruptAt = corruptAt;
    }

    @Override
    public String name() {
        return "corrupting";
    }

    @Override
    void echo(InputStream in, OutputStream out) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long offset = 0;
        int n;
        while ((n = in.read(buf)) > 0) {
            if (corruptAt >= offset && corruptAt < offset + n) buf[(int) (corruptAt - offset)] ^= 0x01;
            offset += n;
            out.write(buf, 0, n);
        }
    }
}
