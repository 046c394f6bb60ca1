package dev.iocp.bench.echo;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bench [--quick] [--servers iocp,nio,nio2] [--out DIR]}: the echo benchmark matrix.
 *
 * <p>For every scenario (ping-pong 16 B at 1, 100, 1000 connections; streaming 16 KiB at 1 and 100 connections)
 * each server is started, loaded by the same {@link LoadGenerator} configuration, measured and closed, in turn,
 * in this one JVM (server and generator threads are separate, so CPU time is attributed per thread). Before the
 * matrix, every server gets an unrecorded pre-warm so that the JIT state of the shared generator code does not
 * favour whichever server runs first.
 *
 * <p>Prints the machine, a table and one {@code ratio_vs_nio=... ratio_vs_nio2=...} line per scenario for the iocp
 * server (or, while iocp is not registered, for the first listed server — the line says which), and writes
 * {@code results.json}, {@code results.csv} and {@code results.png} to {@code --out} (default
 * {@code bench/results/}). Returns non-zero if any server failed verification or had I/O errors.
 */
public final class BenchCommand {

    /**
     * One cell of the matrix: all repetitions, and the representative one ({@code result}: the repetition with the
     * median msgs/s, reported whole so that its latency and CPU figures belong to the same run).
     */
    public record Row(String server, Scenario scenario, LoadGenerator.Result result, List<LoadGenerator.Result> reps) {
        public Row {
            reps = List.copyOf(reps);
        }

        static Row of(String server, Scenario scenario, List<LoadGenerator.Result> reps) {
            List<LoadGenerator.Result> sorted = new ArrayList<>(reps);
            // a failed repetition sorts first, so a cell with any failure is reported as failed
            sorted.sort(Comparator.comparingDouble((LoadGenerator.Result r) ->
                    r.verified() && r.ioErrors == 0 ? r.messagesPerSecond() : -1));
            boolean anyFailed = sorted.get(0).verifyErrors > 0 || sorted.get(0).ioErrors > 0;
            return new Row(server, scenario, anyFailed ? sorted.get(0) : sorted.get(sorted.size() / 2), reps);
        }

        double minRate() {
            return reps.stream().mapToDouble(LoadGenerator.Result::messagesPerSecond).min().orElse(Double.NaN);
        }

        double maxRate() {
            return reps.stream().mapToDouble(LoadGenerator.Result::messagesPerSecond).max().orElse(Double.NaN);
        }

        /** Median over repetitions of server CPU µs per message (each repetition's own ratio). */
        double medianCpuPerMsg() {
            double[] v = reps.stream().mapToDouble(LoadGenerator.Result::serverCpuMicrosPerMessage).sorted().toArray();
            return v.length == 0 ? Double.NaN : v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        }

        /** Median over repetitions of the server threads' heap bytes allocated per message; NaN if unknown. */
        double medianAllocPerMsg() {
            double[] v = reps.stream().mapToDouble(LoadGenerator.Result::serverAllocatedBytesPerMessage).sorted().toArray();
            if (v.length == 0 || Double.isNaN(v[v.length - 1])) return Double.NaN; // NaN sorts last
            return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        }

        /** (max-min)/median of server CPU µs per message over repetitions. */
        double cpuSpread() {
            double[] v = reps.stream().mapToDouble(LoadGenerator.Result::serverCpuMicrosPerMessage).sorted().toArray();
            return v.length < 2 ? Double.NaN : (v[v.length - 1] - v[0]) / medianCpuPerMsg();
        }
    }

    static final List<Scenario> MATRIX = List.of(
            Scenario.pingPong(1, 16),
            Scenario.pingPong(100, 16),
            Scenario.pingPong(1000, 16),
            Scenario.stream(1, 16 * 1024),
            Scenario.stream(100, 16 * 1024),
            // The large-message cell: 10 connections, 4 messages of 16 KiB outstanding on each.
            Scenario.stream(10, 16 * 1024, 4));

    private BenchCommand() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    private static void usage(PrintStream out) {
        out.println("usage: bench [--quick] [--servers " + String.join(",", Servers.names()) + "] [--out DIR]");
        out.println("             [--warmup-ms N] [--measure-ms N] [--reps N] [--server-threads N] [--client-threads N] [--ipv6]");
        out.println("             [--server-process [--server-cpus LIST|none] [--generator-cpus LIST|none] [--server-jvm-opt OPT]...] [--retry-budget N]");
        out.println("             [--scenarios id,id...]   (ids: " + String.join(", ", MATRIX.stream().map(Scenario::id).toList()) + ", idle)");
        out.println("             [--idle-connections N]   (the idle scenario: N idle connections per server, each in a child JVM; default 10000)");
        out.println("       bench --http ...   the HTTP benchmark (wrk against iocp-http's servers): bench --http --help");
    }

    /** The command, also as the CLI's {@code bench}. */
    public static int run(String[] args) {
        if (Arrays.asList(args).contains("--http")) {
            return dev.iocp.bench.http.HttpBenchCommand.run(args, System.out);
        }
        PrintStream out = System.out;
        boolean quick = false;
        List<String> servers = null;
        Path outDir = Paths.get("bench", "results");
        long warmupMs = -1, measureMs = -1;
        int serverThreads = 1, clientThreads = 1, reps = -1;
        boolean ipv6 = false;
        List<String> only = null;
        boolean serverProcess = false;
        String serverCpus = "0", generatorCpus = "1";
        List<String> serverJvmOpts = new ArrayList<>();
        int retryBudget = -1;
        int idleConnections = 10_000;
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "bench" -> { } // tolerated when called with the sub-command name
                    case "--quick" -> quick = true;
                    case "--ipv6" -> ipv6 = true;
                    case "--servers" -> servers = Arrays.asList(args[++i].split(","));
                    case "--out" -> outDir = Paths.get(args[++i]);
                    case "--warmup-ms" -> warmupMs = Long.parseLong(args[++i]);
                    case "--measure-ms" -> measureMs = Long.parseLong(args[++i]);
                    case "--server-threads" -> serverThreads = Integer.parseInt(args[++i]);
                    case "--client-threads" -> clientThreads = Integer.parseInt(args[++i]);
                    case "--reps" -> reps = Integer.parseInt(args[++i]);
                    case "--scenarios" -> only = Arrays.asList(args[++i].split(","));
                    case "--server-process" -> serverProcess = true;
                    case "--server-cpus" -> serverCpus = args[++i];
                    case "--generator-cpus" -> generatorCpus = args[++i];
                    case "--server-jvm-opt" -> serverJvmOpts.add(args[++i]);
                    case "--retry-budget" -> retryBudget = Integer.parseInt(args[++i]);
                    case "--idle-connections" -> idleConnections = Integer.parseInt(args[++i]);
                    case "-h", "--help" -> {
                        usage(out);
                        return 0;
                    }
                    default -> {
                        System.err.println("bench: unknown argument " + a);
                        usage(System.err);
                        return 2;
                    }
                }
            }
        } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
            System.err.println("bench: bad arguments: " + e.getMessage());
            usage(System.err);
            return 2;
        }
        if (servers == null) servers = Servers.defaultNames();
        for (String s : servers) {
            if (!Servers.isRegistered(s)) {
                String why = Servers.unavailable().get(s);
                System.err.println("bench: " + (why != null ? "server '" + s + "' is not available here: " + why
                        : "unknown server '" + s + "', registered: " + Servers.names()));
                return 2;
            }
        }
        if ("none".equals(serverCpus)) serverCpus = null;
        if ("none".equals(generatorCpus)) generatorCpus = null;
        Map<String, String> machine = machine(); // before pinning: availableProcessors() follows the affinity mask
        String pinning;
        if (serverProcess) {
            String pinned = generatorCpus == null ? "not pinned" : pinSelf(generatorCpus);
            pinning = "server in a child JVM per server (" + (serverCpus == null ? "not pinned" : "taskset -c " + serverCpus)
                    + "), load generator in this JVM (" + pinned + ")";
        } else {
            pinning = "same JVM, threads not pinned (affinity of this process: " + affinity() + ")";
        }
        if (only != null && only.contains("idle")) {
            // Memory, not speed: always one child JVM per server (the RSS measured must be the server's alone).
            int rc = IdleBench.run(out, servers, idleConnections, serverCpus, Integer.parseInt(machine.get("cores")),
                    serverJvmOpts, outDir);
            List<String> rest = new ArrayList<>(only);
            rest.remove("idle");
            if (rest.isEmpty()) return rc;
            only = rest;
            if (rc != 0) return rc;
        }
        if (warmupMs < 0) warmupMs = quick ? 1000 : 3000;
        if (measureMs < 0) measureMs = quick ? 2000 : 10000;
        if (reps < 1) reps = 3;
        List<Scenario> scenarios = new ArrayList<>();
        for (Scenario s : MATRIX) if (only == null || only.contains(s.id())) scenarios.add(s);

        String ratiosFor = servers.contains(Servers.IOCP) ? Servers.IOCP : servers.get(0);
        String ratiosNote = ratiosFor.equals(Servers.IOCP)
                ? "iocp"
                : ratiosFor + " (iocp server not registered yet: ratios are for the first listed server, " + ratiosFor + ")";

        long started = System.nanoTime();
        out.println("iocp echo benchmark" + (quick ? " (--quick)" : ""));
        out.println("JVM:   " + machine.get("jvm"));
        out.println("OS:    " + machine.get("os") + ", cores: " + machine.get("cores") + ", cpu: " + machine.get("cpu")
                + ", max heap: " + machine.get("max_heap_mib") + " MiB");
        out.printf(Locale.ROOT, "setup: servers %s, %d server thread(s), %d load-generator thread(s), loopback %s%n",
                String.join(",", servers), serverThreads, clientThreads, ipv6 ? "[::1]" : "127.0.0.1");
        out.println("       " + pinning);
        for (Map.Entry<String, String> u : Servers.unavailable().entrySet()) {
            out.println("       not run: " + u.getKey() + ": " + u.getValue());
        }
        out.printf(Locale.ROOT, "       %d repetitions per cell (servers alternate within a scenario), each: fresh server, warm-up %d ms + measured %d ms%n",
                reps, warmupMs, measureMs);
        out.println("       reported: the repetition with the median msgs/s; spread = (max-min)/median over repetitions;");
        out.println("       MB/s = echoed payload (one direction, 1 MB = 10^6 B); CPU% = CPU time / wall time of the measured interval (100% = one core);");
        out.println("       other CPU% = CPU used outside this JVM" + (serverProcess ? " and the server child" : "") + " (other processes, kernel threads) during the measured interval (should be ~0)");
        out.flush();

        InetSocketAddress bind;
        try {
            bind = new InetSocketAddress(InetAddress.getByName(ipv6 ? "::1" : "127.0.0.1"), 0);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }

        Map<String, ServerProcess> children = null;
        if (serverProcess) {
            children = new LinkedHashMap<>();
            for (String s : servers) {
                try {
                    children.put(s, ServerProcess.launch(s, serverCpus, Integer.parseInt(machine.get("cores")), serverJvmOpts));
                } catch (IOException e) {
                    System.err.println("bench: cannot start the server process for " + s + ": " + e);
                    children.values().forEach(ServerProcess::close);
                    return 2;
                }
            }
        }
        try {
            return runMatrix(out, quick, servers, outDir, warmupMs, measureMs, serverThreads, clientThreads, reps, scenarios,
                    ratiosFor, ratiosNote, machine, started, bind, children, pinning, retryBudget);
        } finally {
            if (children != null) children.values().forEach(ServerProcess::close);
        }
    }

    private static int runMatrix(PrintStream out, boolean quick, List<String> servers, Path outDir, long warmupMs,
                                 long measureMs, int serverThreads, int clientThreads, int reps, List<Scenario> scenarios,
                                 String ratiosFor, String ratiosNote, Map<String, String> machine, long started,
                                 InetSocketAddress bind, Map<String, ServerProcess> children, String pinning,
                                 int retryBudget) {
        // Unrecorded pre-warm of every server (and of the generator) so that cell order matters less.
        long prewarmMs = quick ? 400 : 2000;
        for (String s : servers) {
            for (Scenario sc : List.of(Scenario.pingPong(100, 16), Scenario.stream(4, 16 * 1024))) {
                try {
                    runCell(s, sc, bind, serverThreads, clientThreads, prewarmMs / 2, prewarmMs / 2, children);
                } catch (IOException e) {
                    out.println("pre-warm of " + s + " failed: " + e);
                }
            }
        }

        // This machine may be shared: a repetition during which other processes used > 15% of a core is run again,
        // within a bounded budget; what remains contaminated is shown in "other CPU%" and flagged on the chart.
        if (retryBudget < 0) retryBudget = quick ? 5 : 10;
        int retriesUsed = 0;
        List<Row> rows = new ArrayList<>();
        for (Scenario sc : scenarios) {
            Map<String, List<LoadGenerator.Result>> cell = new LinkedHashMap<>();
            for (int rep = 0; rep < reps; rep++) {
                for (String s : servers) {
                    LoadGenerator.Result r;
                    while (true) {
                        try {
                            r = runCell(s, sc, bind, serverThreads, clientThreads, warmupMs, measureMs, children);
                        } catch (IOException e) {
                            r = new LoadGenerator.Result();
                            r.ioErrors = 1;
                            r.firstError = "setup: " + e;
                        }
                        double foreign = r.durationNanos > 0 && r.foreignCpuNanos > 0 ? (double) r.foreignCpuNanos / r.durationNanos : 0;
                        if (foreign <= 0.15 || retriesUsed >= retryBudget) break;
                        retriesUsed++;
                        out.printf(Locale.ROOT, "  run %d/%d %-14s %-18s discarded: other processes used %.0f%% CPU; retrying (%d/%d)%n",
                                rep + 1, reps, s, sc.id(), 100 * foreign, retriesUsed, retryBudget);
                    }
                    cell.computeIfAbsent(s, k -> new ArrayList<>()).add(r);
                    out.printf(Locale.ROOT, "  run %d/%d %-14s %-18s %,12.0f msgs/s  %6.2f srv CPU µs/msg  %7.1f B/msg alloc  other CPU %3.0f%%%s%n",
                            rep + 1, reps, s, sc.id(), r.messagesPerSecond(), r.serverCpuMicrosPerMessage(),
                            r.serverAllocatedBytesPerMessage(),
                            r.durationNanos > 0 && r.foreignCpuNanos >= 0 ? 100.0 * r.foreignCpuNanos / r.durationNanos : Double.NaN,
                            r.verified() && r.ioErrors == 0 ? "" : "   !! " + r.firstError);
                    out.flush();
                }
            }
            for (String s : servers) rows.add(Row.of(s, sc, cell.get(s)));
        }
        double elapsedS = (System.nanoTime() - started) / 1e9;

        out.println();
        printTable(out, rows);
        out.println();
        List<Map<String, Object>> ratios = ratios(rows, scenarios, ratiosFor, servers);
        out.println("ratios for " + ratiosNote + ": ratio_vs_<x> = msgs/s over x's (>1: faster);"
                + " ratio_cpu_vs_<x> = server CPU µs/msg over x's (<1: cheaper)");
        for (Map<String, Object> r : ratios) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-18s server=%s", r.get("scenario"), ratiosFor));
            for (Map.Entry<String, Object> e : r.entrySet()) {
                if (e.getKey().startsWith("ratio_")) line.append(' ').append(e.getKey()).append('=').append(fmtRatio((Double) e.getValue()));
            }
            out.println(line);
        }
        out.printf(Locale.ROOT, "%nelapsed: %.1f s (%d repetition(s) re-run because of other load)%n", elapsedS, retriesUsed);
        double worstForeign = 0;
        for (Row row : rows) {
            for (LoadGenerator.Result r : row.reps()) {
                if (r.durationNanos > 0 && r.foreignCpuNanos > 0) {
                    worstForeign = Math.max(worstForeign, (double) r.foreignCpuNanos / r.durationNanos);
                }
            }
        }
        if (worstForeign > 0.10) {
            out.printf(Locale.ROOT, "WARNING: other processes used up to %.0f%% of a core during some measured intervals"
                    + " (\"other CPU%%\"): those cells are contaminated; rerun on an idle machine.%n", 100 * worstForeign);
        }

        int rc = 0;
        for (Row row : rows) {
            if (!row.result().verified() || row.result().ioErrors > 0) {
                out.println("FAILED: " + row.server() + " " + row.scenario().id() + ": verify errors "
                        + row.result().verifyErrors + ", io errors " + row.result().ioErrors + ", first: " + row.result().firstError);
                rc = 1;
            }
        }

        try {
            Files.createDirectories(outDir);
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("quick", quick);
            config.put("servers", servers);
            config.put("server_threads", serverThreads);
            config.put("client_threads", clientThreads);
            config.put("warmup_ms", warmupMs);
            config.put("measure_ms", measureMs);
            config.put("reps", reps);
            config.put("pinning", pinning);
            config.put("retries_for_foreign_load", retriesUsed);
            config.put("elapsed_s", elapsedS);
            config.put("started", Instant.now().toString());
            Files.writeString(outDir.resolve("results.json"), ResultsWriter.json(machine, config, ratiosFor, rows, ratios), StandardCharsets.UTF_8);
            Files.writeString(outDir.resolve("results.csv"), ResultsWriter.csv(rows), StandardCharsets.UTF_8);
            String subtitle = machine.get("os_short") + ", " + machine.get("cores") + " cores, " + machine.get("jvm_short")
                    + " | " + serverThreads + " server thread(s), " + clientThreads + " generator thread(s), loopback"
                    + (children != null ? ", server in child JVM" + (pinning.contains("taskset") ? " (pinned)" : "") : "")
                    + (quick ? " | --quick" : "");
            ResultsChart.write(outDir.resolve("results.png"), rows, servers, scenarios, subtitle);
            out.println("wrote " + outDir.resolve("results.json") + ", results.csv, results.png");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return rc;
    }

    static LoadGenerator.Result runCell(String server, Scenario sc, InetSocketAddress bind, int serverThreads,
                                        int clientThreads, long warmupMs, long measureMs,
                                        Map<String, ServerProcess> children) throws IOException {
        if (children != null) {
            ServerProcess child = children.get(server);
            InetSocketAddress addr = child.start(bind, serverThreads);
            try {
                LoadGenerator.Config cfg = new LoadGenerator.Config()
                        .mode(sc.mode()).connections(sc.connections()).messageSize(sc.messageSize())
                        .windowBytes(sc.windowBytes()).threads(clientThreads).warmupMillis(warmupMs).measureMillis(measureMs);
                return LoadGenerator.run(addr, cfg, child);
            } finally {
                child.stop();
            }
        }
        try (EchoServer srv = Servers.create(server)) {
            InetSocketAddress addr = srv.start(bind, serverThreads);
            LoadGenerator.Config cfg = new LoadGenerator.Config()
                    .mode(sc.mode()).connections(sc.connections()).messageSize(sc.messageSize())
                    .windowBytes(sc.windowBytes()).threads(clientThreads).warmupMillis(warmupMs).measureMillis(measureMs);
            return LoadGenerator.run(addr, cfg, srv.serverThreads());
        }
    }

    /**
     * Per scenario: {@code ratio_vs_<y>} (msgs/s of x over y's) for nio, nio2 (always, n/a when not run) and every
     * other server run, then {@code ratio_cpu_vs_<y>} (server CPU µs per message of x over y's: below 1, x is cheaper).
     */
    static List<Map<String, Object>> ratios(List<Row> rows, List<Scenario> scenarios, String x, List<String> servers) {
        List<String> others = new ArrayList<>(List.of("nio", "nio2"));
        for (String s : servers) if (!s.equals(x) && !others.contains(s)) others.add(s);
        List<Map<String, Object>> list = new ArrayList<>();
        for (Scenario sc : scenarios) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("scenario", sc.id());
            m.put("server", x);
            for (String y : others) m.put("ratio_vs_" + y, rate(rows, x, sc) / rate(rows, y, sc));
            for (String y : others) m.put("ratio_cpu_vs_" + y, cpuPerMsg(rows, x, sc) / cpuPerMsg(rows, y, sc));
            list.add(m);
        }
        return list;
    }

    /** Server CPU µs per message of a verified, error-free cell; NaN otherwise. */
    private static double cpuPerMsg(List<Row> rows, String server, Scenario sc) {
        for (Row r : rows) {
            if (r.server().equals(server) && r.scenario().equals(sc)) {
                return r.result().verified() && r.result().ioErrors == 0 && r.result().messages > 0
                        ? r.medianCpuPerMsg() : Double.NaN;
            }
        }
        return Double.NaN;
    }

    /** Pins every thread of this JVM (and so the threads it creates later) to {@code cpus}; returns a description. */
    public static String pinSelf(String cpus) {
        long pid = ProcessHandle.current().pid();
        try {
            Process p = new ProcessBuilder("taskset", "-a", "-p", "-c", cpus, Long.toString(pid))
                    .redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor() != 0) return "pinning with taskset failed: " + text;
            return "taskset -a -p -c " + cpus + ", affinity now " + affinity();
        } catch (IOException e) {
            return "not pinned: taskset unavailable (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "not pinned: interrupted";
        }
    }

    /** This process's CPU affinity as the kernel reports it (Linux), or "unknown". */
    private static String affinity() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (line.startsWith("Cpus_allowed_list:")) return "cpus " + line.substring(line.indexOf(':') + 1).trim();
            }
        } catch (IOException | RuntimeException ignored) {
        }
        return "unknown";
    }

    /** msgs/s of a verified, error-free cell; NaN otherwise (a failed server gets no ratio). */
    private static double rate(List<Row> rows, String server, Scenario sc) {
        for (Row r : rows) {
            if (r.server().equals(server) && r.scenario().equals(sc)) {
                return r.result().verified() && r.result().ioErrors == 0 && r.result().messages > 0
                        ? r.result().messagesPerSecond() : Double.NaN;
            }
        }
        return Double.NaN;
    }

    private static String fmtRatio(double d) {
        return Double.isNaN(d) || Double.isInfinite(d) ? "n/a" : String.format(Locale.ROOT, "%.3f", d);
    }

    private static void printTable(PrintStream out, List<Row> rows) {
        String fmt = "%-14s %-18s %10s %6s %9s %6s %9s %8s %8s %8s %8s %8s %8s %8s %6s %8s%n";
        out.printf(Locale.ROOT, fmt, "server", "scenario", "msgs/s", "spread", "CPU µs/m", "spread", "alloc B/m", "p99 µs", "p50 µs",
                "p999 µs", "MB/s", "srv CPU%", "gen CPU%", "other%", "reps", "verified");
        for (Row row : rows) {
            LoadGenerator.Result r = row.result();
            boolean ok = r.verified() && r.ioErrors == 0;
            out.printf(Locale.ROOT, fmt, row.server(), row.scenario().id(),
                    ok ? String.format(Locale.ROOT, "%,.0f", r.messagesPerSecond()) : "FAILED",
                    ok && row.reps().size() > 1 ? String.format(Locale.ROOT, "%.0f%%",
                            100 * (row.maxRate() - row.minRate()) / r.messagesPerSecond()) : "-",
                    ok ? String.format(Locale.ROOT, "%.2f", row.medianCpuPerMsg()) : "-",
                    ok && row.reps().size() > 1 ? String.format(Locale.ROOT, "%.0f%%", 100 * row.cpuSpread()) : "-",
                    ok && !Double.isNaN(row.medianAllocPerMsg()) ? String.format(Locale.ROOT, "%.1f", row.medianAllocPerMsg()) : "-",
                    lat(r, 99), lat(r, 50), lat(r, 99.9),
                    ok ? String.format(Locale.ROOT, "%.1f", r.megabytesPerSecond()) : "-",
                    r.durationNanos > 0 ? String.format(Locale.ROOT, "%.0f%%", 100.0 * r.serverCpuNanos / r.durationNanos) : "-",
                    r.durationNanos > 0 ? String.format(Locale.ROOT, "%.0f%%", 100.0 * r.clientCpuNanos / r.durationNanos) : "-",
                    maxForeign(row),
                    Integer.toString(row.reps().size()),
                    r.verified() ? (r.ioErrors == 0 ? "yes" : "io-err") : "NO");
        }
        out.println("msgs/s, latency, MB/s, CPU%: the repetition with the median msgs/s; CPU µs/m: server CPU time per echoed"
                + " message, median over repetitions; alloc B/m: heap bytes the server threads allocated per echoed message,"
                + " median over repetitions; spread: (max-min)/median over repetitions; other%: the worst"
                + " repetition's CPU used outside the benchmark's processes (100% = one core)");
    }

    private static String maxForeign(Row row) {
        double worst = -1;
        for (LoadGenerator.Result r : row.reps()) {
            if (r.durationNanos > 0 && r.foreignCpuNanos >= 0) worst = Math.max(worst, 100.0 * r.foreignCpuNanos / r.durationNanos);
        }
        return worst < 0 ? "-" : String.format(Locale.ROOT, "%.0f%%", worst);
    }

    private static String lat(LoadGenerator.Result r, double p) {
        double v = r.latencyMicros(p);
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", v);
    }

    public static Map<String, String> machine() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + " (" + System.getProperty("java.vendor") + ")");
        m.put("jvm_short", "JDK " + System.getProperty("java.specification.version"));
        m.put("java_version", System.getProperty("java.version"));
        // Under Wine every figure is Wine's, not Windows': say so wherever the OS is named (table, JSON, chart).
        String wine = dev.iocp.core.win32.Wine.underWine() ? " UNDER WINE (not a performance platform)" : "";
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch") + wine);
        m.put("os_short", System.getProperty("os.name") + " " + System.getProperty("os.arch") + (wine.isEmpty() ? "" : " under Wine"));
        m.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        m.put("cpu", cpuModel());
        m.put("max_heap_mib", Long.toString(Runtime.getRuntime().maxMemory() >> 20));
        return m;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
            }
        } catch (IOException | RuntimeException ignored) {
        }
        String env = System.getenv("PROCESSOR_IDENTIFIER"); // Windows
        return env != null ? env : "unknown";
    }
}
