package dev.iocp.wintests;

import dev.iocp.core.backend.BackendFactory;
import dev.iocp.core.backend.Backends;
import dev.iocp.core.backend.uring.IoUringBackend;
import dev.iocp.transport.testing.AcceptFailureTest;
import dev.iocp.transport.testing.TransportEnv;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Accept failures injected into the io_uring backend over real loopback sockets, natively on Linux. */
@EnabledOnOs(value = OS.LINUX, disabledReason = "io_uring is Linux-only")
class IoUringAcceptFailureTest extends AcceptFailureTest {
    @BeforeAll
    static void requireIoUring() {
        assumeTrue(IoUringBackend.unavailableReason().isEmpty(),
                () -> "io_uring unavailable: " + IoUringBackend.unavailableReason().orElse(""));
    }

    @Override
    protected TransportEnv newEnv() {
        return new RealSocketEnv();
    }

    @Override
    protected BackendFactory backendFactory(TransportEnv env) {
        return Backends.byName("io_uring");
    }
}
