package dev.iocp.race;

import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.transport.Protocol;
import dev.iocp.transport.Server;
import dev.iocp.transport.Transport;
import dev.iocp.transport.Transports;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The race's echo server: writes back what it reads, pausing its own reading while its write buffer is above the
 * high-water mark (so nothing queues unbounded), and — with {@code pauseServer} — also every P ms. With
 * {@code verify} it checks the client's stream byte for byte before echoing it.
 */
public final class EchoServer {
    private final IocpEventLoopGroup group;
    private final Server server;
    private final RaceConfig cfg;
    private final boolean verify;
    final AtomicLong echoed = new AtomicLong();
    /** Of {@link #echoed}, the bytes sent back from the buffer they arrived in (no copy: {@link EchoProtocol#echo}). */
    final AtomicLong echoedInPlace = new AtomicLong();
    final List<String> errors = Collections.synchronizedList(new ArrayList<>());
    final List<String> causes = Collections.synchronizedList(new ArrayList<>());
    private final List<Conn> connections = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong lostCount = new AtomicLong();

    private EchoServer(IocpEventLoopGroup group, Server server, RaceConfig cfg, boolean verify) {
        this.group = group;
        this.server = server;
        this.cfg = cfg;
        this.verify = verify;
    }

    /** @param verify check the incoming stream (the client's race stream, {@code cfg.size} packets) */
    public static EchoServer start(IocpEventLoopGroup group, InetSocketAddress bind, RaceConfig cfg, boolean verify)
            throws Exception {
        EchoServer[] self = new EchoServer[1];
        Server s = (cfg.serverTls == null
                ? Transports.listen(group, bind, () -> self[0].newConn(), cfg.transport, 8)
                : Transports.listen(group, bind, () -> self[0].newConn(), cfg.transport, 8, cfg.serverTls))
                .get(30, TimeUnit.SECONDS);
        self[0] = new EchoServer(group, s, cfg, verify);
        return self[0];
    }

    private Conn newConn() {
        Conn c = new Conn(connections.size());
        connections.add(c);
        return c;
    }

    public InetSocketAddress address() {
        return server.localAddress();
    }

    /** See {@link Server#onAcceptError}. */
    public void onAcceptError(java.util.function.Consumer<? super Throwable> handler) {
        server.onAcceptError(handler);
    }

    public IocpEventLoopGroup group() {
        return group;
    }

    List<Conn> connections() {
        synchronized (connections) {
            return List.copyOf(connections);
        }
    }

    public long echoedBytes() {
        return echoed.get();
    }

    /** {@return of {@link #echoedBytes()}, the bytes echoed in place (retainReceived + writeOwned)} */
    public long echoedInPlaceBytes() {
        return echoedInPlace.get();
    }

    void awaitConnectionsLost(int n, long timeoutMs, List<String> errs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (lostCount.get() < n) {
            if (System.currentTimeMillis() > deadline) {
                errs.add("server: only " + lostCount.get() + " of " + n + " connections ended within " + timeoutMs + " ms");
                return;
            }
            Thread.sleep(2);
        }
    }

    public void close() throws InterruptedException {
        server.close().await(30, TimeUnit.SECONDS);
    }

    /** One accepted connection. */
    final class Conn implements Protocol {
        final int index;
        final StreamVerifier verifier;
        final SplittableRandom rnd;
        Transport t;
        boolean timerPaused;
        boolean writePaused;
        boolean ended;
        long pauses;
        long bytes;
        ScheduledFuture<?> timer;
        /** The transport's counters, taken in connectionLost (on the loop: exact, and final). */
        volatile ReadCounts finalCounts;

        Conn(int index) {
            this.index = index;
            this.verifier = new StreamVerifier(new StreamPattern(Math.max(cfg.size, StreamPattern.HEADER + 1)),
                    verify ? cfg.totalBytesPerConnection() : -1);
            this.rnd = new SplittableRandom(cfg.seed ^ 0x5DEECE66DL ^ index);
        }

        /** Exact once the connection ended; before that (a timed-out run) a racy read. */
        ReadCounts counts() {
            ReadCounts f = finalCounts;
            if (f != null) {
                return f;
            }
            Transport tr = t;
            return tr == null ? ReadCounts.ZERO : ReadCounts.of(tr.counters());
        }

        @Override
        public void connectionMade(Transport transport) {
            t = transport;
            if (cfg.pauseServer && cfg.pauseIntervalMs > 0) {
                scheduleToggle();
            }
        }

        private void scheduleToggle() {
            timer = t.loop().schedule(() -> {
                if (ended) {
                    return;
                }
                timerPaused = !timerPaused;
                if (timerPaused) {
                    pauses++;
                }
                applyReading();
                scheduleToggle();
            }, RaceHarness.interval(cfg, rnd), TimeUnit.MILLISECONDS);
        }

        private void applyReading() {
            if (timerPaused || writePaused) {
                t.pauseReading();
            } else {
                t.resumeReading();
            }
        }

        @Override
        public void dataReceived(ByteBuffer data) {
            try {
                if (verify) {
                    synchronized (this) {
                        verifier.update(data);
                    }
                }
                int n = data.remaining();
                bytes += n;
                if (EchoProtocol.echo(t, data)) {
                    echoedInPlace.addAndGet(n);
                }
                echoed.addAndGet(n);
            } catch (Throwable e) {
                errors.add("server conn " + index + " dataReceived threw " + e);
                throw e;
            }
        }

        @Override
        public boolean eofReceived() {
            if (verify) {
                synchronized (this) {
                    verifier.finish();
                }
            }
            return false; // close after flushing the echo: the client reads it all, then EOF
        }

        @Override
        public void pauseWriting() {
            writePaused = true;
            applyReading();
        }

        @Override
        public void resumeWriting() {
            writePaused = false;
            applyReading();
        }

        @Override
        public void connectionLost(Throwable cause) {
            ended = true;
            finalCounts = ReadCounts.of(t.counters());
            if (timer != null) {
                timer.cancel(false);
            }
            if (verify) {
                synchronized (this) {
                    verifier.finish();
                }
            }
            if (cause != null) {
                causes.add("server conn " + index + ": " + cause);
            }
            lostCount.incrementAndGet();
        }
    }
}
