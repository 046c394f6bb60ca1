package dev.iocp.transport;

import dev.iocp.core.backend.sim.SimPeer;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.core.testing.LoopTesting;
import dev.iocp.transport.testing.SimulatedEnv;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The ownership APIs (no copy for a large echo): {@code writeOwned} sends from the caller's buffer in place and
 * releases it
 * exactly once, after its last byte was confirmed or when the queue is discarded; {@code retainReceived} keeps the
 * received buffer for the protocol, so an echo of a large message copies nothing, and every byte still arrives in
 * order.
 */
class OwnedBuffersTest {
    private static final long T = 20_000;
    private SimulatedEnv env;
    private IocpEventLoopGroup group;
    private Server server;
    private final BlockingQueue<Transport> accepted = new ArrayBlockingQueue<>(4);

    @BeforeEach
    void setUp() {
        env = new SimulatedEnv();
        group = env.newGroup(1);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (server != null) {
            server.close().await(T);
        }
        LoopTesting.assertOpsDrained((IocpEventLoop) group.next());
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(T);
    }

    /** An echo's common part: hands its transport to the test, stays open on the peer's EOF. */
    private abstract class EchoBase implements Protocol {
        Transport t;

        @Override
        public void connectionMade(Transport transport) {
            t = transport;
            accepted.add(transport);
        }

        @Override
        public boolean eofReceived() {
            return false;
        }
    }

    /** Keeps every received buffer and writes it back owned; counts the releases. */
    private final class ZeroCopyEcho extends EchoBase {
        final AtomicInteger released = new AtomicInteger();

        @Override
        public void dataReceived(ByteBuffer data) {
            RetainedBuffer kept = t.retainReceived();
            t.writeOwned(kept.buffer(), () -> {
                released.incrementAndGet();
                kept.release();
            });
        }
    }

    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 7 + (i >> 9));
        }
        return b;
    }

    @ParameterizedTest
    @EnumSource(ReceiveMode.class)
    void aZeroCopyEchoReturnsEveryByteInOrderAndReleasesEveryBuffer(ReceiveMode mode) throws Exception {
        ZeroCopyEcho echo = new ZeroCopyEcho();
        server = Transports.listen(group, env.bindAddress(), () -> echo, TransportConfig.DEFAULT.withReceiveMode(mode)
                .withReceiveBufferSize(4096), 1).get(T, TimeUnit.MILLISECONDS);
        SimPeer peer = env.network().connectPeer(server.localAddress());
        Transport t = accepted.poll(T, TimeUnit.MILLISECONDS);
        assertNotNull(t);
        byte[] data = pattern(300_000); // many receives of 4 KiB, each kept and written back from where it landed
        peer.write(data);
        assertArrayEquals(data, peer.readExactly(data.length, T, TimeUnit.MILLISECONDS));
        LoopTesting.await("every owned write released", () -> t.writeBufferSize() == 0
                && LoopTesting.onLoop(t.loop(), () -> ((IocpConnection) t).keptMemory()[2]) == 0);
        peer.close();
        t.closeFuture().await(T);
        org.junit.jupiter.api.Assertions.assertTrue(echo.released.get() >= data.length / 4096,
                "one release per kept buffer: " + echo.released.get());
    }

    @Test
    void anOwnedBufferIsReleasedOnceAfterItsSendAndOnceWhenDiscardedByAbort() throws Exception {
        server = Transports.listen(group, env.bindAddress(), () -> new ZeroCopyEcho(), TransportConfig.DEFAULT, 1)
                .get(T, TimeUnit.MILLISECONDS);
        SimPeer peer = env.network().connectPeer(server.localAddress());
        Transport t = accepted.poll(T, TimeUnit.MILLISECONDS);
        assertNotNull(t);
        ByteBuffer owned = ByteBuffer.allocateDirect(100);
        owned.put(pattern(100)).flip();
        AtomicInteger releases = new AtomicInteger();
        int beforePacket = LoopTesting.onLoop(t.loop(), () -> {
            t.writeOwned(owned, releases::incrementAndGet);
            return releases.get(); // the send is in flight: the kernel reads the buffer now
        });
        assertEquals(0, beforePacket, "not released while its send is in flight");
        assertArrayEquals(pattern(100), peer.readExactly(100, T, TimeUnit.MILLISECONDS));
        LoopTesting.await("released after the send's packet", () -> releases.get() == 1);

        // A peer that does not read: the next owned write stays queued; abort discards it and releases it.
        peer.receiveWindow(0);
        ByteBuffer stuck = ByteBuffer.allocateDirect(64 * 1024);
        AtomicInteger stuckReleases = new AtomicInteger();
        LoopTesting.onLoop(t.loop(), () -> t.writeOwned(stuck, stuckReleases::incrementAndGet));
        t.abort();
        t.closeFuture().await(T);
        assertEquals(1, stuckReleases.get(), "released exactly once when the queue is discarded");
        assertEquals(1, releases.get());
        assertThrows(TransportClosedException.class, () -> t.writeOwned(ByteBuffer.allocateDirect(1), () -> { }));
    }

    /** Writes every received buffer back with {@code writeReceived}: no handle, the transport gives it back. */
    private final class WriteReceivedEcho extends EchoBase {
        final AtomicInteger refusedSecondRetain = new AtomicInteger();

        @Override
        public void dataReceived(ByteBuffer data) {
            t.writeReceived();
            try {
                t.writeReceived();
            } catch (IllegalStateException expected) {
                refusedSecondRetain.incrementAndGet(); // one buffer, one owner
            }
        }
    }

    /** The buffers writeReceived queued and the pool/ring has not got back yet, read on the loop. */
    private static int buffersOut(Transport t) {
        try {
            return LoopTesting.onLoop(t.loop(), () -> ((IocpConnection) t).writtenReceivedOutstanding());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest
    @EnumSource(ReceiveMode.class)
    void writeReceivedEchoesEveryByteInOrderAndGivesEveryBufferBack(ReceiveMode mode) throws Exception {
        WriteReceivedEcho echo = new WriteReceivedEcho();
        server = Transports.listen(group, env.bindAddress(), () -> echo, TransportConfig.DEFAULT.withReceiveMode(mode)
                .withReceiveBufferSize(4096), 1).get(T, TimeUnit.MILLISECONDS);
        SimPeer peer = env.network().connectPeer(server.localAddress());
        Transport t = accepted.poll(T, TimeUnit.MILLISECONDS);
        assertNotNull(t);
        byte[] data = pattern(300_000);
        peer.write(data);
        assertArrayEquals(data, peer.readExactly(data.length, T, TimeUnit.MILLISECONDS));
        LoopTesting.await("every buffer back", () -> t.writeBufferSize() == 0 && buffersOut(t) == 0);
        org.junit.jupiter.api.Assertions.assertTrue(echo.refusedSecondRetain.get() >= data.length / 4096,
                "a second writeReceived in one dataReceived is refused: " + echo.refusedSecondRetain.get());
        peer.close();
        t.closeFuture().await(T);
    }

    /** A peer that stops reading: buffers pile up in the queue; abort discards them and every one goes back. */
    @ParameterizedTest
    @EnumSource(ReceiveMode.class)
    void buffersQueuedByWriteReceivedGoBackWhenAbortDiscardsThem(ReceiveMode mode) throws Exception {
        server = Transports.listen(group, env.bindAddress(), WriteReceivedEcho::new,
                TransportConfig.DEFAULT.withReceiveMode(mode).withReceiveBufferSize(4096), 1)
                .get(T, TimeUnit.MILLISECONDS);
        SimPeer peer = env.network().connectPeer(server.localAddress());
        Transport t = accepted.poll(T, TimeUnit.MILLISECONDS);
        assertNotNull(t);
        peer.receiveWindow(0);
        peer.write(pattern(40_000)); // ~10 receives, each buffer queued behind a send that cannot progress
        LoopTesting.await("buffers queued", () -> buffersOut(t) >= 3);
        t.abort();
        t.closeFuture().await(T);
        LoopTesting.await("every buffer back after the discard", () -> buffersOut(t) == 0);
    }

    @Test
    void writeReceivedOutsideDataReceivedIsRefused() throws Exception {
        server = Transports.listen(group, env.bindAddress(), WriteReceivedEcho::new, TransportConfig.DEFAULT, 1)
                .get(T, TimeUnit.MILLISECONDS);
        SimPeer peer = env.network().connectPeer(server.localAddress());
        Transport t = accepted.poll(T, TimeUnit.MILLISECONDS);
        assertNotNull(t);
        assertThrows(IllegalStateException.class, () -> LoopTesting.onLoop(t.loop(), () -> {
            t.writeReceived();
            return null;
        }));
        peer.close();
    }

    @Test
    void retainReceivedOutsideDataReceivedAndHeapBuffersAreRefused() throws Exception {
        server = Transports.listen(group, env.bindAddress(), () -> new ZeroCopyEcho(), TransportConfig.DEFAULT, 1)
                .get(T, TimeUnit.MILLISECONDS);
        SimPeer peer = env.network().connectPeer(server.localAddress());
        Transport t = accepted.poll(T, TimeUnit.MILLISECONDS);
        assertNotNull(t);
        assertThrows(IllegalStateException.class, () -> LoopTesting.onLoop(t.loop(), () -> {
            return t.retainReceived();
        }));
        assertThrows(IllegalArgumentException.class, () -> t.writeOwned(ByteBuffer.allocate(4), () -> { }));
        peer.close();
    }
}
