package dev.iocp.wintests;

import dev.iocp.core.backend.uring.IoUringBackend;
import dev.iocp.transport.testing.Peer;
import dev.iocp.transport.testing.SocketPeer;
import dev.iocp.transport.testing.TransportBehaviourTest;
import dev.iocp.transport.testing.TransportEnv;
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
class IoUringTransportTest extends TransportBehaviourTest {
    @BeforeAll
    static void requireIoUring() {
        assumeTrue(IoUringBackend.unavailableReason().isEmpty(),
                () -> "io_uring unavailable: " + IoUringBackend.unavailableReason().orElse(""));
        String chosen = System.getProperty(dev.iocp.core.backend.Backends.PROPERTY);
        assumeTrue(chosen == null || chosen.equals("io_uring"), () -> "iocp.backend=" + chosen + " overrides io_uring");
    }

    @Test
    void theSuiteRunsOnIoUring() {
        for (var e : group) {
            assertEquals("io_uring", ((IocpEventLoop) e).backend().name());
        }
    }

    @Override
    protected TransportEnv newEnv() {
        return new RealSocketEnv();
    }

    @Override
    protected void stopReading(Peer peer) {
        // A blocking socket that nobody reads from: the kernel buffers fill, then our sends stay pending.
    }

    @Override
    protected Peer.Drained drainWhileOpen(Accepted a, long expected) throws Exception {
        SocketPeer p = (SocketPeer) a.peer();
        byte[] got = p.readExactly((int) expected, T);
        return new Peer.Drained(got.length, Peer.Ending.NONE);
    }
}
