package dev.iocp.core.testing;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The CPU time a thread used over a window of wall time, as a fraction of one core: a behaviour bound ("the loop is
 * near idle while X", "the loop spins while Y"), not a benchmark. The window is a measurement, not a wait for a
 * condition: callers first wait (with a timeout) for the state they measure.
 */
public final class ThreadCpu {
    private ThreadCpu() {}

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** Fails the test as skipped where the JVM cannot measure another thread's CPU time. */
    public static void assumeSupported() {
        assumeTrue(THREADS.isThreadCpuTimeSupported(), "thread CPU time is not supported by this JVM");
        if (!THREADS.isThreadCpuTimeEnabled()) {
            THREADS.setThreadCpuTimeEnabled(true);
        }
    }

    /** CPU nanoseconds used so far by {@code threadId} (-1 if the thread is gone). */
    public static long cpuNanos(long threadId) {
        return THREADS.getThreadCpuTime(threadId);
    }

    /** What {@link #measure} saw. */
    public record Sample(long cpuNanos, long wallNanos) {
        public double fraction() {
            return (double) cpuNanos / wallNanos;
        }

        @Override
        public String toString() {
            return String.format("%.1f %% of one core over %d ms", 100 * fraction(), wallNanos / 1_000_000);
        }
    }

    /** The CPU time {@code threadId} uses during the next {@code windowMillis} of wall time. */
    public static Sample measure(long threadId, long windowMillis) throws InterruptedException {
        long cpu0 = cpuNanos(threadId);
        long wall0 = System.nanoTime();
        Thread.sleep(windowMillis);
        long cpu1 = cpuNanos(threadId);
        long wall1 = System.nanoTime();
        if (cpu0 < 0 || cpu1 < 0) {
            throw new IllegalStateException("thread " + threadId + " is not alive");
        }
        return new Sample(cpu1 - cpu0, wall1 - wall0);
    }
}
