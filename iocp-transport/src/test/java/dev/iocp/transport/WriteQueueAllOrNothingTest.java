package dev.iocp.transport;

import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.transport.testing.Peer;
import dev.iocp.transport.testing.ProtocolContract;
import dev.iocp.transport.testing.RecordingProtocol;
import dev.iocp.transport.testing.SimulatedEnv;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A write is all or nothing: running out of direct memory while copying a write into the queue (injected at the
 * queue's allocator) queues none of its bytes, and the connection ends with that cause instead of sending the
 * writes after it behind a hole.
 */
class WriteQueueAllOrNothingTest {
    private static final long T = 20_000;
    private final OutOfMemoryError injected = new OutOfMemoryError("Direct buffer memory (injected)");

    @AfterEach
    void restoreAllocator() {
        WriteQueue.directAllocator = ByteBuffer::allocateDirect;
    }

    /** Lets {@code allowed} more chunks be allocated, then fails every allocation. */
    private void allocatorFailingAfter(int allowed) {
        AtomicInteger left = new AtomicInteger(allowed);
        WriteQueue.directAllocator = size -> {
            if (left.getAndDecrement() <= 0) {
                throw injected;
            }
            return ByteBuffer.allocateDirect(size);
        };
    }

    @Test
    void aFailedAppendLeavesTheQueueAsItWas() {
        WriteQueue q = new WriteQueue();
        q.append(new byte[100], 0, 100);
        allocatorFailingAfter(2);
        byte[] big = new byte[5 * WriteQueue.CHUNK_SIZE];
        OutOfMemoryError e = assertThrows(OutOfMemoryError.class, () -> q.append(big, 0, big.length));
        assertSame(injected, e);
        assertEquals(100, q.size(), "none of the failed write's bytes are queued");
        q.append(new byte[] {1, 2, 3}, 0, 3); // fits in the tail chunk: no allocation needed
        assertEquals(103, q.size());
        q.discardAll();
    }

    @Test
    void aWriteFromAnotherThreadThatRunsOutOfDirectMemoryEndsTheConnectionWithThatCause() throws Exception {
        ProtocolContract.clearViolations();
        SimulatedEnv env = new SimulatedEnv();
        IocpEventLoopGroup group = env.newGroup(1);
        try {
            AtomicReference<RecordingProtocol> made = new AtomicReference<>();
            Server server = Transports.listen(group, env.bindAddress(), () -> {
                RecordingProtocol p = new RecordingProtocol();
                made.set(p);
                return p;
            }).get(T, TimeUnit.MILLISECONDS);
            SimulatedEnv.Sim peer = (SimulatedEnv.Sim) env.connectPeer(server.localAddress());
            dev.iocp.core.testing.LoopTesting.await("accepted", () -> made.get() != null);
            Transport t = made.get().transport();
            peer.receiveWindow(0); // the peer reads nothing yet: everything written stays queued
            byte[] first = "first".getBytes();
            t.write(first);
            t.loop().submit(() -> null).get(T, TimeUnit.MILLISECONDS);
            assertEquals(first.length, t.writeBufferSize());

            allocatorFailingAfter(3);
            byte[] big = new byte[1024 * 1024];
            java.util.concurrent.CountDownLatch loopHeld = new java.util.concurrent.CountDownLatch(1);
            t.loop().execute(() -> {
                try {
                    loopHeld.await(T, TimeUnit.MILLISECONDS); // the write's task waits behind this one
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            t.write(big); // off the loop: copied now, queued by a task on the loop, where it fails
            assertEquals(first.length + big.length, t.writeBufferSize(),
                    "writeBufferSize counts a write from the moment it was accepted");
            loopHeld.countDown();
            assertSame(injected, made.get().awaitLost(T));
            assertEquals(0, t.writeBufferSize());
            assertEquals(Peer.Ending.RESET, peer.awaitEnding(T));
            server.close().await(T);
            assertEquals(0, ((IocpEventLoop) group.next()).submit(((IocpEventLoop) group.next())::opsInUse)
                    .get(T, TimeUnit.MILLISECONDS));
            assertEquals(List.of(), ProtocolContract.violations());
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(T);
        }
    }
}
