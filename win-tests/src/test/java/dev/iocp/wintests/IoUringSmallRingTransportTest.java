package dev.iocp.wintests;

import dev.iocp.core.backend.uring.IoUringBackend;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.transport.testing.TransportEnv;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The transport behaviour suite natively on io_uring with a provided-buffer ring of 2 buffers of 4 KiB per loop:
 * large messages take many receives, and two busy connections (or one held receive and one being delivered) empty
 * the ring, so the kernel's ENOBUFS and the fall-back to readiness receives happen all the time on a real kernel.
 * Every test still sees every byte in order, and every buffer back in its ring at the end (the tear-down's check).
 */
class IoUringSmallRingTransportTest extends IoUringTransportTest {
    @BeforeAll
    static void requireARing() throws Exception {
        try (IoUringBackend b = IoUringBackend.withProvidedBuffers(2, 4096)) {
            assumeTrue(b.providedBuffers() != null, "the kernel has no provided-buffer rings (Linux < 5.19)");
        }
    }

    @Override
    protected TransportEnv newEnv() {
        return new RealSocketEnv(() -> IoUringBackend.withProvidedBuffers(2, 4096), "io_uring, 2 x 4 KiB ring");
    }

    /**
     * The kernel's ENOBUFS through the transport: A's receive is armed while the ring has buffers; B's protocol then
     * keeps both (retained); A's bytes arrive to an empty ring, the kernel fails A's receive with ENOBUFS having
     * consumed nothing, and A takes them with a readiness receive.
     */
    @Test
    void aReceiveThatFindsTheRingEmptyFallsBackToReadinessAndLosesNothing() throws Exception {
        dev.iocp.transport.TransportConfig one = dev.iocp.transport.TransportConfig.DEFAULT
                .withReceiveMode(dev.iocp.transport.ReceiveMode.PROVIDED);
        group.shutdownGracefully(0, 5, java.util.concurrent.TimeUnit.SECONDS).await(T);
        group = env.newGroup(1); // both connections on one loop, one ring
        Accepted a = accept(one);
        Accepted b = accept(one);
        java.util.List<dev.iocp.transport.RetainedBuffer> kept = new java.util.concurrent.CopyOnWriteArrayList<>();
        b.protocol().onData = d -> kept.add(b.protocol().transport().retainReceived());
        b.peer().write(ascii("one"));
        b.protocol().awaitReceived(3, T);
        b.peer().write(ascii("two"));
        b.protocol().awaitReceived(6, T);
        IocpEventLoop loop = (IocpEventLoop) a.protocol().transport().loop();
        assertEquals(2, (int) dev.iocp.core.testing.LoopTesting.onLoop(loop,
                () -> loop.backend().providedBuffers().outstanding()), "B keeps the whole ring");
        a.peer().write(ascii("ay"));
        a.protocol().awaitReceived(2, T);
        assertEquals("ay", new String(a.protocol().received(), java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(1L, (long) dev.iocp.core.testing.LoopTesting.onLoop(loop,
                () -> a.protocol().transport().counters().noProvidedBuffer()), "the kernel answered ENOBUFS once");
        b.protocol().onData = null;
        for (dev.iocp.transport.RetainedBuffer r : kept) {
            r.release();
        }
        a.protocol().transport().close();
        b.protocol().transport().close();
        a.peer().close();
        b.peer().close();
        a.protocol().awaitEvent("lost", T);
        b.protocol().awaitEvent("lost", T);
    }

    @Test
    void theLoopsHaveTheSmallRing() {
        for (var e : group) {
            assertEquals(2, dev.iocp.core.testing.LoopTesting.onLoop((IocpEventLoop) e,
                    () -> ((IocpEventLoop) e).backend().providedBuffers().count()));
        }
    }
}
