package dev.iocp.race;

import dev.iocp.transport.TransportConfig;
import dev.iocp.transport.tls.TlsConfig;

/** What one race run does. Fluent setters; defaults are the original bpo-33694 case (2000 × 16 KiB, 100 ms). */
public final class RaceConfig {
    int packets = 2000;
    int size = 16384;
    long pauseIntervalMs = 100;
    boolean jitter;
    long seed = 20180528L;
    boolean pauseServer;
    boolean pauseInCallback;
    boolean resumeFromForeignThread;
    boolean firstPauseUntilHeld;
    int connections = 1;
    String backend; // null: Backends.defaultFactory()
    long timeoutMs = 300_000;
    TransportConfig transport = TransportConfig.DEFAULT;
    long progressEveryMs = 0; // 0: no progress lines
    TlsConfig serverTls; // null: plaintext
    TlsConfig clientTls;

    public RaceConfig packets(int n) { this.packets = n; return this; }
    public RaceConfig size(int bytes) { this.size = bytes; return this; }
    /** Pause and resume the client's reading every this many ms (0: never). */
    public RaceConfig pauseIntervalMs(long ms) { this.pauseIntervalMs = ms; return this; }
    /** Each interval random in 1..pauseIntervalMs, from {@link #seed}. */
    public RaceConfig jitter(boolean on) { this.jitter = on; return this; }
    public RaceConfig seed(long seed) { this.seed = seed; return this; }
    /** Pause and resume the server side's reading too. */
    public RaceConfig pauseServer(boolean on) { this.pauseServer = on; return this; }
    /** The client pauses from inside dataReceived (at most once per interval) instead of from a timer. */
    public RaceConfig pauseInCallback(boolean on) { this.pauseInCallback = on; return this; }
    /** resumeReading is called from a thread that is not the loop. */
    public RaceConfig resumeFromForeignThread(boolean on) { this.resumeFromForeignThread = on; return this; }
    /**
     * A certain hit of the race window, whatever the machine's speed: each client's first pause comes right after its
     * first delivery (from a loop task: the receive is re-armed and the rest of the stream is still to come) and
     * lasts until that receive has completed and been held (checked on the loop every millisecond, bounded by the
     * run's timeout); then the usual schedule starts. Without it, a fast machine can finish the whole exchange before
     * the first timer fires. The race suite uses it to assert a hit; the CLI doesn't (it is race.py's schedule).
     */
    public RaceConfig firstPauseUntilHeld(boolean on) { this.firstPauseUntilHeld = on; return this; }
    public RaceConfig connections(int n) { this.connections = n; return this; }
    /** win32, simulated, io_uring; null for the platform default. */
    public RaceConfig backend(String name) { this.backend = name; return this; }
    public RaceConfig timeoutMs(long ms) { this.timeoutMs = ms; return this; }
    public RaceConfig transport(TransportConfig c) { this.transport = c; return this; }
    public RaceConfig progressEveryMs(long ms) { this.progressEveryMs = ms; return this; }
    /**
     * The race through TLS: the server listens with {@code server}, the clients connect with {@code client}
     * (TLS from the first byte; both null: plaintext). See {@link RaceTls} for a self-signed pair.
     */
    public RaceConfig tls(TlsConfig server, TlsConfig client) { this.serverTls = server; this.clientTls = client; return this; }

    /** A copy, to derive one round's configuration from. */
    public RaceConfig copy() {
        RaceConfig c = new RaceConfig();
        c.packets = packets;
        c.size = size;
        c.pauseIntervalMs = pauseIntervalMs;
        c.jitter = jitter;
        c.seed = seed;
        c.pauseServer = pauseServer;
        c.pauseInCallback = pauseInCallback;
        c.resumeFromForeignThread = resumeFromForeignThread;
        c.firstPauseUntilHeld = firstPauseUntilHeld;
        c.connections = connections;
        c.backend = backend;
        c.timeoutMs = timeoutMs;
        c.transport = transport;
        c.progressEveryMs = progressEveryMs;
        c.serverTls = serverTls;
        c.clientTls = clientTls;
        return c;
    }

    public int packets() { return packets; }
    public int size() { return size; }
    public long pauseIntervalMs() { return pauseIntervalMs; }
    public boolean jitter() { return jitter; }
    public long seed() { return seed; }
    public int connections() { return connections; }
    public boolean pauseServer() { return pauseServer; }
    public boolean pauseInCallback() { return pauseInCallback; }
    public boolean resumeFromForeignThread() { return resumeFromForeignThread; }
    public boolean firstPauseUntilHeld() { return firstPauseUntilHeld; }
    public String backend() { return backend; }
    public TlsConfig serverTls() { return serverTls; }
    public TlsConfig clientTls() { return clientTls; }
    public long totalBytesPerConnection() { return (long) packets * size; }

    @Override
    public String toString() {
        return "packets=" + packets + " size=" + size + " pause-interval=" + pauseIntervalMs + "ms"
                + (jitter ? " jitter(seed=" + seed + ")" : "") + (pauseServer ? " pause-server" : "")
                + (pauseInCallback ? " pause-in-callback" : "") + (resumeFromForeignThread ? " foreign-resume" : "")
                + (firstPauseUntilHeld ? " first-pause-until-held" : "")
                + " connections=" + connections + " backend=" + (backend == null ? "default" : backend)
                + (serverTls != null || clientTls != null ? " tls" : "");
    }
}
