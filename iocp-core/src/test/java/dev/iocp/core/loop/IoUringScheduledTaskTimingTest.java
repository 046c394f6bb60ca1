package dev.iocp.core.loop;

import dev.iocp.core.backend.BackendFactory;
import dev.iocp.core.backend.uring.IoUringBackend;
import org.junit.jupiter.api.BeforeEach;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@link ScheduledTaskTimingTest} on io_uring (its waits are timespecs: nanoseconds). */
class IoUringScheduledTaskTimingTest extends ScheduledTaskTimingTest {
    @BeforeEach
    void requireIoUring() {
        assumeTrue(IoUringBackend.unavailableReason().isEmpty(),
                () -> "io_uring unavailable: " + IoUringBackend.unavailableReason().orElse(""));
    }

    @Override
    protected BackendFactory backendFactory() {
        return IoUringBackend::new;
    }
}
