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
 * Negative control for the allocation column: a faithful thread-per-connection echo server that makes
 * {@code garbagePerRead} bytes of garbage per read (a fresh buffer each time). The bench must see at least that much
 * per ping-pong message.
 */
final class AllocatingEchoServer implements EchoServer {
    private final int garbagePerRead;
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private ServerSocket listener;
    private volatile boolean closed;

    AllocatingEchoServer(int garbagePerRead) {
        this.garbagePerRead = garbagePerRead;
    }

    @Override
    public String name() {
        return "allocating";
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
                    Thread t = new Thread(() -> echo(s), "allocating-echo");
                    t.setDaemon(true);
                    threads.add(t);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "allocating-acceptor");
        acceptor.setDaemon(true);
        threads.add(acceptor);
        acceptor.start();
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    private void echo(Socket s) {
        try (InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            while (true) {
                byte[] buf = new byte[garbagePerRead]; // the garbage: a new buffer per read
                int n = in.read(buf);
                if (n <= 0) return;
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
