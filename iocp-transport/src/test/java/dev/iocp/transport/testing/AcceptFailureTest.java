package dev.iocp.transport.testing;

import dev.iocp.core.backend.BackendFactory;
import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.IoException;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.core.testing.FaultInjectingBackend;
import dev.iocp.core.testing.FaultInjectingBackend.Call;
import dev.iocp.core.testing.FaultInjectingBackend.Faults;
import dev.iocp.core.testing.ThreadCpu;
import dev.iocp.transport.Protocol;
import dev.iocp.transport.Server;
import dev.iocp.transport.Transport;
import dev.iocp.transport.TransportConfig;
import dev.iocp.transport.Transports;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static dev.iocp.core.testing.LoopTesting.assertOpsDrained;
import static dev.iocp.core.testing.LoopTesting.await;
import static dev.iocp.core.testing.LoopTesting.onLoop;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A listener under accept failures (a failed accept re-armed, running out of descriptors without spinning, one
 * owner for an accepted socket whose finishing failed), on any backend: the real backend runs under a
 * {@link FaultInjectingBackend} that fails chosen accept submits, accept packets or finishAccept calls with the
 * errors the operating system gives. Subclasses say which backend and which peers (simulated, io_uring natively,
 * Win32 under Wine).
 */
public abstract class AcceptFailureTest {
    protected static final long T = 20_000; // ms, the bound of every wait
    /** IocpServer's diagnostic knob: the first back-off delay; 0 turns the back-off off (the negative control). */
    public static final String RETRY_MIN_PROPERTY = "iocp.accept.retryMinMillis";
    /** The bound on the loop's CPU while every accept fails: generous, a spinning loop uses ~100 %. */
    public static final double IDLE_BOUND = 0.20;
    public static final long WINDOW_MS = 1_000;
    /** At most this many accept submits in a window with the back-off (4 slots, delays doubling from 10 ms: ~30). */
    public static final long BACKED_OFF_SUBMITS = 100;
    /** At least this many in a window without it: a spinning loop re-submits many thousands of times a second. */
    public static final long SPINNING_SUBMITS = 1_000;

    protected TransportEnv env;
    protected Faults faults;
    protected IocpEventLoopGroup group;
    protected IocpEventLoop loop;
    private final List<Server> servers = new ArrayList<>();
    private final List<Peer> peers = new ArrayList<>();

    protected abstract TransportEnv newEnv() throws Exception;

    /** The real backend the fault injector wraps. */
    protected abstract BackendFactory backendFactory(TransportEnv env);

    @BeforeEach
    void setUp() throws Exception {
        env = newEnv();
        faults = new Faults(7);
        group = new IocpEventLoopGroup(1, FaultInjectingBackend.wrap(backendFactory(env), faults));
        loop = group.next();
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            faults.clear();
            for (Peer p : peers) {
                p.close();
            }
            for (Server s : servers) {
                assertTrue(s.close().await(T), "server close future completed");
            }
            assertOpsDrained(loop);
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(T);
            env.close();
        }
    }

    /** Echoes; on the peer's EOF the transport flushes and closes. */
    public static final class Echo implements Protocol {
        private Transport transport;

        @Override
        public void connectionMade(Transport t) {
            transport = t;
        }

        @Override
        public void dataReceived(ByteBuffer data) {
            transport.write(data);
        }
    }

    protected Server listen(int pendingAccepts) throws Exception {
        Server s = Transports.listen(loop, env.bindAddress(), Echo::new, TransportConfig.DEFAULT, pendingAccepts)
                .get(T, TimeUnit.MILLISECONDS);
        servers.add(s);
        return s;
    }

    protected Peer connect(Server s) throws Exception {
        Peer p = env.connectPeer(s.localAddress());
        peers.add(p);
        return p;
    }

    /** A client the server closes (abortively) as soon as it comes: over real sockets even its connect may see the reset. */
    protected void connectAndSeeItClosed(Server s, String what) throws Exception {
        Peer p;
        try {
            p = connect(s);
        } catch (java.io.IOException reset) {
            return; // the RST overtook the end of connect(): closed, as it should be
        }
        assertNotEquals(Peer.Ending.NONE, p.awaitEnding(T), what);
    }

    /** The peer's bytes come back: the server accepted it and serves it. */
    protected static void assertEchoes(Peer p, String message) throws Exception {
        byte[] bytes = message.getBytes(StandardCharsets.US_ASCII);
        p.write(bytes);
        assertArrayEquals(bytes, p.readExactly(bytes.length, T), "echo of " + message);
    }

    private long loopThreadId() {
        return onLoop(loop, () -> Thread.currentThread().getId());
    }

    // ------------------------------------------------------------------------------------------ item 1

    @Test
    void everyAcceptSlotFailingToSubmitIsReArmedAndTheServerKeepsAccepting() throws Exception {
        // Three failures per slot: the listener used to release a slot for good on each, and accept nothing.
        faults.failNext(Call.SUBMIT_ACCEPT, ErrorCode.NO_BUFFERS, 6);
        Server s = listen(2);
        Peer p = connect(s);
        assertEchoes(p, "accepted after six failed submits");
        assertEquals(6, s.acceptErrors(), "accept errors counted");
        assertEquals(1, s.acceptedCount());
    }

    @Test
    void acceptErrorsAreReportedToTheHandlerOnTheLoopWhileTheServerKeepsGoing() throws Exception {
        Server s = listen(1);
        BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
        AtomicReference<Boolean> onLoopThread = new AtomicReference<>(true);
        s.onAcceptError(e -> {
            if (!loop.inEventLoop()) {
                onLoopThread.set(false);
            }
            errors.add(e);
        });
        faults.failNext(Call.SUBMIT_ACCEPT, ErrorCode.NO_DESCRIPTORS, 3); // the re-arm after the first accept fails
        assertEchoes(connect(s), "first");
        assertEchoes(connect(s), "second, after three failed re-arms");
        assertEquals(3, s.acceptErrors());
        assertEquals(3, errors.size());
        for (Throwable e : errors) {
            IoException w = assertInstanceOf(IoException.class, e);
            assertEquals(ErrorCode.NO_DESCRIPTORS, w.code());
            // Named as the backend names it: WSAEMFILE (10024) on Win32 and simulated, EMFILE (24) on io_uring.
            assertEquals("accept on " + s.localAddress() + ": " + IoError.describe(w.error()), w.getMessage());
            assertTrue(w.nativeName().endsWith("EMFILE"), w.getMessage());
        }
        assertTrue(onLoopThread.get(), "the handler runs on the listener's loop");
    }

    @Test
    void runningOutOfDescriptorsGivesUpTheSpareFirstAndAcceptsAtOnceWithoutBackOff() throws Exception {
        Server s = listen(1);
        long opensAfterListen = faults.calls(Call.OPEN_TCP_SOCKET); // the listener and its spare
        faults.failOnce(Call.ACCEPT_PACKET, ErrorCode.NO_DESCRIPTORS);
        connectAndSeeItClosed(s, "the connection whose accept failed");
        await("the accept error counted", () -> s.acceptErrors() == 1);
        List<Long> closed = faults.closeOrder();
        assertTrue(closed.size() >= 1, "the spare was closed: " + closed);
        // The slot was re-armed at once (no back-off timer): the next client is served, and the spare taken back.
        assertEchoes(connect(s), "served after the spare was given up");
        assertEquals(opensAfterListen + 1, faults.calls(Call.OPEN_TCP_SOCKET), "the spare was taken back once");
        assertEquals(1, s.acceptedCount());
    }

    @Test
    void whileStillOutOfDescriptorsAWaitingClientIsShedNotLeftHanging() throws Exception {
        Server s = listen(1);
        faults.failOnce(Call.ACCEPT_PACKET, ErrorCode.NO_DESCRIPTORS);
        connectAndSeeItClosed(s, "the connection whose accept failed");
        await("the accept error counted", () -> s.acceptErrors() == 1);
        // Still exhausted: the spare cannot be taken back, so the next accepted client is closed at once.
        faults.failOnce(Call.OPEN_TCP_SOCKET, ErrorCode.NO_DESCRIPTORS);
        connectAndSeeItClosed(s, "the client accepted while out of descriptors is shed");
        assertEquals(0, s.acceptedCount(), "a shed connection is not handed to a protocol");
        // The shed connection's descriptor became the spare again: the next client is served normally.
        assertEchoes(connect(s), "served once descriptors are back");
        assertEquals(1, s.acceptedCount());
    }

    @Test
    void aHandlerThatThrowsIsLoggedAndTheServerKeepsAccepting() throws Exception {
        Server s = listen(1);
        s.onAcceptError(e -> {
            throw new IllegalStateException("handler bug");
        });
        faults.failNext(Call.SUBMIT_ACCEPT, ErrorCode.NO_BUFFERS, 2);
        assertEchoes(connect(s), "first");
        assertEchoes(connect(s), "second");
        assertEquals(2, s.acceptErrors());
    }

    @Test
    void aResetBeforeAcceptOnSubmitIsSkippedAndReArmedAtOnce() throws Exception {
        faults.failOnce(Call.SUBMIT_ACCEPT, ErrorCode.RESET);
        Server s = listen(1);
        // listen's future completes in the loop task that armed the accepts: the retry has already been made, in
        // that same task (no back-off), and it is not an error of the server.
        assertEquals(2, faults.calls(Call.SUBMIT_ACCEPT), "submits: the failed one and its immediate retry");
        assertEquals(0, s.acceptErrors());
        assertEchoes(connect(s), "accepted");
    }

    @Test
    void aResetAcceptPacketIsSkippedItsSocketClosedOnceAndTheNextClientAccepted() throws Exception {
        Server s = listen(1);
        faults.failOnce(Call.ACCEPT_PACKET, ErrorCode.RESET);
        connectAndSeeItClosed(s, "the skipped connection is closed");
        List<Long> closed = faults.closeOrder();
        assertEquals(1, closed.size(), "closes: " + closed);
        assertEquals(1, faults.closes(closed.get(0)));
        assertEchoes(connect(s), "next");
        assertEquals(0, s.acceptErrors());
    }

    @Test
    void aNotConnectedAcceptPacketIsAClientGoneSkippedAndReArmedAtOnce() throws Exception {
        // Wine's AcceptEx says WSAENOTCONN for a connection reset in the backlog: not an error of the server (a
        // backlog of them, each parked behind the back-off, took 41 s to drain).
        Server s = listen(1);
        faults.failOnce(Call.ACCEPT_PACKET, ErrorCode.NOT_CONNECTED);
        connectAndSeeItClosed(s, "the connection whose accept said NOT_CONNECTED is closed");
        assertEchoes(connect(s), "next");
        assertEquals(0, s.acceptErrors());
    }

    // ------------------------------------------------------------------------------------------ item 9

    @Test
    void aFailedFinishAcceptClosesTheAcceptedSocketExactlyOnce() throws Exception {
        Server s = listen(1);
        BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
        s.onAcceptError(errors::add);
        faults.failOnce(Call.FINISH_ACCEPT, ErrorCode.INVALID_ARGUMENT);
        connectAndSeeItClosed(s, "the connection that could not be finished is closed");
        List<Long> closed = faults.closeOrder();
        assertEquals(1, closed.size(), "closes: " + closed);
        assertEquals(1, faults.closes(closed.get(0)), "the accepted socket is closed exactly once");
        // The handler runs after the count (the client may see the close before either): wait for it first.
        IoException w = assertInstanceOf(IoException.class, errors.poll(T, TimeUnit.MILLISECONDS));
        assertEquals(ErrorCode.INVALID_ARGUMENT, w.code());
        assertEquals(1, s.acceptErrors());
        assertEchoes(connect(s), "next");
        assertEquals(1, faults.closeOrder().size(), "nothing else closed: " + faults.closeOrder());
    }

    // ------------------------------------------------------------------------------------------ item 2

    /** What the loop did over one window while every accept failed. */
    private record Exhaustion(ThreadCpu.Sample cpu, long submits) {}

    /**
     * Every accept fails with NO_DESCRIPTORS (WSAEMFILE, EMFILE) while a client waits in the backlog; returns the loop's CPU and the accept
     * submits over a window. The submit count is the spin's signature on every backend: under Wine a spinning loop
     * spends much of each turn waiting on wineserver, so its own CPU can stay low while it re-submits thousands of
     * times a second (measured: 9 % CPU on a loaded machine).
     */
    private Exhaustion whileEveryAcceptFails(Server s, Peer waiting) throws Exception {
        long tid = loopThreadId();
        await("every slot failed at least once", () -> faults.injected(Call.SUBMIT_ACCEPT) >= 4);
        long submitsBefore = faults.calls(Call.SUBMIT_ACCEPT);
        long errorsBefore = s.acceptErrors();
        ThreadCpu.Sample sample = ThreadCpu.measure(tid, WINDOW_MS);
        long submits = faults.calls(Call.SUBMIT_ACCEPT) - submitsBefore;
        long errors = s.acceptErrors() - errorsBefore;
        System.out.printf("accept-exhaustion: backend=%s retryMinMillis=%s: loop CPU %s, %d accept submits and %d"
                        + " accept errors in the window%n", loop.backend().name(),
                System.getProperty(RETRY_MIN_PROPERTY, "default"), sample, submits, errors);
        return new Exhaustion(sample, submits);
    }

    @Test
    void descriptorExhaustionBacksOffInsteadOfSpinningAndAcceptingResumes() throws Exception {
        ThreadCpu.assumeSupported();
        faults.failAlways(Call.SUBMIT_ACCEPT, ErrorCode.NO_DESCRIPTORS);
        Server s = listen(4);
        Peer waiting = connect(s);
        Exhaustion e = whileEveryAcceptFails(s, waiting);
        assertTrue(e.cpu().fraction() < IDLE_BOUND, "loop CPU while every accept fails: " + e.cpu());
        assertTrue(e.submits() <= BACKED_OFF_SUBMITS, "accept submits in the window: " + e.submits());
        assertTrue(s.acceptErrors() >= 4, "accept errors counted: " + s.acceptErrors());
        faults.clear();
        assertEchoes(waiting, "accepted once descriptors are back");
        assertEquals(1, s.acceptedCount());
    }

    /** Negative control: the same check catches the loop spinning when the back-off is turned off. */
    @Test
    void withoutTheBackOffTheSameExhaustionSpinsTheLoop() throws Exception {
        ThreadCpu.assumeSupported();
        faults.failAlways(Call.SUBMIT_ACCEPT, ErrorCode.NO_DESCRIPTORS);
        Server s;
        System.setProperty(RETRY_MIN_PROPERTY, "0");
        try {
            s = listen(4);
        } finally {
            System.clearProperty(RETRY_MIN_PROPERTY);
        }
        Peer waiting = connect(s);
        System.setProperty(RETRY_MIN_PROPERTY, "0"); // for the printout only
        Exhaustion e;
        try {
            e = whileEveryAcceptFails(s, waiting);
        } finally {
            System.clearProperty(RETRY_MIN_PROPERTY);
        }
        assertTrue(e.submits() >= SPINNING_SUBMITS, "without back-off the loop should spin, but it submitted "
                + e.submits() + " accepts (" + e.cpu() + ")");
        faults.clear();
        assertEchoes(waiting, "accepted once descriptors are back");
    }

    // ------------------------------------------------------------------------------------------ close

    @Test
    void closingWhileEverySlotWaitsOutItsBackOffCompletesAndReleasesEveryOp() throws Exception {
        faults.failAlways(Call.SUBMIT_ACCEPT, ErrorCode.NO_BUFFERS);
        Server s = listen(3);
        await("every slot failed", () -> faults.injected(Call.SUBMIT_ACCEPT) >= 3);
        Future<Void> closed = s.close();
        assertTrue(closed.await(T) && closed.isSuccess(), "close future");
        assertEquals(0, (int) onLoop(loop, loop::opsInUse), "ops held after close");
    }

    @Test
    void aHandlerMayCloseTheServer() throws Exception {
        Server s = listen(2);
        AtomicReference<Future<Void>> closedByHandler = new AtomicReference<>();
        s.onAcceptError(e -> closedByHandler.compareAndSet(null, s.close()));
        faults.failAlways(Call.SUBMIT_ACCEPT, ErrorCode.NO_BUFFERS);
        assertEchoes(connect(s), "accepted; its re-arm fails and the handler closes the server");
        await("the handler closed the server", () -> closedByHandler.get() != null);
        Future<Void> closed = closedByHandler.get();
        assertTrue(closed.await(T) && closed.isSuccess(), "close future");
        for (Peer p : peers) {
            p.close();
        }
        // The connection ends (the peer's FIN) and releases its ops; the server's slots are released already.
        await("every op released", () -> onLoop(loop, loop::opsInUse) == 0);
    }
}
