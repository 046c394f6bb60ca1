package dev.iocp.bench.echo;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code bench --scenarios idle [--idle-connections N]}: what an idle connection costs each server.
 *
 * <p>For each server, in turn: a child JVM serves it (as in {@code --server-process}: the memory measured is the
 * server's alone); a warm-up opens, echoes and closes {@value #WARMUP} connections, {@value #WARMUP_BATCH} at a
 * time (the JIT, the pools and the accept path settle); then {@code N} connections are opened from this JVM, each echoes one 16 B message (so every
 * server has accepted it, read once and written once), and all stay open, idle. The child's memory is read before
 * and after (after a full GC, in the child): the cost per idle connection is the growth divided by N.
 *
 * <p>What is counted, and why in two parts. The child runs with its heap committed and touched up front
 * ({@code -Xms=-Xmx} and {@code -XX:+AlwaysPreTouch}): otherwise the RSS would grow by whatever young-generation
 * pages the set-up's garbage happened to touch, which says nothing about what a connection keeps. So
 * <ul>
 *   <li>{@code native}: growth of VmRSS (/proc/self/status): direct buffers, malloc, ring and op memory, thread
 *       stacks — everything outside the Java heap;</li>
 *   <li>{@code heap}: growth of the live heap after a full GC: the Java objects a connection keeps;</li>
 *   <li>{@code KiB/conn}: their sum, the figure the targets are stated in.</li>
 * </ul>
 * Each reading follows a full GC and glibc's {@code malloc_trim(0)}: memory freed before the baseline (the
 * warm-up's) is handed back, so the measured connections cannot reuse it unseen.
 * Kernel memory (socket buffers, io_uring's and epoll's own state) is in neither: it is the same kernel for every
 * server, and the process does not pay it in RSS.
 *
 * <p>The client side binds each socket to a loopback source address 127.0.0.2, 127.0.0.3, ... ({@value
 * #PER_SOURCE_ADDRESS} connections per address) before connecting, so that N is not limited by one address's
 * ephemeral ports. Both this JVM and the child need N descriptors: the {@code iocp} launcher raises the soft limit
 * to the hard one; N above that fails at the first connection refused a descriptor, and says so.
 */
final class IdleBench {
    /**
     * Warm-up connections (each opened, echoed, closed), enough for the per-connection code paths to be compiled
     * by C2 (which takes some thousands of calls) before the baseline: a compilation during the measured phase
     * leaves its compiler arenas' pages in the RSS, which measured 1 KiB per connection and more after a
     * 1,000-connection warm-up — the JIT's cost, not the connections'. They are made {@value #WARMUP_BATCH} at a
     * time: memory a server frees when they close stays resident (malloc keeps it) and the measured connections
     * would reuse it unseen; a batch at a time leaves at most that batch's worth (1% of 10,000) to hide.
     */
    static final int WARMUP = 12_000;
    static final int WARMUP_BATCH = 100;
    static final int PER_SOURCE_ADDRESS = 5000;
    static final int MESSAGE = 16;
    /** The child's heap: committed and touched at start, large enough for 100,000 connections of any server here. */
    static final List<String> CHILD_JVM_OPTS = List.of("-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch");

    record Result(String server, int connections, long rssBefore, long rssAfter, long heapBefore, long heapAfter,
                  long directBefore, long directAfter, String error) {
        double nativeKiB() {
            return (rssAfter - rssBefore) / 1024.0 / connections;
        }

        double heapKiB() {
            return (heapAfter - heapBefore) / 1024.0 / connections;
        }

        double totalKiB() {
            return nativeKiB() + heapKiB();
        }

        double directKiB() {
            return (directAfter - directBefore) / 1024.0 / connections;
        }
    }

    private IdleBench() {}

    /** The child's side of {@code MEM}: VmRSS, the live heap after a full GC, the JDK's direct buffers (bytes). */
    static String selfMemory() {
        System.gc();
        System.gc(); // a second pass: what the first left to reference processing (cleaners, finalizable) is gone too
        try {
            Thread.sleep(200); // direct buffers are freed by their cleaners, on the reference handler's thread
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        trimMalloc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long direct = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                direct = pool.getMemoryUsed();
            }
        }
        long rss = -1;
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = 1024 * Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux: no RSS
        }
        return rss + " " + heap + " " + direct;
    }

    /**
     * Hands the C heap's free memory back to the kernel (glibc malloc_trim). Memory a server freed (the warm-up's
     * direct buffers, say, once their cleaners ran) otherwise stays resident, and the measured connections would
     * reuse it without growing the RSS: their cost would hide. Linux with glibc only; elsewhere nothing.
     */
    private static void trimMalloc() {
        try {
            com.sun.jna.NativeLibrary.getInstance("c").getFunction("malloc_trim").invokeInt(new Object[] {0});
        } catch (Throwable notThere) {
            // not glibc: the RSS may then hide reused memory (said in the output's legend)
        }
    }

    static int run(PrintStream out, List<String> servers, int n, String serverCpus, int processors,
                   List<String> extraJvmOpts, Path outDir) {
        out.printf(Locale.ROOT, "idle: %,d idle connections per server (each echoed one %d B message), from source"
                        + " addresses 127.0.0.2..127.0.0.%d; warm-up %,d, %d at a time; child JVM %s%n", n, MESSAGE,
                2 + (n - 1) / PER_SOURCE_ADDRESS, WARMUP, WARMUP_BATCH, String.join(" ", CHILD_JVM_OPTS));
        out.println("      descriptor limit of this JVM: " + descriptorLimit() + " (the child inherits it)");
        List<Result> results = new ArrayList<>();
        for (String s : servers) {
            Result r = measure(s, n, serverCpus, processors, extraJvmOpts);
            results.add(r);
            if (r.error() != null) {
                out.printf(Locale.ROOT, "  idle %-14s FAILED: %s%n", s, r.error());
            } else {
                out.printf(Locale.ROOT, "  idle %-14s %,d conns: %7.2f KiB/conn (native %6.2f + heap %6.2f; direct buffers %6.2f)%n",
                        s, r.connections(), r.totalKiB(), r.nativeKiB(), r.heapKiB(), r.directKiB());
            }
            out.flush();
        }
        out.println();
        String fmt = "%-14s %9s %10s %10s %10s %10s %12s%n";
        out.printf(Locale.ROOT, fmt, "server", "conns", "KiB/conn", "native", "heap", "direct", "RSS after MiB");
        for (Result r : results) {
            if (r.error() != null) {
                out.printf(Locale.ROOT, fmt, r.server(), Integer.toString(r.connections()), "FAILED", "-", "-", "-", "-");
            } else {
                out.printf(Locale.ROOT, fmt, r.server(), String.format(Locale.ROOT, "%,d", r.connections()),
                        String.format(Locale.ROOT, "%.2f", r.totalKiB()), String.format(Locale.ROOT, "%.2f", r.nativeKiB()),
                        String.format(Locale.ROOT, "%.2f", r.heapKiB()), String.format(Locale.ROOT, "%.2f", r.directKiB()),
                        String.format(Locale.ROOT, "%.0f", r.rssAfter() / 1048576.0));
            }
        }
        out.println("KiB/conn = native (VmRSS growth, the child's heap pre-touched) + heap (live heap growth after a full GC),"
                + " divided by the connections; each reading after a full GC and malloc_trim(0); direct: the JDK's"
                + " direct-buffer pool (part of native)");
        for (Result r : results) {
            if (r.error() == null) {
                out.printf(Locale.ROOT, "idle-%d server=%s kib_per_conn=%.2f native=%.2f heap=%.2f%n",
                        r.connections(), r.server(), r.totalKiB(), r.nativeKiB(), r.heapKiB());
            }
        }
        try {
            Files.createDirectories(outDir);
            StringBuilder json = new StringBuilder("{\"connections\": ").append(n).append(", \"servers\": [\n");
            for (int i = 0; i < results.size(); i++) {
                Result r = results.get(i);
                json.append(String.format(Locale.ROOT,
                        "  {\"server\": \"%s\", \"ok\": %s, \"kib_per_conn\": %.3f, \"native_kib\": %.3f, \"heap_kib\": %.3f,"
                                + " \"direct_kib\": %.3f, \"rss_after_bytes\": %d}%s%n",
                        r.server(), r.error() == null, r.totalKiB(), r.nativeKiB(), r.heapKiB(), r.directKiB(),
                        r.rssAfter(), i + 1 < results.size() ? "," : ""));
            }
            json.append("]}\n");
            Files.writeString(outDir.resolve("idle.json"), json, StandardCharsets.UTF_8);
            out.println("wrote " + outDir.resolve("idle.json"));
        } catch (IOException e) {
            out.println("could not write idle.json: " + e);
        }
        return results.stream().anyMatch(r -> r.error() != null) ? 1 : 0;
    }

    private static Result measure(String server, int n, String serverCpus, int processors, List<String> extraJvmOpts) {
        List<String> opts = new ArrayList<>(CHILD_JVM_OPTS);
        opts.addAll(extraJvmOpts);
        List<SocketChannel> open = new ArrayList<>(n);
        try (ServerProcess child = ServerProcess.launch(server, serverCpus, processors, opts)) {
            InetSocketAddress addr = child.start(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 1);
            try {
                List<SocketChannel> warm = new ArrayList<>(WARMUP_BATCH);
                InetAddress warmSource = InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) 250});
                for (int i = 0; i < WARMUP; i++) {
                    try {
                        warm.add(connectAndEcho(addr, warmSource, i));
                    } finally {
                        if (warm.size() == WARMUP_BATCH || i == WARMUP - 1) {
                            closeAll(warm);
                        }
                    }
                }
                Thread.sleep(300); // let the server see the warm-up's FINs and close those connections
                long[] before = child.memory();
                try {
                    for (int i = 0; i < n; i++) {
                        byte[] source = {127, 0, 0, (byte) (2 + i / PER_SOURCE_ADDRESS)};
                        open.add(connectAndEcho(addr, InetAddress.getByAddress(source), i));
                    }
                } catch (IOException e) {
                    return new Result(server, n, 0, 0, 0, 0, 0, 0,
                            "connection " + (open.size() + 1) + " of " + n + ": " + e);
                }
                Thread.sleep(300); // the last echoes' send completions
                long[] after = child.memory();
                return new Result(server, n, before[0], after[0], before[1], after[1], before[2], after[2], null);
            } finally {
                closeAll(open);
                child.stop();
            }
        } catch (IOException e) {
            return new Result(server, n, 0, 0, 0, 0, 0, 0, String.valueOf(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(server, n, 0, 0, 0, 0, 0, 0, "interrupted");
        }
    }

    /** One connection from {@code source}, one 16 B echo verified byte for byte; left open. */
    private static SocketChannel connectAndEcho(InetSocketAddress server, InetAddress source, int i) throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.bind(new InetSocketAddress(source, 0));
            ch.connect(server);
            ByteBuffer msg = ByteBuffer.allocate(MESSAGE);
            for (int b = 0; b < MESSAGE; b++) {
                msg.put((byte) (i * 31 + b));
            }
            msg.flip();
            while (msg.hasRemaining()) {
                ch.write(msg);
            }
            ByteBuffer echo = ByteBuffer.allocate(MESSAGE);
            while (echo.hasRemaining()) {
                if (ch.read(echo) < 0) {
                    throw new IOException("the server closed connection " + i + " before echoing");
                }
            }
            msg.flip();
            echo.flip();
            if (!echo.equals(msg)) {
                throw new IOException("connection " + i + ": the echo differs from what was sent");
            }
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static void closeAll(List<SocketChannel> channels) {
        for (SocketChannel c : channels) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing a client socket: nothing to act on
            }
        }
        channels.clear();
    }

    private static String descriptorLimit() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String[] f = line.trim().split("\\s+");
                    return "soft " + f[3] + ", hard " + f[4];
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
        return "unknown";
    }
}
