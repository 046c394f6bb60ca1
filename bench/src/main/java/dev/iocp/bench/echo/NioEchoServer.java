package dev.iocp.bench.echo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * Echo server on classic NIO ({@link Selector}: epoll on Linux, WEPoll on Windows) — what a Java user who writes
 * their own reactor would build.
 *
 * <ul>
 *   <li>{@code threads} selector threads, each with its own {@link Selector}. Loop 0 also owns the non-blocking
 *       listening socket (no extra acceptor thread to charge) and hands accepted channels round-robin to the
 *       loops through a queue + {@link Selector#wakeup()}.</li>
 *   <li>One direct {@link ByteBuffer} (64 KiB) per connection, allocated at accept; nothing is allocated per
 *       message ({@code select(Consumer)} avoids the selected-key iterator as well).</li>
 *   <li>On readable: read, then write the same bytes back at once. Only if the write is incomplete does the key
 *       switch to {@code OP_WRITE} — and away from {@code OP_READ}, so the connection is not read again until its
 *       echo is flushed (flow control: a client that does not read cannot make the server buffer unboundedly).
 *       When a read filled the whole buffer and was echoed completely, it reads again (up to 4 times) before
 *       returning to the selector, as Netty does.</li>
 *   <li>TCP_NODELAY on every accepted socket.</li>
 * </ul>
 */
public final class NioEchoServer implements EchoServer {
    static final int BUFFER_SIZE = 64 * 1024;
    private static final int MAX_READS_PER_EVENT = 4;

    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private ServerSocketChannel listener;
    private Loop[] loops;
    private volatile boolean closed;

    @Override
    public String name() {
        return "nio";
    }

    @Override
    public List<Thread> serverThreads() {
        return threads;
    }

    @Override
    public InetSocketAddress start(InetSocketAddress bind, int nThreads) throws IOException {
        if (nThreads < 1) throw new IllegalArgumentException("threads must be >= 1");
        listener = ServerSocketChannel.open();
        listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        listener.bind(bind, 4096);
        listener.configureBlocking(false);
        loops = new Loop[nThreads];
        for (int i = 0; i < nThreads; i++) loops[i] = new Loop(i);
        listener.register(loops[0].selector, SelectionKey.OP_ACCEPT, null);
        CountDownLatch started = new CountDownLatch(nThreads);
        for (Loop l : loops) {
            Thread t = new Thread(() -> {
                started.countDown();
                l.run();
            }, "nio-echo-" + l.index);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        try {
            started.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return (InetSocketAddress) listener.getLocalAddress();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (loops != null) for (Loop l : loops) l.selector.wakeup();
        for (Thread t : threads) {
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            if (listener != null) listener.close();
        } catch (IOException ignored) {
        }
    }

    private final class Loop implements Consumer<SelectionKey> {
        final int index;
        final Selector selector;
        final Queue<SocketChannel> incoming = new ConcurrentLinkedQueue<>();
        int nextLoop; // round-robin cursor, used by loop 0 only

        Loop(int index) throws IOException {
            this.index = index;
            this.selector = Selector.open();
        }

        void run() {
            try {
                while (!closed) {
                    selector.select(this);
                    SocketChannel ch;
                    while ((ch = incoming.poll()) != null) register(ch);
                }
            } catch (IOException | ClosedSelectorException e) {
                if (!closed) throw new UncheckedIOException(new IOException("nio echo loop " + index + " died", e));
            } finally {
                for (SelectionKey k : selector.keys()) closeQuietly(k);
                try {
                    selector.close();
                } catch (IOException ignored) {
                }
            }
        }

        private void register(SocketChannel ch) {
            try {
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                Conn c = new Conn(ch);
                c.key = ch.register(selector, SelectionKey.OP_READ, c);
            } catch (IOException e) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                }
            }
        }

        @Override
        public void accept(SelectionKey key) {
            if (!key.isValid()) return;
            Object att = key.attachment();
            if (att == null) {
                acceptAll();
                return;
            }
            Conn c = (Conn) att;
            try {
                int ready = key.readyOps();
                if ((ready & SelectionKey.OP_WRITE) != 0) {
                    c.onWritable();
                } else if ((ready & SelectionKey.OP_READ) != 0) {
                    c.onReadable();
                }
            } catch (IOException e) {
                closeQuietly(key);
            }
        }

        private void acceptAll() {
            try {
                SocketChannel ch;
                while ((ch = listener.accept()) != null) {
                    Loop target = loops[nextLoop];
                    nextLoop = (nextLoop + 1) % loops.length;
                    if (target == this) {
                        register(ch);
                    } else {
                        target.incoming.add(ch);
                        target.selector.wakeup();
                    }
                }
            } catch (IOException e) {
                if (!closed) throw new UncheckedIOException(e);
            }
        }
    }

    private static void closeQuietly(SelectionKey k) {
        k.cancel();
        try {
            k.channel().close();
        } catch (IOException ignored) {
        }
    }

    private static final class Conn {
        final SocketChannel ch;
        final ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER_SIZE);
        SelectionKey key;

        Conn(SocketChannel ch) {
            this.ch = ch;
        }

        void onReadable() throws IOException {
            for (int i = 0; i < MAX_READS_PER_EVENT; i++) {
                int n = ch.read(buf);
                if (n < 0) {
                    closeQuietly(key);
                    return;
                }
                if (n == 0) return;
                buf.flip();
                ch.write(buf);
                if (buf.hasRemaining()) {
                    // Echo incomplete: stop reading this connection until it is flushed.
                    key.interestOps(SelectionKey.OP_WRITE);
                    return;
                }
                buf.clear();
                if (n < BUFFER_SIZE) return; // socket likely drained; let the selector tell us
            }
        }

        void onWritable() throws IOException {
            ch.write(buf);
            if (!buf.hasRemaining()) {
                buf.clear();
                key.interestOps(SelectionKey.OP_READ);
            }
        }
    }
}
