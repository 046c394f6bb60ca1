package dev.iocp.wintests.tls;

import dev.iocp.core.backend.uring.IoUringBackend;
import dev.iocp.transport.TlsBehaviourTest;
import dev.iocp.transport.testing.TransportEnv;
import dev.iocp.wintests.RealSocketEnv;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The TLS suite over real loopback sockets on io_uring, natively on Linux. */
@EnabledOnOs(value = OS.LINUX, disabledReason = "io_uring is Linux-only")
class IoUringTlsTest extends TlsBehaviourTest {
    @BeforeAll
    static void requireIoUring() {
        assumeTrue(IoUringBackend.unavailableReason().isEmpty(),
                () -> "io_uring unavailable: " + IoUringBackend.unavailableReason().orElse(""));
    }

    @Override
    protected TransportEnv newEnv() {
        return new RealSocketEnv();
    }
}
