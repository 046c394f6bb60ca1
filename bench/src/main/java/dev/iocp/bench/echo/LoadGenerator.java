package dev.iocp.bench.echo;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * NIO client that drives an {@link EchoServer} and checks every byte that comes back.
 *
 * <p><b>Scenarios.</b> {@link Mode#PING_PONG}: each of C connections sends one M-byte message, waits for its full
 * echo, records the round trip in an HdrHistogram (ns), and repeats. {@link Mode#STREAM}: each connection keeps
 * up to {@code windowBytes} of M-byte messages outstanding and counts echoed bytes.
 *
 * <p><b>Timing.</b> A warm-up interval (nothing counted), then a measured interval: only messages/bytes whose echo
 * completes inside it are counted, and the server's CPU time (sum of {@link ThreadMXBean#getThreadCpuTime} over
 * {@link EchoServer#serverThreads()}) is sampled at its two ends. The load is bounded in time (the intervals) and
 * in count ({@link Config#maxMessagesPerConnection}).
 *
 * <p><b>Verification.</b> Each connection's byte stream is a sequence of 64-bit words; word {@code k} is
 * {@code k * GOLDEN ^ salt(connection)}, so content encodes a counter and differs per connection. Every echoed
 * word is compared with the expected one, so a server that corrupts, drops, duplicates, reorders or cross-wires
 * bytes is caught ({@link Result#verifyErrors} &gt; 0) instead of posting a number. Message sizes are multiples
 * of 8.
 */
public final class LoadGenerator {

    public enum Mode { PING_PONG, STREAM }

    /** What to run. Durations in milliseconds. */
    public static final class Config {
        public Mode mode = Mode.PING_PONG;
        public int connections = 1;
        public int messageSize = 16;
        public long warmupMillis = 1000;
        public long measureMillis = 2000;
        public int threads = 1;
        /** Stream mode: bytes allowed outstanding (sent, not yet echoed) per connection. */
        public int windowBytes = 256 * 1024;
        /** Hard bound on messages per connection, warm-up included. */
        public long maxMessagesPerConnection = Long.MAX_VALUE / 2;

        public Config mode(Mode m) { mode = m; return this; }
        public Config connections(int c) { connections = c; return this; }
        public Config messageSize(int s) { messageSize = s; return this; }
        public Config warmupMillis(long ms) { warmupMillis = ms; return this; }
        public Config measureMillis(long ms) { measureMillis = ms; return this; }
        public Config threads(int t) { threads = t; return this; }
        public Config windowBytes(int w) { windowBytes = w; return this; }
        public Config maxMessagesPerConnection(long m) { maxMessagesPerConnection = m; return this; }
    }

    /** What was measured during the measured interval. */
    public static final class Result {
        public long messages;          // echoes completed and verified (stream: echoed bytes / messageSize)
        public long bytes;             // echoed bytes verified
        public long durationNanos;
        public Histogram latencyNanos; // ping-pong only; empty for streaming
        public long serverCpuNanos;
        /** Bytes the server's threads allocated on the Java heap during the measured interval; -1 where unknown. */
        public long serverAllocatedBytes = -1;
        public long clientCpuNanos;
        /**
         * CPU time used on this machine during the measured interval by everything outside this JVM (from
         * /proc/stat; -1 where unavailable). Large values mean the cell was measured on a busy machine.
         */
        public long foreignCpuNanos = -1;
        public long verifyErrors;
        public long ioErrors;
        public String firstError;
        public int connections;

        public boolean verified() {
            return verifyErrors == 0;
        }

        public double messagesPerSecond() {
            return durationNanos == 0 ? 0 : messages * 1e9 / durationNanos;
        }

        public double megabytesPerSecond() {
            return durationNanos == 0 ? 0 : bytes * 1e9 / durationNanos / 1e6;
        }

        /** Server CPU microseconds per echoed message; NaN if nothing was echoed. */
        public double serverCpuMicrosPerMessage() {
            return messages == 0 ? Double.NaN : serverCpuNanos / 1e3 / messages;
        }

        /**
         * Heap bytes the server's threads allocated per echoed message (TLABs included: the JVM's per-thread count,
         * exact to the allocation); NaN if unknown or nothing was echoed. Steady state is 0: anything above that is
         * garbage made per message.
         */
        public double serverAllocatedBytesPerMessage() {
            return messages == 0 || serverAllocatedBytes < 0 ? Double.NaN : (double) serverAllocatedBytes / messages;
        }

        public double clientCpuMicrosPerMessage() {
            return messages == 0 ? Double.NaN : clientCpuNanos / 1e3 / messages;
        }

        public double latencyMicros(double percentile) {
            if (latencyNanos == null || latencyNanos.getTotalCount() == 0) return Double.NaN;
            return latencyNanos.getValueAtPercentile(percentile) / 1e3;
        }
    }

    static final long GOLDEN = 0x9E3779B97F4A7C15L;

    static long word(long salt, long k) {
        return k * GOLDEN ^ salt;
    }

    private static final int WARMUP = 0, MEASURE = 1, DONE = 2;
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

    private final Config cfg;
    private volatile int phase = WARMUP;

    private LoadGenerator(Config cfg) {
        if (cfg.messageSize <= 0 || cfg.messageSize % 8 != 0) {
            throw new IllegalArgumentException("messageSize must be a positive multiple of 8: " + cfg.messageSize);
        }
        if (cfg.connections < 1 || cfg.threads < 1) throw new IllegalArgumentException("connections, threads >= 1");
        if (cfg.mode == Mode.STREAM && cfg.windowBytes < cfg.messageSize) {
            throw new IllegalArgumentException("windowBytes < messageSize");
        }
        this.cfg = cfg;
    }

    /**
     * Connects {@code cfg.connections} sockets to {@code target}, runs warm-up and measurement, closes them, and
     * returns the measurement. {@code serverThreads} are the threads whose CPU time is charged to the server.
     */
    public static Result run(InetSocketAddress target, Config cfg, List<Thread> serverThreads) throws IOException {
        return run(target, cfg, CpuSource.of(serverThreads));
    }

    /**
     * Where the server's CPU time comes from: its threads in this JVM ({@link #of}), or a server in a child process
     * ({@link ServerProcess}) which reports its threads' CPU time, and its whole process's CPU time so that the
     * "other CPU" figure does not count the child as foreign load.
     */
    public interface CpuSource {
        /** CPU time of the server's threads so far, ns. */
        long serverCpuNanos();

        /** Heap bytes the server's threads have allocated so far; -1 where the JVM cannot tell. */
        default long serverAllocatedBytes() {
            return -1;
        }

        /** CPU time of processes other than this JVM that belong to the measurement (a server child), ns. */
        default long extraProcessCpuNanos() {
            return 0;
        }

        static CpuSource of(List<Thread> serverThreads) {
            return new CpuSource() {
                @Override
                public long serverCpuNanos() {
                    return cpuNanos(serverThreads);
                }

                @Override
                public long serverAllocatedBytes() {
                    return allocatedBytes(serverThreads);
                }
            };
        }
    }

    public static Result run(InetSocketAddress target, Config cfg, CpuSource serverCpu) throws IOException {
        if (MX.isThreadCpuTimeSupported() && !MX.isThreadCpuTimeEnabled()) MX.setThreadCpuTimeEnabled(true);
        return new LoadGenerator(cfg).execute(target, serverCpu);
    }

    private Result execute(InetSocketAddress target, CpuSource serverCpu) throws IOException {
        Worker[] workers = new Worker[cfg.threads];
        for (int i = 0; i < workers.length; i++) workers[i] = new Worker(i);
        List<Thread> clientThreads = new ArrayList<>();
        try {
            for (int c = 0; c < cfg.connections; c++) {
                SocketChannel ch = SocketChannel.open();
                try {
                    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    ch.connect(target); // blocking connect, before any load starts
                    ch.configureBlocking(false);
                } catch (IOException e) {
                    ch.close();
                    throw e;
                }
                workers[c % workers.length].conns.add(new Conn(c, ch));
            }
            for (Worker w : workers) {
                Thread t = new Thread(w, "loadgen-" + w.index);
                t.setDaemon(true);
                clientThreads.add(t);
            }
            for (Thread t : clientThreads) t.start();

            sleepMillis(cfg.warmupMillis);
            long sys0 = machineBusyNanos(), proc0 = processCpuNanos() + serverCpu.extraProcessCpuNanos();
            long srv0 = serverCpu.serverCpuNanos(), cli0 = cpuNanos(clientThreads);
            long alloc0 = serverCpu.serverAllocatedBytes();
            long t0 = System.nanoTime();
            phase = MEASURE;
            sleepMillis(cfg.measureMillis);
            // Sample CPU before DONE: a generator thread that has exited reports -1 and would be lost.
            long t1 = System.nanoTime();
            long srv1 = serverCpu.serverCpuNanos(), cli1 = cpuNanos(clientThreads);
            long alloc1 = serverCpu.serverAllocatedBytes();
            long sys1 = machineBusyNanos(), proc1 = processCpuNanos() + serverCpu.extraProcessCpuNanos();
            phase = DONE;

            for (Thread t : clientThreads) {
                try {
                    t.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Result r = new Result();
            r.connections = cfg.connections;
            r.durationNanos = t1 - t0;
            r.serverCpuNanos = srv1 - srv0;
            r.serverAllocatedBytes = alloc0 >= 0 && alloc1 >= 0 ? alloc1 - alloc0 : -1;
            r.clientCpuNanos = cli1 - cli0;
            if (sys0 >= 0 && sys1 >= 0 && proc0 >= 0 && proc1 >= 0) {
                r.foreignCpuNanos = Math.max(0, (sys1 - sys0) - (proc1 - proc0));
            }
            r.latencyNanos = newHistogram();
            for (Worker w : workers) {
                r.messages += w.messages;
                r.bytes += w.bytes;
                r.verifyErrors += w.verifyErrors;
                r.ioErrors += w.ioErrors;
                if (r.firstError == null) r.firstError = w.firstError;
                r.latencyNanos.add(w.histogram);
            }
            if (cfg.mode == Mode.STREAM) r.messages = r.bytes / cfg.messageSize;
            return r;
        } finally {
            phase = DONE;
            for (Worker w : workers) w.closeAll();
        }
    }

    public static long cpuNanos(List<Thread> threads) {
        long sum = 0;
        for (Thread t : threads) {
            long ns = MX.getThreadCpuTime(t.getId());
            if (ns > 0) sum += ns; // -1: thread not alive (its CPU time is lost; servers keep their threads alive)
        }
        return sum;
    }

    /** Busy CPU time of the whole machine (Linux /proc/stat, USER_HZ assumed 100); -1 elsewhere. */
    public static long machineBusyNanos() {
        try {
            String line = java.nio.file.Files.readAllLines(java.nio.file.Paths.get("/proc/stat")).get(0);
            String[] f = line.trim().split("\\s+"); // cpu user nice system idle iowait irq softirq steal
            long jiffies = 0;
            for (int i : new int[] {1, 2, 3, 6, 7, 8}) jiffies += Long.parseLong(f[i]);
            return jiffies * 10_000_000L;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Heap bytes allocated so far by {@code threads} (HotSpot's per-thread counter); -1 if the JVM cannot tell or a
     * thread is gone (its count would be lost, and the difference meaningless).
     */
    public static long allocatedBytes(List<Thread> threads) {
        if (!(MX instanceof com.sun.management.ThreadMXBean sun) || !sun.isThreadAllocatedMemorySupported()) return -1;
        if (!sun.isThreadAllocatedMemoryEnabled()) sun.setThreadAllocatedMemoryEnabled(true);
        long sum = 0;
        for (Thread t : threads) {
            long b = sun.getThreadAllocatedBytes(t.getId());
            if (b < 0) return -1;
            sum += b;
        }
        return sum;
    }

    public static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }

    private static Histogram newHistogram() {
        return new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    }

    private static void sleepMillis(long ms) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        long left;
        while ((left = end - System.nanoTime()) > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** One selector thread and the connections it drives. Counters are read only after the thread is joined. */
    private final class Worker implements Runnable, Consumer<SelectionKey> {
        final int index;
        final List<Conn> conns = new ArrayList<>();
        final Histogram histogram = newHistogram();
        long messages, bytes, verifyErrors, ioErrors;
        String firstError;
        Selector selector;

        Worker(int index) {
            this.index = index;
        }

        @Override
        public void run() {
            try {
                selector = Selector.open();
                for (Conn c : conns) {
                    c.key = c.ch.register(selector, SelectionKey.OP_READ, c);
                    c.kick(this);
                }
                while (phase != DONE) {
                    selector.select(this, 100);
                }
            } catch (IOException e) {
                fail(null, "io", e.toString());
            }
        }

        @Override
        public void accept(SelectionKey key) {
            Conn c = (Conn) key.attachment();
            if (!key.isValid() || c.dead) return;
            try {
                if (key.isWritable()) c.onWritable(this);
                if (key.isValid() && key.isReadable() && !c.dead) c.onReadable(this);
            } catch (IOException e) {
                fail(c, "io", e.toString());
            }
        }

        void fail(Conn c, String kind, String msg) {
            if (kind.equals("verify")) verifyErrors++;
            else ioErrors++;
            if (firstError == null) firstError = kind + ": " + msg;
            if (c != null) c.kill();
        }

        void closeAll() {
            for (Conn c : conns) c.kill();
            if (selector != null) {
                try {
                    selector.close();
                } catch (IOException ignored) {
                }
            }
        }
    }

    /** Client side of one connection. */
    private final class Conn {
        final int id;
        final long salt;
        final SocketChannel ch;
        final ByteBuffer out;
        final ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024).order(ByteOrder.nativeOrder());
        SelectionKey key;
        long sendWord, recvWord;     // next word index to send / expect
        long sentBytes, recvBytes;
        long messagesStarted;
        long pingStart;              // ping-pong: nanoTime when the outstanding message was sent
        boolean writing;             // out has unsent bytes
        boolean dead;

        Conn(int id, SocketChannel ch) {
            this.id = id;
            this.salt = (id + 1L) * 0xC2B2AE3D27D4EB4FL;
            this.ch = ch;
            this.out = ByteBuffer.allocateDirect(cfg.messageSize).order(ByteOrder.nativeOrder());
        }

        void kick(Worker w) throws IOException {
            if (cfg.mode == Mode.PING_PONG) sendNext(w);
            else fillWindow(w);
        }

        /** Prepares the next message (words sendWord...) and writes as much of it as the socket takes. */
        private boolean sendNext(Worker w) throws IOException {
            if (messagesStarted >= cfg.maxMessagesPerConnection || phase == DONE) return false;
            messagesStarted++;
            out.clear();
            for (int i = cfg.messageSize >>> 3; i > 0; i--) out.putLong(word(salt, sendWord++));
            out.flip();
            pingStart = System.nanoTime();
            sentBytes += cfg.messageSize;
            return flush();
        }

        /** Returns true if {@code out} is fully written. */
        private boolean flush() throws IOException {
            ch.write(out);
            if (out.hasRemaining()) {
                if (!writing) {
                    writing = true;
                    key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                }
                return false;
            }
            if (writing) {
                writing = false;
                key.interestOps(SelectionKey.OP_READ);
            }
            return true;
        }

        private void fillWindow(Worker w) throws IOException {
            while (!writing && sentBytes - recvBytes + cfg.messageSize <= cfg.windowBytes) {
                if (!sendNext(w)) return;
            }
        }

        void onWritable(Worker w) throws IOException {
            if (flush() && cfg.mode == Mode.STREAM) fillWindow(w);
        }

        void onReadable(Worker w) throws IOException {
            int n = ch.read(in);
            if (n < 0) {
                if (phase != DONE) w.fail(this, "io", "connection " + id + ": unexpected EOF from server");
                return;
            }
            if (n == 0) return;
            in.flip();
            while (in.remaining() >= 8) {
                long got = in.getLong();
                long want = word(salt, recvWord);
                if (got != want) {
                    w.fail(this, "verify", String.format(
                            "connection %d, stream byte offset %d: got %016x, expected %016x",
                            id, recvWord * 8, got, want));
                    return;
                }
                recvWord++;
            }
            in.compact();
            long verified = recvWord * 8 - recvBytes; // newly verified bytes
            if (verified == 0) return;
            recvBytes += verified;
            if (recvBytes > sentBytes) {
                w.fail(this, "verify", "connection " + id + ": received more bytes than sent");
                return;
            }
            boolean measuring = phase == MEASURE;
            if (cfg.mode == Mode.PING_PONG) {
                if (recvBytes == sentBytes) {
                    if (measuring) {
                        w.histogram.recordValue(Math.min(System.nanoTime() - pingStart, w.histogram.getHighestTrackableValue()));
                        w.messages++;
                        w.bytes += cfg.messageSize;
                    }
                    sendNext(w);
                }
            } else {
                if (measuring) w.bytes += verified;
                fillWindow(w);
            }
        }

        void kill() {
            if (dead) return;
            dead = true;
            if (key != null) key.cancel();
            try {
                // Abortive close (RST): leaves no TIME_WAIT, so back-to-back runs of 1000-connection cells cannot
                // exhaust the loopback ephemeral port range. The measurement is over when this runs.
                ch.setOption(StandardSocketOptions.SO_LINGER, 0);
            } catch (IOException | RuntimeException ignored) {
            }
            try {
                ch.close();
            } catch (IOException ignored) {
            }
        }
    }
}
