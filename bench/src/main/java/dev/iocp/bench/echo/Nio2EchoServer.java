package dev.iocp.bench.echo;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousChannelGroup;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Echo server on NIO.2 ({@link AsynchronousSocketChannel}: an epoll-based port on Linux, IOCP on Windows) — the
 * JDK's own proactor API, the closest alternative to iocp a Java user has.
 *
 * <ul>
 *   <li>{@link AsynchronousChannelGroup#withFixedThreadPool} with {@code threads} threads; its
 *       {@link ThreadFactory} records every thread it creates, so their CPU time is charged to the server.</li>
 *   <li>Per connection: one direct {@link ByteBuffer} (64 KiB) and two {@link CompletionHandler}s created at
 *       accept and reused; the chain is read → write (re-issued until the buffer is fully written) → read. Only one
 *       read or write is outstanding per connection, so reading stops while an echo is incomplete (flow
 *       control). No per-message allocation in this code (the JDK's own per-operation bookkeeping is part of
 *       what is measured).</li>
 *   <li>TCP_NODELAY on every accepted socket.</li>
 * </ul>
 */
public final class Nio2EchoServer implements EchoServer {
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private AsynchronousChannelGroup group;
    private AsynchronousServerSocketChannel listener;
    private volatile boolean closed;

    @Override
    public String name() {
        return "nio2";
    }

    @Override
    public List<Thread> serverThreads() {
        return threads;
    }

    @Override
    public InetSocketAddress start(InetSocketAddress bind, int nThreads) throws IOException {
        if (nThreads < 1) throw new IllegalArgumentException("threads must be >= 1");
        AtomicInteger seq = new AtomicInteger();
        ThreadFactory recording = r -> {
            Thread t = new Thread(r, "nio2-echo-" + seq.getAndIncrement());
            t.setDaemon(true);
            threads.add(t);
            return t;
        };
        group = AsynchronousChannelGroup.withFixedThreadPool(nThreads, recording);
        listener = AsynchronousServerSocketChannel.open(group);
        listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        listener.bind(bind, 4096);
        listener.accept(null, new CompletionHandler<AsynchronousSocketChannel, Void>() {
            @Override
            public void completed(AsynchronousSocketChannel ch, Void a) {
                if (!closed) listener.accept(null, this);
                try {
                    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    new Conn(ch).read();
                } catch (IOException | RuntimeException e) {
                    closeQuietly(ch);
                }
            }

            @Override
            public void failed(Throwable t, Void a) {
                if (!closed && listener.isOpen()) listener.accept(null, this);
            }
        });
        return (InetSocketAddress) listener.getLocalAddress();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            if (listener != null) listener.close();
        } catch (IOException ignored) {
        }
        if (group != null) {
            try {
                group.shutdownNow();
                group.awaitTermination(5, TimeUnit.SECONDS);
            } catch (IOException ignored) {
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void closeQuietly(AsynchronousSocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
        }
    }

    private static final class Conn {
        final AsynchronousSocketChannel ch;
        final ByteBuffer buf = ByteBuffer.allocateDirect(NioEchoServer.BUFFER_SIZE);

        final CompletionHandler<Integer, Void> onRead = new CompletionHandler<>() {
            @Override
            public void completed(Integer n, Void a) {
                if (n < 0) {
                    closeQuietly(ch);
                    return;
                }
                buf.flip();
                try {
                    ch.write(buf, null, onWrite);
                } catch (RuntimeException e) { // e.g. ShutdownChannelGroupException while closing
                    closeQuietly(ch);
                }
            }

            @Override
            public void failed(Throwable t, Void a) {
                closeQuietly(ch);
            }
        };

        final CompletionHandler<Integer, Void> onWrite = new CompletionHandler<>() {
            @Override
            public void completed(Integer n, Void a) {
                try {
                    if (buf.hasRemaining()) {
                        ch.write(buf, null, this);
                    } else {
                        read();
                    }
                } catch (RuntimeException e) { // e.g. ShutdownChannelGroupException while closing
                    closeQuietly(ch);
                }
            }

            @Override
            public void failed(Throwable t, Void a) {
                closeQuietly(ch);
            }
        };

        Conn(AsynchronousSocketChannel ch) {
            this.ch = ch;
        }

        void read() {
            buf.clear();
            ch.read(buf, null, onRead);
        }
    }
}
