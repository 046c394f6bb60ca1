package dev.iocp.bench.echo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Negative control: a thread-per-connection echo server that flips one bit of the byte at stream offset
 * {@code corruptAt} of every connection and echoes everything else faithfully. The benchmark's verification must
 * catch it.
 */
final class CorruptingEchoServer implements EchoServer {
    private final long corruptAt;
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private ServerSocket listener;
    private volatile boolean closed;

    CorruptingEchoServer(long corruptAt) {
        this.corruptAt = corruptAt;
    }

    @Override
    public String name() {
        return "corrupting";
    }

    @Override
    public List<Thread> serverThreads() {
        return threads;
    }

    @Override
    public InetSocketAddress start(InetSocketAddress bind, int nThreads) throws IOException {
        listener = new ServerSocket();
        listener.bind(bind, 128);
        Thread acceptor = new Thread(() -> {
            while (!closed) {
                try {
                    Socket s = listener.accept();
                    s.setTcpNoDelay(true);
                    sockets.add(s);
                    Thread t = new Thread(() -> echo(s), "corrupting-echo");
                    t.setDaemon(true);
                    threads.add(t);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "corrupting-acceptor");
        acceptor.setDaemon(true);
        threads.add(acceptor);
        acceptor.start();
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    private void echo(Socket s) {
        byte[] buf = new byte[64 * 1024];
        long offset = 0;
        try (InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                if (corruptAt >= offset && corruptAt < offset + n) buf[(int) (corruptAt - offset)] ^= 0x01;
                offset += n;
                out.write(buf, 0, n);
            }
        } catch (IOException ignored) {
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            if (listener != null) listener.close();
        } catch (IOException ignored) {
        }
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
            }
        }
    }
}
