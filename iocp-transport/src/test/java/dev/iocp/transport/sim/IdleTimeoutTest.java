package dev.iocp.transport.sim;

import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.transport.IdleTimeoutException;
import dev.iocp.transport.Transport;
import dev.iocp.transport.TransportConfig;
import dev.iocp.transport.Transports;
import dev.iocp.transport.testing.Peer;
import dev.iocp.transport.testing.RecordingProtocol;
import dev.iocp.transport.testing.SimulatedEnv;
import dev.iocp.transport.testing.TransportEnv;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A silent peer (gone without a FIN or RST, as behind a black hole) does not hold its connection forever when an
 * idle timeout is set: the connection is aborted with an {@link IdleTimeoutException}; without one it stays open.
 */
class IdleTimeoutTest {
    private static final long T = 20_000;
    private SimulatedEnv env;
    private IocpEventLoopGroup group;
    private IocpEventLoop loop;

    @BeforeEach
    void start() {
        env = new SimulatedEnv();
        group = env.newGroup(1);
        loop = group.next();
    }

    @AfterEach
    void stop() throws Exception {
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(T);
    }

    @Test
    void aSilentPeerIsAbortedAfterTheIdleTimeoutWhileAnotherWithoutOneStaysOpen() throws Exception {
        try (TransportEnv.PeerServer ps = env.listenPeer()) {
            RecordingProtocol withTimeout = new RecordingProtocol();
            RecordingProtocol without = new RecordingProtocol();
            // The one without a timeout connects first: when the other is aborted, it has been silent longer.
            Transport open = Transports.connect(loop, ps.address(), without,
                    TransportConfig.DEFAULT.withIdleTimeoutMillis(0)).get(T, TimeUnit.MILLISECONDS);
            Peer silentToo = ps.accept(T);
            Transports.connect(loop, ps.address(), withTimeout, TransportConfig.DEFAULT.withIdleTimeoutMillis(200))
                    .get(T, TimeUnit.MILLISECONDS);
            Peer silent = ps.accept(T);
            Throwable cause = withTimeout.lostCause.get(T, TimeUnit.MILLISECONDS);
            IdleTimeoutException idle = assertInstanceOf(IdleTimeoutException.class, cause);
            assertEquals(200, idle.idleTimeoutMillis());
            assertNotEquals(Peer.Ending.NONE, silent.awaitEnding(T), "the peer sees the abort");
            assertFalse(without.lostCause.isDone(), "the connection without an idle timeout is still open");
            assertFalse(open.isClosing());
            silentToo.close();
        }
    }

    @Test
    void activityPostponesTheIdleTimeout() throws Exception {
        try (TransportEnv.PeerServer ps = env.listenPeer()) {
            RecordingProtocol p = new RecordingProtocol();
            p.echo = true;
            long timeout = 300;
            Transports.connect(loop, ps.address(), p, TransportConfig.DEFAULT.withIdleTimeoutMillis(timeout))
                    .get(T, TimeUnit.MILLISECONDS);
            Peer peer = ps.accept(T);
            // Echo exchanges for three timeouts; each one is activity. The connection must survive all of them as
            // long as no gap between two reached the timeout — a gap is measured, and the assertion skipped if the
            // machine stalled that long (no timing assertion: only what the measured gaps imply).
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3 * timeout);
            long longestGap = 0;
            long last = System.nanoTime();
            while (System.nanoTime() < end) {
                peer.write(new byte[] {1});
                peer.readExactly(1, T);
                long now = System.nanoTime();
                longestGap = Math.max(longestGap, now - last);
                last = now;
                Thread.sleep(timeout / 6);
            }
            if (TimeUnit.NANOSECONDS.toMillis(longestGap) < timeout / 2) {
                assertFalse(p.lostCause.isDone(), "aborted although active: " + p.lostCause.getNow(null));
            }
            // Then silence: the timeout ends it.
            assertInstanceOf(IdleTimeoutException.class, p.lostCause.get(T, TimeUnit.MILLISECONDS));
            assertTrue(peer.awaitEnding(T) != Peer.Ending.NONE);
        }
    }
}
