package dev.iocp.bench.jmh;

import dev.iocp.core.backend.sim.SimulatedBackend;
import dev.iocp.core.backend.sim.SimulatedNetwork;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Wake-up round trip: a task submitted from another thread to a sleeping loop, and its result back. Dominated by
 * the backend's wake-up (here: a condition signal; on Win32 PostQueuedCompletionStatus) and thread hand-off.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class WakeupBenchmark {
    IocpEventLoopGroup group;
    IocpEventLoop loop;

    @Setup
    public void setUp() {
        SimulatedNetwork net = new SimulatedNetwork();
        group = new IocpEventLoopGroup(1, () -> new SimulatedBackend(net));
        loop = group.next();
    }

    @Benchmark
    public Object submitAndWait() throws Exception {
        return loop.submit(() -> Boolean.TRUE).get();
    }

    @TearDown
    public void tearDown() throws Exception {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).get(20, TimeUnit.SECONDS);
    }
}
