package dev.iocp.bench.jmh;

import dev.iocp.race.RaceTls;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * {@link TransportEchoBenchmark} through TLS (TLS 1.3, the JDK's SSLEngine, AES-GCM by default): the same round trip
 * on the simulated backend, both sides encrypting and decrypting, the handshake done in the set-up. Compare the two
 * for what the TLS layer costs per message; {@code -prof gc} gives bytes allocated per round trip, and the teardown
 * prints the loop thread's own allocation per message. Each write is its own record (encrypted at call time), so a
 * pipeline of small messages pays one record each.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
public class TlsTransportEchoBenchmark {
    static final int BATCH = 2_000;

    @Param({"16", "16384"})
    int messageSize;

    @Param({"1", "16"})
    int pipeline;

    SimulatedEcho echo;
    long callsBefore;
    long allocBefore;
    long roundTrips;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        echo = new SimulatedEcho(messageSize, pipeline, RaceTls.selfSigned());
        echo.roundTrips(BATCH); // warm the pools and the engines
        callsBefore = echo.kernelCalls();
        allocBefore = echo.loopThreadAllocatedBytes();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void roundTrip() throws Exception {
        echo.roundTrips(BATCH);
        roundTrips += BATCH;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        long calls = echo.kernelCalls() - callsBefore;
        long alloc = echo.loopThreadAllocatedBytes() - allocBefore;
        double messages = 2.0 * roundTrips * pipeline;
        System.out.printf("%n[tls-transport-echo size=%d pipeline=%d] round trips=%d kernel calls/round trip=%.3f"
                        + " kernel calls/message=%.3f loop-thread bytes allocated/message=%.1f%n",
                messageSize, pipeline, roundTrips, calls / (double) roundTrips, calls / messages, alloc / messages);
        echo.close();
    }
}
