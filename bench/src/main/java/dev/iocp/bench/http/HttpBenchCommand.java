package dev.iocp.bench.http;

import dev.iocp.bench.echo.BenchCommand;
import dev.iocp.bench.echo.LoadGenerator;
import dev.iocp.bench.echo.ServerProcess;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bench --http}: wrk against the HTTP servers of {@link HttpServers}, all in one run, each in a child JVM
 * pinned to its own CPU ({@code --server-cpus}, default 0) with wrk pinned to another ({@code --generator-cpus},
 * default 1), as the echo bench pins its server and load generator. Scenarios: {@code GET /plaintext} over 1, 100
 * and 1000 keep-alive connections, and pipelined (16 requests per round trip) over 100 and 1000.
 *
 * <p>Per cell and repetition: a fresh server, an unrecorded wrk warm-up, then the measured wrk run, around which the
 * server's threads' CPU time and heap allocation are read from the child. Servers alternate within a scenario; a
 * repetition during which other processes used more than 15 % of a core (the machine's busy time minus this JVM's,
 * the child's and wrk's) is run again, within a budget. Reported per cell: the median over repetitions of
 * requests/s, of server CPU µs per request and of heap bytes per request; p99 latency of the median-rate
 * repetition (wrk measures it per round trip, so a pipelined batch counts once).
 */
public final class HttpBenchCommand {
    /** @param path what each request asks for; a {@code /file/N} scenario serves a file of N bytes per request */
    record Scenario(String id, int connections, int pipelineDepth, String path) {
        Scenario(String id, int connections, int pipelineDepth) {
            this(id, connections, pipelineDepth, "/plaintext");
        }

        /** The response body's size where the scenario fixes it (a file's), else 0. */
        long bodyBytes() {
            return path.startsWith("/file/") ? Long.parseLong(path.substring("/file/".length())) : 0;
        }
    }

    static final List<Scenario> MATRIX = List.of(
            new Scenario("plaintext-c1", 1, 1),
            new Scenario("plaintext-c100", 100, 1),
            new Scenario("plaintext-c1000", 1000, 1),
            new Scenario("pipelined16-c100", 100, 16),
            new Scenario("pipelined16-c1000", 1000, 16),
            // Static files as frameworks serve them (a FileRegion per response on the Netty servers).
            new Scenario("file-4KiB-c100", 100, 1, "/file/4096"),
            new Scenario("file-32MiB-c10", 10, 1, "/file/33554432"));

    /** One measured repetition. */
    record Rep(Wrk.Result wrk, long serverCpuNanos, long serverAllocatedBytes, double foreignCpuShare) {
        double cpuMicrosPerRequest() {
            return wrk.requests() == 0 ? Double.NaN : serverCpuNanos / 1e3 / wrk.requests();
        }

        double allocBytesPerRequest() {
            return wrk.requests() == 0 || serverAllocatedBytes < 0 ? Double.NaN
                    : (double) serverAllocatedBytes / wrk.requests();
        }
    }

    record Row(String server, Scenario scenario, List<Rep> reps) {
        double medianRate() {
            return median(reps.stream().mapToDouble(r -> r.wrk().requestsPerSecond()).toArray());
        }

        double medianCpu() {
            return median(reps.stream().mapToDouble(Rep::cpuMicrosPerRequest).toArray());
        }

        double medianAlloc() {
            return median(reps.stream().mapToDouble(Rep::allocBytesPerRequest).toArray());
        }

        Rep medianRep() {
            List<Rep> sorted = new ArrayList<>(reps);
            sorted.sort((a, b) -> Double.compare(a.wrk().requestsPerSecond(), b.wrk().requestsPerSecond()));
            return sorted.get(sorted.size() / 2);
        }

        boolean clean() {
            return reps.stream().allMatch(r -> r.wrk().clean());
        }

        double worstForeign() {
            return reps.stream().mapToDouble(Rep::foreignCpuShare).max().orElse(Double.NaN);
        }
    }

    private HttpBenchCommand() {}

    static void usage(PrintStream out) {
        out.println("usage: bench --http [--servers " + String.join(",", HttpServers.names()) + "]");
        out.println("             [--scenarios " + String.join(",", MATRIX.stream().map(Scenario::id).toList()) + "]");
        out.println("             [--reps N] [--warmup-s N] [--measure-s N] [--server-threads N] [--server-cpus LIST|none]");
        out.println("             [--generator-cpus LIST|none] [--retry-budget N] [--out DIR]");
    }

    public static int run(String[] args, PrintStream out) {
        List<String> servers = HttpServers.names();
        List<String> only = null;
        int reps = 3, warmupS = 2, measureS = 5, serverThreads = 1, retryBudget = 10;
        String serverCpus = "0", generatorCpus = "1";
        Path outDir = Paths.get("bench", "results-http");
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "bench", "--http" -> { }
                    case "--servers" -> servers = Arrays.asList(args[++i].split(","));
                    case "--scenarios" -> only = Arrays.asList(args[++i].split(","));
                    case "--reps" -> reps = Integer.parseInt(args[++i]);
                    case "--warmup-s" -> warmupS = Integer.parseInt(args[++i]);
                    case "--measure-s" -> measureS = Integer.parseInt(args[++i]);
                    case "--server-threads" -> serverThreads = Integer.parseInt(args[++i]);
                    case "--server-cpus" -> serverCpus = args[++i];
                    case "--generator-cpus" -> generatorCpus = args[++i];
                    case "--retry-budget" -> retryBudget = Integer.parseInt(args[++i]);
                    case "--out" -> outDir = Paths.get(args[++i]);
                    case "-h", "--help" -> {
                        usage(out);
                        return 0;
                    }
                    default -> {
                        System.err.println("bench --http: unknown argument " + args[i]);
                        usage(System.err);
                        return 2;
                    }
                }
            }
        } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
            System.err.println("bench --http: bad arguments: " + e.getMessage());
            usage(System.err);
            return 2;
        }
        if (reps < 1 || warmupS < 0 || measureS < 1) {
            System.err.println("bench --http: --reps and --measure-s must be >= 1, --warmup-s >= 0");
            return 2;
        }
        for (String s : servers) {
            if (!HttpServers.names().contains(s)) {
                String why = HttpServers.unavailable().get(s);
                System.err.println("bench --http: " + (why != null ? s + " is not available here: " + why
                        : "unknown server " + s + ", registered: " + HttpServers.names()));
                return 2;
            }
        }
        List<Scenario> scenarios = new ArrayList<>();
        for (Scenario sc : MATRIX) if (only == null || only.contains(sc.id())) scenarios.add(sc);
        if (scenarios.isEmpty()) {
            System.err.println("bench --http: no scenario selected");
            return 2;
        }
        String wrkVersion = Wrk.version();
        if (wrkVersion == null) {
            System.err.println("bench --http: wrk not found on PATH (Debian: apt-get install wrk; ./iocp installs it)");
            return 2;
        }
        if ("none".equals(serverCpus)) serverCpus = null;
        if ("none".equals(generatorCpus)) generatorCpus = null;

        Map<String, String> machine = BenchCommand.machine();
        out.println("iocp HTTP benchmark (wrk)");
        out.println("JVM:   " + machine.get("jvm"));
        out.println("OS:    " + machine.get("os") + ", cores: " + machine.get("cores") + ", cpu: " + machine.get("cpu"));
        out.println("load:  " + wrkVersion + ", one wrk thread, keep-alive, " + (generatorCpus == null ? "not pinned" : "taskset -c " + generatorCpus));
        out.printf(Locale.ROOT, "setup: servers %s, %d server thread(s), each in a child JVM (%s); %d repetitions per cell, "
                        + "warm-up %d s + measured %d s, servers alternate within a scenario%n",
                String.join(",", servers), serverThreads, serverCpus == null ? "not pinned" : "taskset -c " + serverCpus,
                reps, warmupS, measureS);
        for (Map.Entry<String, String> u : HttpServers.unavailable().entrySet()) {
            out.println("       not run: " + u.getKey() + ": " + u.getValue());
        }
        out.flush();

        Map<String, ServerProcess> children = new LinkedHashMap<>();
        try {
            for (String s : servers) {
                children.put(s, ServerProcess.launch(s, serverCpus, Integer.parseInt(machine.get("cores")), List.of()));
            }
            InetSocketAddress bind = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
            List<Row> rows = new ArrayList<>();
            int retries = 0;
            for (Scenario sc : scenarios) {
                Map<String, List<Rep>> cell = new LinkedHashMap<>();
                for (int rep = 0; rep < reps; rep++) {
                    for (String s : servers) {
                        Rep r;
                        while (true) {
                            r = measure(children.get(s), sc, bind, serverThreads, warmupS, measureS, generatorCpus, outDir);
                            if (r.foreignCpuShare() <= 0.15 || retries >= retryBudget) break;
                            retries++;
                            out.printf(Locale.ROOT, "  run %d/%d %-20s %-18s discarded: other processes used %.0f%% CPU; retrying (%d/%d)%n",
                                    rep + 1, reps, s, sc.id(), 100 * r.foreignCpuShare(), retries, retryBudget);
                        }
                        cell.computeIfAbsent(s, k -> new ArrayList<>()).add(r);
                        out.printf(Locale.ROOT, "  run %d/%d %-20s %-18s %,10.0f req/s  %6.2f srv CPU µs/req  %7.1f B/req alloc  other CPU %3.0f%%%s%n",
                                rep + 1, reps, s, sc.id(), r.wrk().requestsPerSecond(), r.cpuMicrosPerRequest(),
                                r.allocBytesPerRequest(), 100 * r.foreignCpuShare(),
                                r.wrk().clean() ? "" : "  NOT CLEAN: non-2xx " + r.wrk().non2xx() + ", socket errors " + r.wrk().socketErrors());
                        out.flush();
                    }
                }
                for (String s : servers) rows.add(new Row(s, sc, cell.get(s)));
            }
            String base = servers.contains(HttpServers.NETTY_IO_URING) ? HttpServers.NETTY_IO_URING
                    : servers.contains(HttpServers.NETTY_NIO) ? HttpServers.NETTY_NIO : servers.get(0);
            printTable(out, rows, base);
            writeResults(outDir, machine, wrkVersion, rows, base, reps, warmupS, measureS);
            out.println("wrote " + outDir.resolve("results-http.json") + ", " + outDir.resolve("results-http.csv"));
            boolean clean = rows.stream().allMatch(Row::clean);
            if (!clean) out.println("bench --http: some responses were not 2xx or sockets failed (see NOT CLEAN above)");
            return clean ? 0 : 1;
        } catch (IOException | InterruptedException e) {
            System.err.println("bench --http: " + e);
            return 1;
        } finally {
            children.values().forEach(ServerProcess::close);
        }
    }

    private static Rep measure(ServerProcess child, Scenario sc, InetSocketAddress bind, int threads, int warmupS,
                               int measureS, String generatorCpus, Path scratch) throws IOException, InterruptedException {
        InetSocketAddress at = child.start(bind, threads);
        try {
            String url = "http://" + at.getAddress().getHostAddress() + ":" + at.getPort() + sc.path();
            if (warmupS > 0) {
                Wrk.run(url, sc.connections(), warmupS, sc.pipelineDepth(), generatorCpus, scratch);
            }
            long busy0 = LoadGenerator.machineBusyNanos();
            long own0 = LoadGenerator.processCpuNanos() + child.extraProcessCpuNanos();
            long cpu0 = child.serverCpuNanos(), alloc0 = child.serverAllocatedBytes();
            long t0 = System.nanoTime();
            Wrk.Result w = Wrk.run(url, sc.connections(), measureS, sc.pipelineDepth(), generatorCpus, scratch);
            long wall = System.nanoTime() - t0;
            long cpu1 = child.serverCpuNanos(), alloc1 = child.serverAllocatedBytes();
            long own1 = LoadGenerator.processCpuNanos() + child.extraProcessCpuNanos();
            long busy1 = LoadGenerator.machineBusyNanos();
            double foreign = 0;
            if (busy0 >= 0 && busy1 >= 0 && w.generatorCpuNanos() >= 0) {
                foreign = Math.max(0, (busy1 - busy0) - (own1 - own0) - w.generatorCpuNanos()) / (double) wall;
            }
            return new Rep(w, cpu1 - cpu0, alloc0 >= 0 && alloc1 >= 0 ? alloc1 - alloc0 : -1, foreign);
        } finally {
            child.stop();
        }
    }

    private static void printTable(PrintStream out, List<Row> rows, String base) {
        Map<String, Double> baseCpu = new LinkedHashMap<>();
        for (Row r : rows) if (r.server().equals(base)) baseCpu.put(r.scenario().id(), r.medianCpu());
        String fmt = "%-20s %-18s %11s %10s %10s %11s %9s %7s %s%n";
        out.println();
        out.printf(Locale.ROOT, fmt, "server", "scenario", "req/s", "p99 µs", "CPU µs/req", "alloc B/req",
                "CPU ÷ " + shortName(base), "other%", "clean");
        for (Row r : rows) {
            Rep m = r.medianRep();
            Double b = baseCpu.get(r.scenario().id());
            out.printf(Locale.ROOT, fmt, r.server(), r.scenario().id(),
                    String.format(Locale.ROOT, "%,.0f", r.medianRate()),
                    r.scenario().pipelineDepth() > 1 ? "-" : String.format(Locale.ROOT, "%.0f", m.wrk().p99Micros()),
                    String.format(Locale.ROOT, "%.2f", r.medianCpu()),
                    String.format(Locale.ROOT, "%.1f", r.medianAlloc()),
                    b == null ? "-" : String.format(Locale.ROOT, "%.2f", r.medianCpu() / b),
                    String.format(Locale.ROOT, "%.0f%%", 100 * r.worstForeign()),
                    r.clean() ? "yes" : "NO");
        }
        out.println("req/s, CPU µs/req, alloc B/req: medians over repetitions; p99: wrk's, of the median-rate repetition"
                + " (none for pipelined runs: wrk 4.1's latency histogram does not hold them, it printed 0 or seconds); CPU ÷: server CPU per request over " + base + "'s; other%: the worst repetition's"
                + " CPU used outside the server, wrk and this JVM (100% = one core); clean: every response 2xx, no socket error");
    }

    private static String shortName(String server) {
        return server.startsWith(HttpServers.PREFIX) ? server.substring(HttpServers.PREFIX.length()) : server;
    }

    private static void writeResults(Path dir, Map<String, String> machine, String wrkVersion, List<Row> rows,
                                     String base, int reps, int warmupS, int measureS) throws IOException {
        Files.createDirectories(dir);
        StringBuilder csv = new StringBuilder("server,scenario,connections,pipeline_depth,req_per_s,p99_us,server_cpu_us_per_req,"
                + "server_alloc_bytes_per_req,cpu_ratio_vs_" + base + ",worst_other_cpu,clean\n");
        StringBuilder json = new StringBuilder("{\n  \"machine\": {");
        int i = 0;
        for (Map.Entry<String, String> e : machine.entrySet()) {
            json.append(i++ == 0 ? "" : ", ").append(q(e.getKey())).append(": ").append(q(e.getValue()));
        }
        json.append("},\n  \"load\": ").append(q(wrkVersion))
                .append(",\n  \"config\": {\"reps\": ").append(reps).append(", \"warmup_s\": ").append(warmupS)
                .append(", \"measure_s\": ").append(measureS).append(", \"ratios_vs\": ").append(q(base)).append("},\n  \"rows\": [\n");
        Map<String, Double> baseCpu = new LinkedHashMap<>();
        for (Row r : rows) if (r.server().equals(base)) baseCpu.put(r.scenario().id(), r.medianCpu());
        for (int k = 0; k < rows.size(); k++) {
            Row r = rows.get(k);
            Double b = baseCpu.get(r.scenario().id());
            double ratio = b == null ? Double.NaN : r.medianCpu() / b;
            csv.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%.1f,%.1f,%.3f,%.2f,%.3f,%.3f,%b%n", r.server(), r.scenario().id(),
                    r.scenario().connections(), r.scenario().pipelineDepth(), r.medianRate(), r.medianRep().wrk().p99Micros(),
                    r.medianCpu(), r.medianAlloc(), ratio, r.worstForeign(), r.clean()));
            json.append(String.format(Locale.ROOT,
                    "    {\"server\": %s, \"scenario\": %s, \"connections\": %d, \"pipeline_depth\": %d, \"req_per_s\": %s,"
                            + " \"p99_us\": %s, \"server_cpu_us_per_req\": %s, \"server_alloc_bytes_per_req\": %s,"
                            + " \"cpu_ratio\": %s, \"worst_other_cpu\": %s, \"clean\": %b, \"req_per_s_reps\": %s}%s%n",
                    q(r.server()), q(r.scenario().id()), r.scenario().connections(), r.scenario().pipelineDepth(),
                    num(r.medianRate()), num(r.scenario().pipelineDepth() > 1 ? Double.NaN : r.medianRep().wrk().p99Micros()), num(r.medianCpu()), num(r.medianAlloc()),
                    num(ratio), num(r.worstForeign()), r.clean(),
                    r.reps().stream().map(x -> num(x.wrk().requestsPerSecond())).toList(),
                    k + 1 < rows.size() ? "," : ""));
        }
        json.append("  ]\n}\n");
        Files.writeString(dir.resolve("results-http.csv"), csv);
        Files.writeString(dir.resolve("results-http.json"), json);
    }

    private static String num(double d) {
        return Double.isNaN(d) || Double.isInfinite(d) ? "null" : String.format(Locale.ROOT, "%.3f", d);
    }

    private static String q(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    static double median(double[] v) {
        double[] s = Arrays.stream(v).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (s.length == 0) return Double.NaN;
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
