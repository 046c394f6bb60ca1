package dev.iocp.core.backend.uring;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.BackendContractTest;
import dev.iocp.core.backend.Op;
import dev.iocp.core.testing.LoopTesting;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.BeforeAll;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The backend contract on io_uring, natively on Linux (skipped, with the reason, where io_uring can't run). */
class IoUringBackendContractTest extends BackendContractTest {
    private static final int POLLIN = 0x1;
    private static final long SYS_POLL = 7;

    @BeforeAll
    static void requireIoUring() {
        assumeTrue(IoUringBackend.unavailableReason().isEmpty(),
                () -> "io_uring unavailable: " + IoUringBackend.unavailableReason().orElse(""));
    }

    @Override
    protected Backend newBackend() throws Exception {
        return new IoUringBackend();
    }

    /**
     * poll(2), which consumes nothing, says the bytes are in the socket; the receive's SQE is still in our ring, and
     * the cancel's own submit flushes it first: it completes inline, and the cancel that follows finds nothing.
     */
    @Override
    protected void awaitCompletedInKernel(Op recv, long ourSocket) {
        long pfd = nativeBuffer(8); // struct pollfd { int fd; short events; short revents; }
        LoopTesting.await("the peer's bytes are in our socket", () -> {
            PlatformDependent.putInt(pfd, (int) ourSocket);
            PlatformDependent.putShort(pfd + 4, (short) POLLIN);
            PlatformDependent.putShort(pfd + 6, (short) 0);
            return LibC.syscall(SYS_POLL, pfd, 1, 0, 0, 0, 0) == 1
                    && (PlatformDependent.getShort(pfd + 6) & POLLIN) != 0;
        });
    }
}
