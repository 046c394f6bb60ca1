package dev.iocp.wintests;

import dev.iocp.core.backend.uring.IoUringBackend;
import dev.iocp.core.loop.IocpEventLoop;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The transport behaviour suite on the io_uring backend over real loopback sockets, natively on Linux.
 * {@link RealSocketEnv} takes {@code Backends.defaultFactory()}, which is io_uring on Linux (unless
 * {@code -Diocp.backend} says otherwise). Where io_uring cannot run, the whole class is skipped with the reason.
 */
@EnabledOnOs(value = OS.LINUX, disabledReason = "io_uring is Linux-only")
class IoUringTransportTest extends RealSocketTransportTest {
    @BeforeAll
    static void requireIoUring() {
        assumeTrue(IoUringBackend.unavailableReason().isEmpty(),
                () -> "io_uring unavailable: " + IoUringBackend.unavailableReason().orElse(""));
        String chosen = System.getProperty(dev.iocp.core.backend.Backends.PROPERTY);
        assumeTrue(chosen == null || chosen.equals("io_uring"), () -> "iocp.backend=" + chosen + " overrides io_uring");
    }

    /**
     * Linux's own name, not a Win32 one: before the error vocabulary the errno was translated into Win32 numbers and
     * this read {@code WSAECONNRESET (10054)} (checked by hand once against that translation: the suite's reset case
     * failed with exactly that message).
     */
    @Override
    protected String peerResetIsNamed() {
        return "Connection reset by peer (ECONNRESET 104)";
    }

    @Test
    void theSuiteRunsOnIoUring() {
        for (var e : group) {
            assertEquals("io_uring", ((IocpEventLoop) e).backend().name());
        }
    }
}
