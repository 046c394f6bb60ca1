package dev.iocp.bench.echo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code bench --server-process}: the echo server runs in a child JVM pinned to its own core(s) with
 * {@code taskset -c <server-cpus>}, the load generator in this JVM pinned to others, so the two never share a core.
 *
 * <p>One child per server name, started on first use and kept for the whole run (so the server's JIT state is
 * warmed by the pre-warm, as in the one-JVM mode); each cell starts a fresh server inside it. The child is driven
 * over its stdin/stdout, one line each way:
 * <pre>
 *   START &lt;name&gt; &lt;threads&gt; &lt;host&gt;  →  READY &lt;port&gt;      (or ERR &lt;message&gt;)
 *   CPU                           →  CPU &lt;server-threads-ns&gt; &lt;process-ns&gt;
 *   MEM                           →  MEM &lt;VmRSS-bytes&gt; &lt;live-heap-bytes&gt; &lt;direct-buffer-bytes&gt;  (after a full GC)
 *   STOP                          →  STOPPED
 *   EXIT (or end of stdin)        →  the child exits
 * </pre>
 * Server CPU time is the sum of {@code ThreadMXBean.getThreadCpuTime} over the server's own threads, measured
 * inside the child exactly as in the one-JVM mode; the child's whole-process CPU time is reported too, so that the
 * generator's "other CPU%" does not count the child as foreign load. Lines not starting with a reply word (a
 * library writing to stdout) are ignored.
 */
public final class ServerProcess implements AutoCloseable, LoadGenerator.CpuSource {
    private static final String REPLY_PREFIX = "@@";

    private final Process process;
    private final BufferedReader in;
    private final PrintStream out;
    private final String name;

    private ServerProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        this.in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.out = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
    }

    /** Starts a child JVM for server {@code name} under {@code taskset -c cpus} (no taskset when cpus is null). */
    public static ServerProcess launch(String name, String cpus, int processors, List<String> extraJvmOpts) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (cpus != null) {
            cmd.add("taskset");
            cmd.add("-c");
            cmd.add(cpus);
        }
        cmd.add(ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // the parent's -D/-X settings (e.g. -Diocp.backend, heap) carry over; its profiler/agent settings do not
            if (a.startsWith("-XX:StartFlightRecording") || a.startsWith("-XX:FlightRecorderOptions")
                    || a.startsWith("-agent") || a.startsWith("-javaagent")) continue;
            cmd.add(a);
        }
        // Same JVM ergonomics as the one-JVM mode (GC choice, compiler threads, Netty's arena count): a JVM started
        // under taskset -c 0 would otherwise see 1 processor and pick SerialGC.
        // processors: the count before this JVM pinned itself.
        if (extraJvmOpts.stream().noneMatch(o -> o.startsWith("-XX:ActiveProcessorCount"))) {
            cmd.add("-XX:ActiveProcessorCount=" + processors);
        }
        cmd.addAll(extraJvmOpts);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ServerProcess.class.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        return new ServerProcess(name, pb.start());
    }

    private String call(String command, String expect) throws IOException {
        out.println(command);
        if (out.checkError()) throw new IOException("server process " + name + " is gone (" + command + ")");
        while (true) {
            String line = in.readLine();
            if (line == null) throw new IOException("server process " + name + " exited during " + command);
            if (!line.startsWith(REPLY_PREFIX)) continue;
            line = line.substring(REPLY_PREFIX.length());
            if (line.startsWith("ERR ")) throw new IOException("server process " + name + ": " + line.substring(4));
            if (line.startsWith(expect)) return line.substring(expect.length()).trim();
        }
    }

    public InetSocketAddress start(InetSocketAddress bind, int threads) throws IOException {
        String host = bind.getAddress().getHostAddress();
        int port = Integer.parseInt(call("START " + name + " " + threads + " " + host, "READY"));
        return new InetSocketAddress(bind.getAddress(), port);
    }

    /**
     * The child's memory now, for the idle scenario: {VmRSS from /proc/self/status, the heap in use after a full
     * GC, the JDK's direct-buffer pool}, in bytes (RSS -1 where /proc is missing).
     */
    long[] memory() throws IOException {
        String[] f = call("MEM", "MEM").split(" ");
        return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])};
    }

    /** The child's process id (taskset execs the JVM, so it is the same process). */
    long pid() {
        return process.pid();
    }

    public void stop() throws IOException {
        call("STOP", "STOPPED");
    }

    private long[] cpu() {
        try {
            String[] f = call("CPU", "CPU").split(" ");
            return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])};
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public long serverCpuNanos() {
        return cpu()[0];
    }

    @Override
    public long serverAllocatedBytes() {
        return cpu()[2];
    }

    @Override
    public long extraProcessCpuNanos() {
        return cpu()[1];
    }

    @Override
    public void close() {
        out.println("EXIT");
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The child: serves one echo server at a time as the parent says. */
    public static void main(String[] args) throws Exception {
        PrintStream reply = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(System.err); // anything else written to stdout goes to stderr, away from the protocol
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (mx.isThreadCpuTimeSupported() && !mx.isThreadCpuTimeEnabled()) mx.setThreadCpuTimeEnabled(true);
        BufferedReader cmds = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        BenchServer server = null;
        String line;
        while ((line = cmds.readLine()) != null) {
            String[] f = line.trim().split(" ");
            try {
                switch (f[0]) {
                    case "START" -> {
                        if (server != null) server.close();
                        server = dev.iocp.bench.http.HttpServers.isHttp(f[1])
                                ? dev.iocp.bench.http.HttpServers.create(f[1]) : Servers.create(f[1]);
                        InetSocketAddress a = server.start(new InetSocketAddress(InetAddress.getByName(f[3]), 0), Integer.parseInt(f[2]));
                        reply.println(REPLY_PREFIX + "READY " + a.getPort());
                    }
                    case "CPU" -> reply.println(REPLY_PREFIX + "CPU "
                            + (server == null ? 0 : LoadGenerator.cpuNanos(server.serverThreads())) + " "
                            + Math.max(0, LoadGenerator.processCpuNanos()) + " "
                            + (server == null ? -1 : LoadGenerator.allocatedBytes(server.serverThreads())));
                    case "MEM" -> reply.println(REPLY_PREFIX + "MEM " + IdleBench.selfMemory());
                    case "STOP" -> {
                        if (server != null) server.close();
                        server = null;
                        reply.println(REPLY_PREFIX + "STOPPED");
                    }
                    case "EXIT" -> {
                        if (server != null) server.close();
                        System.exit(0);
                    }
                    default -> reply.println(REPLY_PREFIX + "ERR unknown command " + line);
                }
            } catch (Exception e) {
                reply.println(REPLY_PREFIX + "ERR " + String.valueOf(e).replace('\n', ' '));
            }
        }
        if (server != null) server.close();
        System.exit(0);
    }
}
