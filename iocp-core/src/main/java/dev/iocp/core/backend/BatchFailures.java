package dev.iocp.core.backend;

import io.netty.util.internal.PlatformDependent;

/**
 * A batch of packets, once dequeued, exists nowhere else: if handing one to the sink throws, the rest must still be
 * handed over, or their ops stay in flight forever (and their memory can never be released). So every backend's
 * dispatch loop catches <em>any</em> Throwable — an Error such as OutOfMemoryError or StackOverflowError included —
 * keeps going, and rethrows the first failure (the others suppressed) once the whole batch is out.
 */
public final class BatchFailures {
    private BatchFailures() {}

    /**
     * Records a failure of the batch.
     *
     * @param first the batch's first failure so far, or null
     * @param next the failure just caught
     * @return the failure to rethrow after the batch: {@code first} (with {@code next} suppressed), or {@code next}
     *         if it is the first
     */
    public static Throwable add(Throwable first, Throwable next) {
        if (first == null) {
            return next;
        }
        if (first != next) {
            first.addSuppressed(next);
        }
        return first;
    }

    /**
     * Rethrows {@code first} as it is (checked or not) if the batch had a failure.
     *
     * @param first the batch's first failure, or null
     */
    public static void rethrowIfAny(Throwable first) {
        if (first != null) {
            PlatformDependent.throwException(first);
        }
    }
}
