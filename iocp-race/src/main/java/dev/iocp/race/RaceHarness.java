package dev.iocp.race;

import dev.iocp.core.backend.BackendFactory;
import dev.iocp.core.backend.Backends;
import dev.iocp.core.backend.sim.SimulatedBackend;
import dev.iocp.core.backend.sim.SimulatedNetwork;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.transport.Protocol;
import dev.iocp.transport.Server;
import dev.iocp.transport.Transport;
import dev.iocp.transport.TransportCounters;
import dev.iocp.transport.Transports;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The race (after race.py of bpo-33694): echo clients and an echo server over the transport, the clients' reading
 * paused and resumed every P ms while both directions stream; every byte is checked on both sides.
 */
public final class RaceHarness {
    /** 127.0.0.1 from its bytes (never getLoopbackAddress(): under Wine that walks NetworkInterface and crashes). */
    public static final InetAddress LOOPBACK_V4;

    static {
        try {
            LOOPBACK_V4 = InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final int CHUNK = 64 * 1024;
    /** firstPauseUntilHeld: how long the first pause may wait for its receive to complete (it takes microseconds). */
    static final long FIRST_HOLD_TIMEOUT_SECONDS = 30;

    private RaceHarness() {}

    /** A backend factory by name; "simulated" gets a fresh network shared by every loop made from this factory. */
    public static BackendFactory factory(String backend) {
        if (backend == null) {
            return Backends.defaultFactory();
        }
        if (backend.equals("simulated")) {
            SimulatedNetwork net = new SimulatedNetwork();
            return () -> new SimulatedBackend(net);
        }
        return Backends.byName(backend);
    }

    /** Server and clients in one process: the whole race. */
    public static RaceResult run(RaceConfig cfg, Consumer<String> progress) throws Exception {
        BackendFactory factory = factory(cfg.backend);
        IocpEventLoopGroup serverGroup = new IocpEventLoopGroup(1, factory);
        IocpEventLoopGroup clientGroup = new IocpEventLoopGroup(1, factory);
        try {
            EchoServer server = EchoServer.start(serverGroup, new InetSocketAddress(LOOPBACK_V4, 0), cfg, true);
            RaceResult r = runClients(cfg, clientGroup, server.address(), server, progress);
            return r;
        } finally {
            clientGroup.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS);
            serverGroup.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Runs {@code cfg.connections} clients against {@code address}. With {@code server} (same process) its checks and
     * its loops' ops in flight join the result.
     */
    public static RaceResult runClients(RaceConfig cfg, IocpEventLoopGroup clientGroup, InetSocketAddress address,
                                        EchoServer server, Consumer<String> progress) throws Exception {
        List<String> errors = Collections.synchronizedList(new ArrayList<>());
        List<String> causes = Collections.synchronizedList(new ArrayList<>());
        ScheduledExecutorService foreign = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "race-foreign-resumer");
            t.setDaemon(true);
            return t;
        });
        CountDownLatch done = new CountDownLatch(cfg.connections);
        List<RaceClient> clients = new ArrayList<>();
        long start = System.nanoTime();
        try {
            for (int c = 0; c < cfg.connections; c++) {
                RaceClient client = new RaceClient(c, cfg, foreign, errors, causes, done);
                clients.add(client);
                try {
                    (cfg.clientTls == null
                            ? Transports.connect(clientGroup.next(), address, client, cfg.transport)
                            : Transports.connect(clientGroup.next(), address, client, cfg.transport, cfg.clientTls))
                            .get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    errors.add("connection " + c + ": connect failed: " + e);
                    done.countDown();
                }
            }
            long deadline = start + TimeUnit.MILLISECONDS.toNanos(cfg.timeoutMs);
            long step = cfg.progressEveryMs > 0 ? cfg.progressEveryMs : 200;
            while (!done.await(step, TimeUnit.MILLISECONDS)) {
                if (cfg.progressEveryMs > 0 && progress != null) {
                    long s = 0;
                    long v = 0;
                    for (RaceClient cl : clients) {
                        s += cl.sent.get();
                        v += cl.verifiedVisible.get();
                    }
                    progress.accept("race: progress sent=" + s + " verified=" + v);
                }
                if (System.nanoTime() > deadline) {
                    errors.add("timed out after " + cfg.timeoutMs + " ms: " + clients);
                    for (RaceClient cl : clients) {
                        cl.abort();
                    }
                    done.await(10, TimeUnit.SECONDS);
                    break;
                }
            }
        } finally {
            foreign.shutdownNow();
        }
        long elapsed = System.nanoTime() - start;
        if (server != null) {
            server.awaitConnectionsLost(cfg.connections, 30_000, errors);
        }
        if (server != null) {
            server.close(); // its pending accepts end; then every op of its loop must be back
        }
        int inFlight = opsInFlight(clientGroup, errors);
        if (server != null) {
            inFlight += opsInFlight(server.group(), errors);
        }
        long sent = 0, verified = 0, lost = 0, dup = 0, reord = 0, corrupt = 0, pauses = 0;
        String firstBad = null;
        ReadCounts clientCounts = ReadCounts.ZERO;
        ReadCounts serverCounts = ReadCounts.ZERO;
        for (RaceClient cl : clients) {
            clientCounts = clientCounts.plus(cl.counts());
            sent += cl.sent.get();
            StreamVerifier v = cl.verifier;
            synchronized (cl) {
                verified += v.verified();
                lost += v.lost();
                dup += v.duplicated();
                reord += v.reordered();
                corrupt += v.corrupt();
                if (firstBad == null && v.firstBad() != null) {
                    firstBad = "client " + cl.index + " (echo): " + v.firstBad();
                }
            }
            pauses += cl.pauses.get();
        }
        long echoed = server != null ? server.echoed.get() : 0;
        long echoedInPlace = server != null ? server.echoedInPlace.get() : 0;
        long sv = 0, sl = 0, sd = 0, sr = 0, sc = 0;
        if (server != null) {
            for (EchoServer.Conn sc0 : server.connections()) {
                synchronized (sc0) {
                    StreamVerifier v = sc0.verifier;
                    sv += v.verified();
                    sl += v.lost();
                    sd += v.duplicated();
                    sr += v.reordered();
                    sc += v.corrupt();
                    if (v.firstBad() != null && (firstBad == null || firstBad.startsWith("client"))) {
                        firstBad = "server conn " + sc0.index + " (from client): " + v.firstBad()
                                + (firstBad == null ? "" : " ; " + firstBad);
                    }
                }
                pauses += sc0.pauses;
                serverCounts = serverCounts.plus(sc0.counts());
            }
            errors.addAll(server.errors);
            causes.addAll(server.causes);
        } else {
            echoed = verified + lost; // what came back
        }
        return new RaceResult(cfg.packets, cfg.size, cfg.connections, sent, echoed, echoedInPlace, verified, lost, dup, reord,
                corrupt, sv, sl, sd, sr, sc, cfg.totalBytesPerConnection() * cfg.connections, firstBad, pauses,
                elapsed, List.copyOf(errors), List.copyOf(causes), inFlight, server != null, clientCounts, serverCounts,
                1);
    }

    /** Sum of opsInFlight() over the group's loops, waiting (bounded) for it to reach 0. */
    public static int opsInFlight(IocpEventLoopGroup group, List<String> errors) {
        int total = 0;
        for (EventExecutor e : group) {
            IocpEventLoop loop = (IocpEventLoop) e;
            int n = -1;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            try {
                do {
                    n = loop.submit(loop::opsInFlight).get(10, TimeUnit.SECONDS);
                    if (n == 0) {
                        break;
                    }
                    Thread.sleep(5);
                } while (System.nanoTime() < deadline);
            } catch (Exception ex) {
                errors.add("opsInFlight on " + loop + ": " + ex);
            }
            total += Math.max(n, 0);
        }
        return total;
    }

    /** Pause/resume interval source. Loop thread only. */
    static long interval(RaceConfig cfg, SplittableRandom rnd) {
        if (!cfg.jitter) {
            return cfg.pauseIntervalMs;
        }
        return 1 + rnd.nextLong(cfg.pauseIntervalMs);
    }

    // ====================================================================== client

    /** Sends the stream with write flow control, verifies the echo, pauses/resumes its reading. */
    static final class RaceClient implements Protocol {
        final int index;
        final RaceConfig cfg;
        final StreamPattern pattern;
        final StreamVerifier verifier;
        final ScheduledExecutorService foreign;
        final List<String> errors;
        final List<String> causes;
        final CountDownLatch done;
        final SplittableRandom rnd;
        final AtomicLong sent = new AtomicLong();
        final AtomicLong verifiedVisible = new AtomicLong();
        final AtomicLong pauses = new AtomicLong();
        final byte[] chunk;
        volatile Transport transport;
        volatile boolean ended;
        /** The transport's counters, taken in connectionLost (on the loop: exact, and final). */
        volatile ReadCounts finalCounts;
        boolean firstPausePending; // firstPauseUntilHeld: waiting for the first delivery
        /**
         * firstPauseUntilHeld: the first pause is queued and has not run yet. Deliveries can go on before it runs (in
         * READINESS mode one readiness packet leads to several receives in a row), and a pause made in one of them
         * would leave nothing in flight for the first pause to find: none is made meanwhile.
         */
        boolean firstPauseQueued;
        long nextPos; // next stream position to send
        boolean writePaused;
        boolean eofSent;
        boolean pausePending; // pauseInCallback: paused, resume scheduled
        long nextCallbackPauseNanos;
        ScheduledFuture<?> timer;

        RaceClient(int index, RaceConfig cfg, ScheduledExecutorService foreign, List<String> errors,
                   List<String> causes, CountDownLatch done) {
            this.index = index;
            this.cfg = cfg;
            this.pattern = new StreamPattern(cfg.size);
            this.verifier = new StreamVerifier(pattern, cfg.totalBytesPerConnection());
            this.foreign = foreign;
            this.errors = errors;
            this.causes = causes;
            this.done = done;
            this.rnd = new SplittableRandom(cfg.seed + index);
            this.chunk = new byte[Math.min(CHUNK, cfg.size)];
        }

        private void failed(String where, Throwable t) {
            errors.add("client " + index + " " + where + " threw " + t);
        }

        @Override
        public void connectionMade(Transport t) {
            try {
                transport = t;
                nextCallbackPauseNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(cfg.pauseIntervalMs);
                if (cfg.firstPauseUntilHeld) {
                    firstPausePending = true; // the schedule starts once the first window was hit
                } else {
                    startSchedule();
                }
                pump();
            } catch (Throwable e) {
                failed("connectionMade", e);
                throw e;
            }
        }

        private void pump() {
            long total = cfg.totalBytesPerConnection();
            while (!writePaused && nextPos < total && !ended) {
                // One write per packet (as race.py did), in 64 KiB pieces for bigger packets: never across packets.
                int n = (int) Math.min(chunk.length, Math.min(total - nextPos, cfg.size - nextPos % cfg.size));
                pattern.fill(nextPos, chunk, 0, n);
                transport.write(chunk, 0, n);
                nextPos += n;
                sent.addAndGet(n);
            }
            if (nextPos == total && !eofSent && !ended) {
                eofSent = true;
                transport.writeEof();
            }
        }

        private void startSchedule() {
            if (cfg.pauseIntervalMs > 0 && !cfg.pauseInCallback) {
                schedulePause();
            }
        }

        /**
         * firstPauseUntilHeld: a loop task queued by the first dataReceived, so it runs after deliver() re-armed the
         * receive — the pause leaves it in flight, with the rest of the stream (or at least the EOF) still to come,
         * so it will complete while paused. The pause lasts until it has.
         */
        private void firstPause() {
            firstPauseQueued = false;
            if (ended) {
                return;
            }
            TransportCounters c = transport.counters();
            long opened = c.pausesWithReceiveInFlight();
            long heldBefore = c.held();
            transport.pauseReading();
            pauses.incrementAndGet();
            if (c.pausesWithReceiveInFlight() == opened) {
                errors.add("client " + index + ": the first pause found no receive in flight (" + c + ")");
                transport.resumeReading();
                startSchedule();
                return;
            }
            awaitFirstHeld(heldBefore, System.nanoTime() + TimeUnit.SECONDS.toNanos(FIRST_HOLD_TIMEOUT_SECONDS));
        }

        /** A wait on a condition, polled on the loop, bounded: past the deadline it is an error, and reading resumes. */
        private void awaitFirstHeld(long heldBefore, long deadline) {
            if (ended) {
                return;
            }
            boolean held = transport.counters().held() > heldBefore;
            boolean timedOut = !held && System.nanoTime() > deadline;
            if (timedOut) {
                errors.add("client " + index + ": the receive left in flight by the first pause was not held within "
                        + FIRST_HOLD_TIMEOUT_SECONDS + " s (" + transport.counters() + ")");
            }
            if (held || timedOut) {
                transport.resumeReading();
                if (cfg.pauseInCallback) {
                    nextCallbackPauseNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(interval(cfg, rnd));
                }
                startSchedule();
                return;
            }
            timer = transport.loop().schedule(() -> awaitFirstHeld(heldBefore, deadline), 1, TimeUnit.MILLISECONDS);
        }

        /** This client's read counts: exact once it ended; before that (a timed-out run) a racy read. */
        ReadCounts counts() {
            ReadCounts f = finalCounts;
            if (f != null) {
                return f;
            }
            Transport t = transport;
            return t == null ? ReadCounts.ZERO : ReadCounts.of(t.counters());
        }

        private void schedulePause() {
            if (ended) {
                return;
            }
            timer = transport.loop().schedule(this::doPause, interval(cfg, rnd), TimeUnit.MILLISECONDS);
        }

        private void doPause() {
            if (ended) {
                return;
            }
            transport.pauseReading();
            pauses.incrementAndGet();
            scheduleResume();
        }

        private void scheduleResume() {
            long d = interval(cfg, rnd);
            Runnable afterResume = cfg.pauseInCallback ? () -> {
                pausePending = false;
                nextCallbackPauseNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(interval(cfg, rnd));
            } : this::schedulePause;
            if (cfg.resumeFromForeignThread) {
                foreign.schedule(() -> {
                    if (ended) {
                        return;
                    }
                    try {
                        transport.resumeReading(); // from this foreign thread: the transport carries it over
                        transport.loop().execute(afterResume);
                    } catch (RejectedExecutionException ignored) {
                        // the loop is shutting down after the run
                    }
                }, d, TimeUnit.MILLISECONDS);
            } else {
                timer = transport.loop().schedule(() -> {
                    if (!ended) {
                        transport.resumeReading();
                        afterResume.run();
                    }
                }, d, TimeUnit.MILLISECONDS);
            }
        }

        @Override
        public void dataReceived(ByteBuffer data) {
            try {
                synchronized (this) {
                    verifier.update(data);
                }
                verifiedVisible.lazySet(verifier.verified());
                if (firstPausePending) {
                    firstPausePending = false;
                    firstPauseQueued = true;
                    transport.loop().execute(this::firstPause); // after this delivery re-armed the receive
                    return;
                }
                if (cfg.pauseInCallback && cfg.pauseIntervalMs > 0 && !pausePending && !firstPauseQueued
                        && System.nanoTime() >= nextCallbackPauseNanos) {
                    pausePending = true;
                    transport.pauseReading(); // from inside dataReceived
                    pauses.incrementAndGet();
                    scheduleResume();
                }
            } catch (Throwable e) {
                failed("dataReceived", e);
                throw e;
            }
        }

        @Override
        public boolean eofReceived() {
            synchronized (this) {
                verifier.finish();
            }
            verifiedVisible.lazySet(verifier.verified());
            return false;
        }

        @Override
        public void pauseWriting() {
            writePaused = true;
        }

        @Override
        public void resumeWriting() {
            try {
                writePaused = false;
                pump();
            } catch (Throwable e) {
                failed("resumeWriting", e);
                throw e;
            }
        }

        @Override
        public void connectionLost(Throwable cause) {
            ended = true;
            finalCounts = ReadCounts.of(transport.counters());
            if (timer != null) {
                timer.cancel(false);
            }
            synchronized (this) {
                verifier.finish();
            }
            if (cause != null) {
                causes.add("client " + index + ": " + cause);
            }
            done.countDown();
        }

        void abort() {
            Transport t = transport;
            if (t != null) {
                t.abort();
            }
        }

        @Override
        public String toString() {
            return "client " + index + " sent=" + sent.get() + " " + verifier;
        }
    }
}
