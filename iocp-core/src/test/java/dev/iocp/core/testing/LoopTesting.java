package dev.iocp.core.testing;

import dev.iocp.core.loop.IocpEventLoop;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Helpers for tests that drive an event loop from the test thread. */
public final class LoopTesting {
    private LoopTesting() {}

    public static final long TIMEOUT_SECONDS = 20;

    /**
     * 127.0.0.1, built from its bytes. Not {@code InetAddress.getLoopbackAddress()}: under Wine that walks
     * NetworkInterface, whose native code crashes the Windows JVM (0xc06d007f, a delay-load failure).
     */
    public static final java.net.InetAddress LOOPBACK_V4;

    static {
        try {
            LOOPBACK_V4 = java.net.InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1});
        } catch (java.net.UnknownHostException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Runs {@code task} on the loop and returns its result (or rethrows its failure). */
    public static <T> T onLoop(IocpEventLoop loop, Callable<T> task) {
        try {
            return loop.submit(task).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error er) {
                throw er;
            }
            throw new AssertionError(c);
        } catch (Exception e) {
            throw new AssertionError("task on " + loop + " did not finish", e);
        }
    }

    public static void onLoop(IocpEventLoop loop, ThrowingRunnable task) {
        onLoop(loop, () -> {
            task.run();
            return null;
        });
    }

    @FunctionalInterface
    public interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** Polls {@code condition} until true or the timeout; fails with {@code what}. A bounded wait, not a sleep. */
    public static void await(String what, BooleanSupplier condition) {
        await(what, TIMEOUT_SECONDS, TimeUnit.SECONDS, condition);
    }

    public static void await(String what, long timeout, TimeUnit unit, BooleanSupplier condition) {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout + " " + unit + " waiting for: " + what);
            }
            Thread.onSpinWait();
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for: " + what);
            }
        }
    }

    /** Invariant 2's check after a test: every op the loop handed to the kernel has had its packet. */
    public static void assertOpsDrained(IocpEventLoop loop) {
        await("ops in flight to drain to 0", () -> onLoop(loop, loop::opsInFlight) == 0);
        assertEquals(0, (int) onLoop(loop, loop::opsInFlight), "ops in flight");
        assertProvidedBuffersBack(loop);
    }

    /**
     * Asserts that every provided buffer of the loop's backend is back in its pool (none held by a connection or
     * protocol that is gone): a buffer never given back would be one fewer for every later receive of the loop.
     *
     * @param loop the loop; nothing to check if its backend has no provided buffers
     */
    public static void assertProvidedBuffersBack(IocpEventLoop loop) {
        dev.iocp.core.backend.ProvidedBuffers pool = loop.backend().providedBuffers();
        if (pool == null) {
            return;
        }
        await("provided buffers to come back", () -> onLoop(loop, pool::outstanding) == 0);
    }
}
