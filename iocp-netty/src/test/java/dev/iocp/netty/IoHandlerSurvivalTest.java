package dev.iocp.netty;

import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.backend.sim.SimulatedBackend;
import dev.iocp.core.backend.sim.SimulatedNetwork;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A handle that throws an Error on its completion (a stack overflow, a class that cannot be initialised, no memory)
 * has its channel closed; the Netty loop driving {@link IocpIoHandler} carries on: later tasks run.
 */
class IoHandlerSurvivalTest {
    private static final long T = 20;
    private final SimulatedNetwork net = new SimulatedNetwork();
    private final MultiThreadIoEventLoopGroup group =
            new MultiThreadIoEventLoopGroup(1, IocpIoHandler.newFactory(() -> new SimulatedBackend(net)));

    @AfterEach
    void stop() throws Exception {
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(T, TimeUnit.SECONDS);
    }

    /** Throws what it is given on its first event; records its close. */
    static final class ThrowingHandle implements IocpIoHandle {
        final Supplier<Error> error;
        final CountDownLatch closed = new CountDownLatch(1);
        volatile int events;

        ThrowingHandle(Supplier<Error> error) {
            this.error = error;
        }

        @Override
        public void handle(IoRegistration registration, IoEvent ioEvent) {
            events++;
            throw error.get();
        }

        @Override
        public void close() {
            closed.countDown();
        }
    }

    private static int recurse(int depth) {
        return recurse(depth + 1) + 1;
    }

    private void survives(Supplier<Error> error) throws Exception {
        IoEventLoop loop = group.next();
        ThrowingHandle handle = new ThrowingHandle(error);
        IocpIoRegistration registration = loop.register(handle).get(T, TimeUnit.SECONDS).attachment();
        SimulatedNetwork.PeerListener listener =
                net.listenPeer(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0));
        long socket = loop.submit(() -> {
            long s = registration.backend().openTcpSocket(false);
            Op op = registration.newOp(OpType.CONNECT, s);
            assertEquals(0, registration.submit(op, listener.address()));
            return s;
        }).get(T, TimeUnit.SECONDS);
        assertTrue(handle.closed.await(T, TimeUnit.SECONDS), "the throwing handle's channel was closed");
        assertEquals(1, handle.events);
        assertEquals("still serving", loop.submit(() -> "still serving").get(T, TimeUnit.SECONDS));
        loop.submit(() -> registration.backend().close(socket, true)).get(T, TimeUnit.SECONDS);
        listener.close();
    }

    @Test
    void aHandleThatOverflowsItsStackIsClosedAndTheLoopCarriesOn() throws Exception {
        survives(() -> {
            try {
                recurse(0);
            } catch (StackOverflowError e) {
                return e;
            }
            throw new AssertionError("no overflow");
        });
    }

    @Test
    void aHandleThatHitsAFailedClassInitialisationIsClosedAndTheLoopCarriesOn() throws Exception {
        survives(() -> new NoClassDefFoundError("Could not initialize class sun.util.calendar.ZoneInfoFile"));
    }

    @Test
    void aHandleThatRunsOutOfMemoryIsClosedAndTheLoopCarriesOn() throws Exception {
        survives(() -> new OutOfMemoryError("Direct buffer memory"));
    }
}
