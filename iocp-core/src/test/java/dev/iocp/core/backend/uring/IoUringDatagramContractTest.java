package dev.iocp.core.backend.uring;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.DatagramContractTest;
import org.junit.jupiter.api.BeforeAll;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The datagram contract on io_uring, natively on Linux (skipped, with the reason, where io_uring can't run). */
class IoUringDatagramContractTest extends DatagramContractTest {
    @BeforeAll
    static void requireIoUring() {
        assumeTrue(IoUringBackend.unavailableReason().isEmpty(),
                () -> "io_uring unavailable: " + IoUringBackend.unavailableReason().orElse(""));
    }

    @Override
    protected Backend newBackend() throws Exception {
        return new IoUringBackend();
    }
}
