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
 * The negative controls' common body: a thread-per-connection server over blocking sockets, each thread charged to
 * the server, whose per-connection loop ({@link #echo}) is what a control gets wrong on purpose.
 */
abstract class BlockingEchoServer implements EchoServer {
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private ServerSocket listener;
    private volatile boolean closed;

    /** Serves one connection until its peer is done; returning or throwing ends it. */
    abstract void echo(InputStream in, OutputStream out) throws IOException;

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
                    Thread t = new Thread(() -> serve(s), name() + "-echo");
                    t.setDaemon(true);
                    threads.add(t);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, name() + "-acceptor");
        acceptor.setDaemon(true);
        threads.add(acceptor);
        acceptor.start();
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    private void serve(Socket s) {
        try (InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            echo(in, out);
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
