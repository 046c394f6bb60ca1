package dev.iocp.bench.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One run of wrk, the HTTP load generator (Debian package {@code wrk}), and what it printed. wrk runs in a shell
 * that reports, with {@code times}, the CPU time its child used: so the bench can tell the generator's CPU from
 * other load on the machine.
 */
final class Wrk {
    /** What one run measured. */
    record Result(long requests, double seconds, double requestsPerSecond, double p50Micros, double p99Micros,
                  long non2xx, long socketErrors, long generatorCpuNanos, String output) {
        boolean clean() {
            return requests > 0 && non2xx == 0 && socketErrors == 0;
        }
    }

    private static final Pattern REQUESTS = Pattern.compile("(\\d+) requests in ([\\d.]+)(us|ms|s|m)");
    private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([\\d.]+)");
    private static final Pattern PERCENTILE = Pattern.compile("^\\s+(50|99)(?:\\.000)?%\\s+([\\d.]+)(us|ms|s|m)\\s*$",
            Pattern.MULTILINE);
    private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");
    private static final Pattern SOCKET_ERRORS = Pattern.compile(
            "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
    /** bash's {@code times}: the second line is the children's user and system time, e.g. {@code 0m1.250s 0m0.310s}. */
    private static final Pattern TIMES = Pattern.compile("^(\\d+)m([\\d.]+)s (\\d+)m([\\d.]+)s$", Pattern.MULTILINE);

    private Wrk() {}

    /**
     * Runs wrk against {@code url}: {@code connections} keep-alive connections on one wrk thread for
     * {@code seconds}; {@code pipelineDepth} > 1 sends that many requests back to back per round trip (a Lua script
     * written to {@code scratch}). {@code cpus}: taskset list for wrk, or null.
     */
    static Result run(String url, int connections, int seconds, int pipelineDepth, String cpus, Path scratch)
            throws IOException, InterruptedException {
        List<String> wrk = new ArrayList<>();
        if (cpus != null) {
            wrk.add("taskset -c " + cpus);
        }
        wrk.add("wrk -t1 -c" + connections + " -d" + seconds + "s --latency --timeout 5s");
        if (pipelineDepth > 1) {
            wrk.add("-s " + pipelineScript(scratch, pipelineDepth));
        }
        wrk.add(url);
        // `times` after wrk: the CPU wrk used (the shell's own is negligible).
        String script = String.join(" ", wrk) + "; rc=$?; times; exit $rc";
        Process p = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(seconds + 60L, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("wrk did not finish: " + out);
        }
        if (p.exitValue() != 0) {
            throw new IOException("wrk exited with " + p.exitValue() + ": " + out.trim());
        }
        return parse(out);
    }

    /** Parses wrk 4's report (and the {@code times} lines after it). Package-private for its test. */
    static Result parse(String out) throws IOException {
        Matcher m = REQUESTS.matcher(out);
        if (!m.find()) {
            throw new IOException("no request count in wrk's output: " + out.trim());
        }
        long requests = Long.parseLong(m.group(1));
        double seconds = toMicros(m.group(2), m.group(3)) / 1e6;
        Matcher r = RATE.matcher(out);
        double rate = r.find() ? Double.parseDouble(r.group(1)) : Double.NaN;
        double p50 = Double.NaN, p99 = Double.NaN;
        Matcher pm = PERCENTILE.matcher(out);
        while (pm.find()) {
            double v = toMicros(pm.group(2), pm.group(3));
            if (pm.group(1).equals("50")) p50 = v; else p99 = v;
        }
        Matcher n = NON_2XX.matcher(out);
        long non2xx = n.find() ? Long.parseLong(n.group(1)) : 0;
        Matcher e = SOCKET_ERRORS.matcher(out);
        long errors = 0;
        if (e.find()) {
            for (int i = 1; i <= 4; i++) errors += Long.parseLong(e.group(i));
        }
        long cpu = -1;
        Matcher t = TIMES.matcher(out);
        if (t.find() && t.find()) { // the first line is the shell's own, the second its children's
            cpu = (long) ((Long.parseLong(t.group(1)) * 60 + Double.parseDouble(t.group(2))
                    + Long.parseLong(t.group(3)) * 60 + Double.parseDouble(t.group(4))) * 1e9);
        }
        return new Result(requests, seconds, rate, p50, p99, non2xx, errors, cpu, out);
    }

    private static double toMicros(String value, String unit) {
        double v = Double.parseDouble(value);
        return switch (unit) {
            case "us" -> v;
            case "ms" -> v * 1e3;
            case "s" -> v * 1e6;
            case "m" -> v * 60e6;
            default -> throw new IllegalArgumentException(unit);
        };
    }

    /**
     * A wrk script sending {@code depth} GET /plaintext requests in one write per round trip: wrk's request() hook
     * returns the whole batch, and wrk counts each response in it.
     */
    private static Path pipelineScript(Path dir, int depth) throws IOException {
        Files.createDirectories(dir);
        Path f = dir.resolve("pipeline-" + depth + ".lua");
        String lua = String.format(Locale.ROOT, """
                -- %d pipelined requests per round trip (written by iocp's bench --http)
                init = function(args)
                  local batch = {}
                  for i = 1, %d do batch[i] = wrk.format("GET", wrk.path) end
                  pipelined = table.concat(batch)
                end
                request = function() return pipelined end
                """, depth, depth);
        Files.writeString(f, lua);
        return f.toAbsolutePath();
    }

    /** wrk's version line, or why it cannot run. */
    static String version() {
        try {
            Process p = new ProcessBuilder("wrk", "-v").redirectErrorStream(true).start();
            String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor(10, TimeUnit.SECONDS);
            return v.lines().findFirst().orElse("wrk (no version)");
        } catch (IOException | InterruptedException e) {
            return null;
        }
    }
}
