package dev.iocp.bench.jmh;

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
 * Cost of one echoed message through loop + transport on the simulated backend: each operation is one round trip
 * (client write → send packet → server receive → dataReceived → echo write → send → client receive), i.e. two
 * messages and eight completions ({@code pipeline} > 1: that many messages per round trip). Run with {@code -prof gc} for bytes allocated per round trip; the teardown prints
 * the loop thread's own allocation and the kernel calls a real backend would have made, per round trip.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
public class TransportEchoBenchmark {
    static final int BATCH = 10_000;

    @Param({"16", "16384"})
    int messageSize;

    /** Messages in flight per round trip: 1 = strict ping-pong; 16 = pipelined (what coalescing is for). */
    @Param({"1", "16"})
    int pipeline;

    SimulatedEcho echo;
    long callsBefore;
    long allocBefore;
    long roundTrips;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        echo = new SimulatedEcho(messageSize, pipeline);
        echo.roundTrips(BATCH); // warm the pools
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
        double messages = 2.0 * roundTrips * pipeline; // each message is sent once by each side
        System.out.printf("%n[transport-echo size=%d pipeline=%d] round trips=%d kernel calls/round trip=%.3f"
                        + " kernel calls/message=%.3f loop-thread bytes allocated/message=%.4f%n",
                messageSize, pipeline, roundTrips, calls / (double) roundTrips, calls / messages,
                alloc / messages);
        echo.close();
    }
}
