package dev.iocp.core.loop;

import dev.iocp.core.backend.BackendFactory;
import dev.iocp.core.testing.LoopTesting;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A scheduled task runs at or after its deadline, never before, whatever the backend's wait granularity: the loop
 * sleeps in the backend for at most the time left (rounded up by Win32 to whole milliseconds, then to the clock
 * tick by Windows) and runs only tasks whose deadline has passed. Lateness is not asserted (it is the platform's:
 * up to ~15.6 ms on Windows); earliness is a bug on every backend. One subclass per backend.
 */
public abstract class ScheduledTaskTimingTest {
    /** The backend under test. */
    protected abstract BackendFactory backendFactory();

    @Test
    void noScheduledTaskRunsBeforeItsDeadlineSubMillisecondOnesIncluded() throws Exception {
        IocpEventLoopGroup group = new IocpEventLoopGroup(1, backendFactory());
        try {
            IocpEventLoop loop = group.next();
            long[] delaysNanos = {1, 1_000, 100_000, 500_000, 999_999, 1_000_000, 1_000_001, 1_500_000, 2_000_000,
                    5_000_000, 15_600_000, 16_000_000, 20_000_000};
            int rounds = 4;
            int tasks = delaysNanos.length * rounds;
            CountDownLatch ran = new CountDownLatch(tasks);
            List<String> early = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                for (long delay : delaysNanos) {
                    // Scheduled from the loop itself and from this thread: both paths compute the same deadline.
                    Runnable schedule = () -> {
                        long earliest = System.nanoTime() + delay;
                        loop.schedule(() -> {
                            long now = System.nanoTime();
                            if (now < earliest) {
                                synchronized (early) {
                                    early.add(delay + " ns task ran " + (earliest - now) + " ns early");
                                }
                            }
                            ran.countDown();
                        }, delay, TimeUnit.NANOSECONDS);
                    };
                    if (round % 2 == 0) {
                        schedule.run();
                    } else {
                        LoopTesting.onLoop(loop, schedule::run);
                    }
                }
            }
            assertTrue(ran.await(LoopTesting.TIMEOUT_SECONDS, TimeUnit.SECONDS), "every scheduled task ran");
            synchronized (early) {
                assertEquals(List.of(), early);
            }
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(LoopTesting.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }
}
