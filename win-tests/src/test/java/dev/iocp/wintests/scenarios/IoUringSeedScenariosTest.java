package dev.iocp.wintests.scenarios;

import dev.iocp.core.backend.BackendFactory;
import dev.iocp.core.backend.Backends;
import dev.iocp.core.backend.uring.IoUringBackend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The seed scenarios on io_uring, natively on Linux. */
@EnabledOnOs(value = OS.LINUX, disabledReason = "io_uring is Linux-only")
class IoUringSeedScenariosTest extends SeedScenariosTest {
    @BeforeAll
    static void requireIoUring() {
        assumeTrue(IoUringBackend.unavailableReason().isEmpty(),
                () -> "io_uring unavailable: " + IoUringBackend.unavailableReason().orElse(""));
    }

    @Override
    protected BackendFactory backendFactory() {
        return Backends.byName("io_uring");
    }
}
