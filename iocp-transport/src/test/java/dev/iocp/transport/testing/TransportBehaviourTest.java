package dev.iocp.transport.testing;

import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoException;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.transport.CloseTimeoutException;
import dev.iocp.transport.ConnectionResetException;
import dev.iocp.transport.Server;
import dev.iocp.transport.Transport;
import dev.iocp.transport.TransportClosedException;
import dev.iocp.transport.TransportConfig;
import dev.iocp.transport.Transports;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static dev.iocp.core.testing.LoopTesting.assertOpsDrained;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Transport behaviour that must hold on every backend: run on the simulated backend on any JVM, and on real
 * loopback sockets (Win32 under Wine / on Windows) by a subclass in win-tests. Each test asserts the exact bytes and
 * callbacks the protocol saw, and that every op of the loop drained.
 */
public abstract class TransportBehaviourTest {
    protected static final long T = 20_000; // ms, the bound of every wait

    protected TransportEnv env;
    protected IocpEventLoopGroup group;
    protected final List<Server> servers = new ArrayList<>();

    protected abstract TransportEnv newEnv() throws Exception;

    /**
     * How this backend names a peer's reset met by a pending receive: the native name and number, never another
     * OS's. Win32 and the simulated backend (which simulates Windows) say WSAECONNRESET; io_uring overrides.
     */
    protected String peerResetIsNamed() {
        return "Connection reset by peer (WSAECONNRESET 10054)";
    }

    @BeforeEach
    void setUpEnv() throws Exception {
        ProtocolContract.clearViolations();
        env = newEnv();
        group = env.newGroup(2);
    }

    @AfterEach
    void tearDownEnv() throws Exception {
        if (!group.isShuttingDown()) {
            for (Server s : servers) {
                s.close().await(T);
            }
            for (var e : group) {
                assertOpsDrained((IocpEventLoop) e);
            }
        }
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(T);
        assertTrue(group.isTerminated());
        env.close();
        assertEquals(List.of(), ProtocolContract.violations(), "Protocol contract violations");
    }

    /** A server whose connections get protocols from {@code factory}; returns its address. */
    protected InetSocketAddress serve(Supplier<RecordingProtocol> factory, TransportConfig config) throws Exception {
        Server server = Transports.listen(group, env.bindAddress(), factory, config, 4).get(T, TimeUnit.MILLISECONDS);
        servers.add(server);
        return server.localAddress();
    }

    /** One accepted connection: the peer (test side) and the protocol of ours that serves it. */
    protected record Accepted(Peer peer, RecordingProtocol protocol) {
        Transport transport() {
            return protocol.transport();
        }
    }

    protected Accepted accept(TransportConfig config) throws Exception {
        AtomicReference<RecordingProtocol> created = new AtomicReference<>();
        InetSocketAddress address = serve(() -> {
            RecordingProtocol p = new RecordingProtocol();
            created.set(p);
            return p;
        }, config);
        Peer peer = env.connectPeer(address);
        dev.iocp.core.testing.LoopTesting.await("server protocol created", () -> created.get() != null);
        RecordingProtocol p = created.get();
        p.transport();
        return new Accepted(peer, p);
    }

    protected Accepted accept() throws Exception {
        return accept(TransportConfig.DEFAULT);
    }

    protected static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    protected static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    // ------------------------------------------------------------------------------------------------ echo

    @Test
    void echoesBytesInOrderAndEndsCleanlyOnThePeersClose() throws Exception {
        Accepted a = accept();
        a.protocol().echo = true;
        byte[] msg = pattern(100_000, 7);
        a.peer().write(msg);
        assertArrayEquals(msg, a.peer().readExactly(msg.length, T));
        a.peer().close();
        assertNull(a.protocol().awaitLost(T), "a peer's FIN then our close is a clean end");
        assertEquals(List.of("made"), a.protocol().events().subList(0, 1));
        assertTrue(a.protocol().events().contains("eof"), "FIN is eofReceived, not an error");
        assertEquals(1, a.protocol().lostCalls());
        assertNull(a.protocol().wrongThread(), "callbacks run on the loop thread");
        assertTrue(a.transport().closeFuture().await(T));
    }

    @Test
    void connectDeliversConnectionMadeAndEchoesBack() throws Exception {
        try (TransportEnv.PeerServer ps = env.listenPeer()) {
            RecordingProtocol client = new RecordingProtocol();
            Transport t = Transports.connect(group.next(), ps.address(), client).get(T, TimeUnit.MILLISECONDS);
            Peer peer = ps.accept(T);
            assertSame(t, client.transport());
            t.write(ascii("ping"));
            assertArrayEquals(ascii("ping"), peer.readExactly(4, T));
            peer.write(ascii("pong"));
            client.awaitReceived(4, T);
            assertArrayEquals(ascii("pong"), client.received());
            assertEquals(ps.address().getPort(), t.remoteAddress().getPort());
            t.close();
            assertEquals(Peer.Ending.FIN, peer.awaitEnding(T));
            peer.close(); // the lingering close ends at the peer's FIN
            assertNull(client.awaitLost(T));
        }
    }

    @Test
    void connectToAPortNobodyListensOnFailsWithANamedError() throws Exception {
        InetSocketAddress closed;
        try (TransportEnv.PeerServer ps = env.listenPeer()) {
            closed = ps.address();
        }
        ExecutionException e = assertThrows(ExecutionException.class, () ->
                Transports.connect(group.next(), closed, new RecordingProtocol()).get(T, TimeUnit.MILLISECONDS));
        IoException w = assertInstanceOf(IoException.class, e.getCause());
        assertEquals(ErrorCode.REFUSED, w.code());
        assertTrue(w.getMessage().startsWith("connect to "), w.getMessage());
        assertTrue(w.nativeName().endsWith("CONNREFUSED"), w.getMessage()); // WSAECONNREFUSED, ECONNREFUSED
    }

    // ------------------------------------------------------------------------------------------------ read side

    @Test
    void pausedReadingDeliversNothingAndResumeDeliversEverythingInOrder() throws Exception {
        Accepted a = accept();
        Transport t = a.transport();
        a.peer().write(ascii("before "));
        a.protocol().awaitReceived(7, T);
        t.pauseReading();
        assertFalse(isReadingOnLoop(t));
        a.peer().write(ascii("while paused "));
        a.peer().write(ascii("and more"));
        // Prove nothing is delivered while paused: a round trip through the loop, then look.
        t.loop().submit(() -> null).get(T, TimeUnit.MILLISECONDS);
        assertEquals(7, a.protocol().receivedCount(), "nothing delivered while paused");
        t.resumeReading();
        a.protocol().awaitReceived(7 + 13 + 8, T);
        assertEquals("before while paused and more", new String(a.protocol().received(), StandardCharsets.US_ASCII));
        closeAndAwaitCleanEnd(a);
    }

    @Test
    void pauseInsideDataReceivedThenResumeFromAnotherThread() throws Exception {
        Accepted a = accept();
        java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
        a.protocol().onData = data -> {
            if (first.getAndSet(false)) {
                a.transport().pauseReading();
            }
        };
        a.peer().write(ascii("first"));
        a.protocol().awaitReceived(5, T);
        dev.iocp.core.testing.LoopTesting.await("paused by the callback", () -> {
            try {
                return !isReadingOnLoop(a.transport());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        a.peer().write(ascii("second"));
        a.transport().loop().submit(() -> null).get(T, TimeUnit.MILLISECONDS);
        assertEquals(5, a.protocol().receivedCount(), "paused from inside dataReceived");
        Thread foreign = new Thread(a.transport()::resumeReading, "foreign-resumer");
        foreign.start();
        foreign.join();
        a.protocol().awaitReceived(11, T);
        assertEquals("firstsecond", new String(a.protocol().received(), StandardCharsets.US_ASCII));
        a.transport().abort();
        assertNull(a.protocol().awaitLost(T), "our own abort: no error cause");
    }

    @Test
    void pauseResumePauseInOneLoopTickLosesNothing() throws Exception {
        Accepted a = accept();
        Transport t = a.transport();
        t.loop().submit(() -> {
            t.pauseReading();
            t.resumeReading();
            t.pauseReading();
        }).get(T, TimeUnit.MILLISECONDS);
        a.peer().write(ascii("held"));
        t.loop().submit(() -> null).get(T, TimeUnit.MILLISECONDS);
        assertEquals(0, a.protocol().receivedCount());
        t.resumeReading();
        a.protocol().awaitReceived(4, T);
        assertArrayEquals(ascii("held"), a.protocol().received());
        closeAndAwaitCleanEnd(a);
    }

    @Test
    void eofArrivingWhilePausedIsDeliveredAfterTheDataOnResume() throws Exception {
        Accepted a = accept();
        Transport t = a.transport();
        t.pauseReading();
        t.loop().submit(() -> null).get(T, TimeUnit.MILLISECONDS);
        a.peer().write(ascii("last words"));
        a.peer().shutdownOutput();
        t.resumeReading();
        a.protocol().awaitEvent("lost", T);
        List<String> ev = a.protocol().events();
        assertTrue(ev.indexOf("eof") > ev.indexOf("data:10") || ev.lastIndexOf("eof") > 0, ev.toString());
        assertEquals("last words", new String(a.protocol().received(), StandardCharsets.US_ASCII));
        assertEquals("eof", ev.get(ev.size() - 2), "EOF after all data: " + ev);
        assertNull(a.protocol().awaitLost(T));
    }

    @Test
    void halfCloseFromThePeerKeepsOurWriteSideOpen() throws Exception {
        Accepted a = accept();
        a.protocol().keepOpenOnEof = true;
        a.protocol().onEof = () -> {
            a.transport().write(ascii("reply after your FIN"));
            a.transport().close();
        };
        a.peer().write(ascii("request"));
        a.peer().shutdownOutput();
        assertArrayEquals(ascii("reply after your FIN"), a.peer().readExactly(20, T));
        assertEquals(Peer.Ending.FIN, a.peer().awaitEnding(T));
        assertNull(a.protocol().awaitLost(T));
    }

    @Test
    void writeEofHalfClosesOurSideWhileReadingGoesOn() throws Exception {
        Accepted a = accept();
        Transport t = a.transport();
        t.write(ascii("all I have"));
        t.writeEof();
        assertThrows(TransportClosedException.class, () -> t.write(ascii("x")), "write after writeEof");
        assertArrayEquals(ascii("all I have"), a.peer().readExactly(10, T));
        assertEquals(Peer.Ending.FIN, a.peer().awaitEnding(T));
        a.peer().write(ascii("still listening?"));
        a.protocol().awaitReceived(16, T);
        a.peer().close();
        assertNull(a.protocol().awaitLost(T));
    }

    // ------------------------------------------------------------------------------------------------ endings

    @Test
    void closeFlushesQueuedBytesThenSendsFin() throws Exception {
        Accepted a = accept();
        byte[] big = pattern(2 * 1024 * 1024, 3);
        a.transport().write(big);
        a.transport().close();
        assertTrue(a.transport().isClosing());
        assertThrows(TransportClosedException.class, () -> a.transport().write(ascii("late")));
        assertArrayEquals(big, a.peer().readExactly(big.length, T));
        assertEquals(Peer.Ending.FIN, a.peer().awaitEnding(T));
        assertFalse(a.protocol().lostCause.isDone(), "a graceful close lingers until the peer's FIN");
        a.peer().close();
        assertNull(a.protocol().awaitLost(T));
    }

    @Test
    void abortDiscardsQueuedWritesAndResetsThePeer() throws Exception {
        Accepted a = accept();
        a.transport().write(pattern(4 * 1024 * 1024, 1));
        a.transport().abort();
        assertPeerSawAbort(a.peer().drainToEnd(T).ending(), "abort is RST, not FIN");
        assertNull(a.protocol().awaitLost(T));
        assertEquals(0, a.transport().writeBufferSize());
    }

    @Test
    void anAbortIsSeenAsAResetByAPeerWithAReceivePending() throws Exception {
        // Both ends are ours here: the client's receive is always pending while it reads, which is what any
        // platform (Wine 8 included) needs to report an RST as such. Close, by contrast, is a clean EOF.
        List<RecordingProtocol> servers = new ArrayList<>();
        InetSocketAddress address = serve(() -> {
            RecordingProtocol p = new RecordingProtocol();
            synchronized (servers) {
                servers.add(p);
            }
            return p;
        }, TransportConfig.DEFAULT);
        RecordingProtocol aborted = new RecordingProtocol();
        RecordingProtocol closed = new RecordingProtocol();
        Transports.connect(group.next(), address, aborted).get(T, TimeUnit.MILLISECONDS);
        Transports.connect(group.next(), address, closed).get(T, TimeUnit.MILLISECONDS);
        dev.iocp.core.testing.LoopTesting.await("both accepted", () -> {
            synchronized (servers) {
                return servers.size() == 2;
            }
        });
        // Tell the two server-side connections apart by their peer's port.
        int abortedPort = aborted.transport().localAddress().getPort();
        for (RecordingProtocol s : servers) {
            Transport st = s.transport();
            if (st.remoteAddress().getPort() == abortedPort) {
                st.abort();
            } else {
                st.close();
            }
        }
        assertInstanceOf(ConnectionResetException.class, aborted.awaitLost(T), "abort() is an RST at the peer");
        assertNull(closed.awaitLost(T), "close() is a clean EOF at the peer");
        assertTrue(closed.events().contains("eof"));
        assertFalse(aborted.events().contains("eof"));
    }

    @Test
    void aPeerResetIsReportedAsConnectionResetNotEof() throws Exception {
        Accepted a = accept();
        a.peer().write(ascii("x"));
        a.protocol().awaitReceived(1, T);
        // The test thread wakes inside dataReceived; a task behind it runs once the callback returned and the next
        // receive was armed — so the RST meets a pending receive (under Wine one not yet pending reads EOF).
        a.transport().loop().submit(() -> null).get(T, TimeUnit.MILLISECONDS);
        a.peer().reset();
        Throwable cause = a.protocol().awaitLost(T);
        ConnectionResetException reset = assertInstanceOf(ConnectionResetException.class, cause);
        assertEquals(ErrorCode.RESET, reset.code());
        assertEquals("connection reset by peer during receive: " + peerResetIsNamed(), reset.getMessage());
        assertFalse(a.protocol().events().contains("eof"), "a reset is not an EOF");
        // A write racing with the unseen reset is discarded, not thrown.
        a.transport().write(ascii("into the void"));
    }

    @Test
    void aGracefulCloseThatCannotFlushHitsItsDeadlineAndAborts() throws Exception {
        Accepted a = accept(TransportConfig.DEFAULT.withCloseTimeoutMillis(300));
        stopReading(a.peer());
        Transport t = a.transport();
        fillUntilPaused(a);
        t.close();
        Throwable cause = a.protocol().awaitLost(T);
        assertInstanceOf(CloseTimeoutException.class, cause);
        assertPeerSawAbort(a.peer().drainToEnd(T).ending(), "a close past its deadline is an abort");
    }

    @Test
    void aWriterFacingAPeerThatStoppedReadingIsToldToPauseAndResumedWhenItReads() throws Exception {
        Accepted a = accept();
        stopReading(a.peer());
        long written = fillUntilPaused(a);
        assertTrue(a.protocol().events().contains("pauseWriting"));
        assertTrue(a.transport().writeBufferSize() > a.transport().writeBufferHigh());
        // The peer reads again: everything arrives, in order, and the writer is resumed.
        Peer.Drained drained = drainWhileOpen(a, written);
        assertEquals(written, drained.bytes());
        a.protocol().awaitEvent("resumeWriting", T);
        closeAndAwaitCleanEnd(a);
    }

    @Test
    void aThrowingCallbackAbortsOnlyItsOwnConnection() throws Exception {
        List<RecordingProtocol> made = new ArrayList<>();
        InetSocketAddress address = serve(() -> {
            RecordingProtocol p = new RecordingProtocol();
            p.echo = true;
            synchronized (made) {
                made.add(p);
            }
            return p;
        }, TransportConfig.DEFAULT);
        Peer good = env.connectPeer(address);
        Peer bad = env.connectPeer(address);
        dev.iocp.core.testing.LoopTesting.await("two connections", () -> {
            synchronized (made) {
                return made.size() == 2;
            }
        });
        good.write(ascii("hello"));
        assertArrayEquals(ascii("hello"), good.readExactly(5, T));
        RecordingProtocol badProtocol;
        synchronized (made) {
            badProtocol = made.get(0).receivedCount() == 5 ? made.get(1) : made.get(0);
        }
        IllegalStateException boom = new IllegalStateException("protocol bug");
        badProtocol.onData = d -> {
            throw boom;
        };
        bad.write(ascii("trigger"));
        assertSame(boom, badProtocol.awaitLost(T), "the callback's exception is the cause");
        assertPeerSawAbort(bad.drainToEnd(T).ending(), "the peer of the failed connection sees RST");
        good.write(ascii("still echoing"));
        assertArrayEquals(ascii("still echoing"), good.readExactly(13, T));
        good.close();
    }

    @Test
    void callerMistakesThrowClearTypedErrors() throws Exception {
        Accepted a = accept();
        Transport t = a.transport();
        assertThrows(NullPointerException.class, () -> t.write((byte[]) null));
        assertThrows(IndexOutOfBoundsException.class, () -> t.write(new byte[4], 2, 3));
        assertThrows(IllegalArgumentException.class, () -> t.setWriteBufferLimits(10, 20));
        assertThrows(IllegalArgumentException.class, () -> TransportConfig.DEFAULT.withWriteBufferLimits(-1, -2));
        t.close();
        TransportClosedException e = assertThrows(TransportClosedException.class, () -> t.write(ascii("x")));
        assertTrue(e.getMessage().contains("close()"), e.getMessage());
        assertEquals(Peer.Ending.FIN, a.peer().awaitEnding(T));
        a.peer().close();
        assertNull(a.protocol().awaitLost(T));
    }

    @Test
    void callsOnATransportWhoseLoopIsShutDownSaySo() throws Exception {
        Accepted a = accept();
        Transport t = a.transport();
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(T);
        Throwable cause = a.protocol().awaitLost(T);
        assertTrue(cause != null && cause.getMessage().contains("shut down"), String.valueOf(cause));
        TransportClosedException e = assertThrows(TransportClosedException.class, t::pauseReading);
        assertTrue(e.getMessage().contains("event loop"), e.getMessage());
        t.close(); // idempotent: the connection is already gone
        t.abort();
        a.peer().drainToEnd(T);
    }

    @Test
    void closingAServerStopsAcceptingAndLeavesItsConnectionsAlone() throws Exception {
        Accepted a = accept();
        a.protocol().echo = true;
        Server server = servers.get(0);
        assertTrue(server.close().await(T), "server closed once its accepts returned");
        InetSocketAddress address = server.localAddress();
        assertThrows(Exception.class, () -> {
            Peer p = env.connectPeer(address);
            // Some stacks accept the SYN in the backlog of a closing listener; then the first read must fail.
            p.write(ascii("?"));
            p.readExactly(1, 2000);
        });
        a.peer().write(ascii("alive"));
        assertArrayEquals(ascii("alive"), a.peer().readExactly(5, T));
        closeAndAwaitCleanEnd(a);
    }

    @Test
    void aGroupServerSpreadsConnectionsOverItsLoopsAndALoopServerKeepsThemOnItsLoop() throws Exception {
        List<RecordingProtocol> spread = new ArrayList<>();
        InetSocketAddress groupAddress = serve(() -> {
            RecordingProtocol p = new RecordingProtocol();
            synchronized (spread) {
                spread.add(p);
            }
            return p;
        }, TransportConfig.DEFAULT);
        IocpEventLoop only = group.next();
        List<RecordingProtocol> pinned = new ArrayList<>();
        Server loopServer = Transports.listen(only, env.bindAddress(), () -> {
            RecordingProtocol p = new RecordingProtocol();
            synchronized (pinned) {
                pinned.add(p);
            }
            return p;
        }, TransportConfig.DEFAULT, 2).get(T, TimeUnit.MILLISECONDS);
        servers.add(loopServer);
        List<Peer> peers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            peers.add(env.connectPeer(groupAddress));
            peers.add(env.connectPeer(loopServer.localAddress()));
        }
        dev.iocp.core.testing.LoopTesting.await("8 connections made", () -> {
            synchronized (spread) {
                synchronized (pinned) {
                    return spread.size() == 4 && pinned.size() == 4
                            && spread.stream().allMatch(p -> p.made.isDone())
                            && pinned.stream().allMatch(p -> p.made.isDone());
                }
            }
        });
        java.util.Set<IocpEventLoop> spreadLoops = new java.util.HashSet<>();
        spread.forEach(p -> spreadLoops.add(p.transport().loop()));
        assertEquals(2, spreadLoops.size(), "round-robin over the group's 2 loops");
        pinned.forEach(p -> assertSame(only, p.transport().loop(), "a loop's server keeps connections on it"));
        for (Peer p : peers) {
            p.close();
        }
    }

    @Test
    void manyConnectionsAtOnceEachEchoTheirOwnBytes() throws Exception {
        InetSocketAddress address = serve(() -> {
            RecordingProtocol p = new RecordingProtocol();
            p.echo = true;
            return p;
        }, TransportConfig.DEFAULT);
        List<Peer> peers = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            peers.add(env.connectPeer(address));
        }
        for (int i = 0; i < peers.size(); i++) {
            peers.get(i).write(pattern(1000, i));
        }
        for (int i = 0; i < peers.size(); i++) {
            assertArrayEquals(pattern(1000, i), peers.get(i).readExactly(1000, T), "connection " + i);
        }
        for (Peer p : peers) {
            p.close();
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    // ------------------------------------------- failure handling: closes from callbacks, bad addresses, shutdown

    /**
     * The peer pipelined a request while we were paused; we answer 1 MiB and close. Closing with the peer's bytes
     * unread would make our kernel send RST and the peer's kernel drop the part of the answer it had not read yet
     * (RFC 2525 §2.17). The lingering close must leave the peer everything we sent, then FIN, and end cleanly once
     * the peer closes.
     */
    @Test
    void aGracefulCloseWithThePeersPipelinedBytesUnreadStillGivesThePeerEverythingThenFin() throws Exception {
        Accepted a = accept();
        a.protocol().onData = data -> a.transport().pauseReading(); // paused from the first request on
        a.peer().write(ascii("GET /1\n"));
        a.protocol().awaitReceived(7, T);
        a.peer().write(pattern(96 * 1024, 5)); // pipelined behind it: never read by us
        byte[] response = pattern(1024 * 1024, 9);
        a.transport().write(response);
        a.transport().close();
        assertArrayEquals(response, a.peer().readExactly(response.length, T),
                "the peer must read every byte we flushed");
        assertEquals(Peer.Ending.FIN, a.peer().awaitEnding(T), "a graceful close is a FIN for the peer too");
        a.peer().close();
        assertNull(a.protocol().awaitLost(T));
        assertEquals(7, a.protocol().receivedCount(), "nothing is delivered after close()");
    }

    /** close() inside eofReceived (the common case) and inside connectionMade: connectionLost comes later. */
    @Test
    void connectionLostNeverRunsInsideTheCallbackThatClosed() throws Exception {
        Accepted a = accept();
        a.protocol().onEof = () -> a.transport().close();
        a.peer().shutdownOutput();
        assertEquals(Peer.Ending.FIN, a.peer().awaitEnding(T));
        assertNull(a.protocol().awaitLost(T));

        RecordingProtocol abortsAtOnce = new RecordingProtocol();
        abortsAtOnce.onMade = Transport::abort;
        InetSocketAddress address = serve(() -> abortsAtOnce, TransportConfig.DEFAULT);
        Peer.Ending ending;
        try {
            Peer peer = env.connectPeer(address);
            ending = peer.drainToEnd(T).ending();
        } catch (java.net.SocketException e) {
            ending = Peer.Ending.RESET; // the RST can beat the peer's connect() to its return
        }
        assertNull(abortsAtOnce.awaitLost(T));
        assertPeerSawAbort(ending, "abort inside connectionMade");
        assertEquals(List.of("made", "lost:null"), abortsAtOnce.events());
        assertEquals(List.of(), ProtocolContract.violations());
    }

    /** One connection's callback aborts another on the same loop: the other's connectionLost is not nested. */
    @Test
    void abortingAnotherConnectionFromACallbackDoesNotNestItsConnectionLost() throws Exception {
        IocpEventLoop loop = (IocpEventLoop) group.next();
        List<RecordingProtocol> made = new java.util.concurrent.CopyOnWriteArrayList<>();
        Server server = Transports.listen(loop, env.bindAddress(), () -> {
            RecordingProtocol p = new RecordingProtocol();
            made.add(p);
            return p;
        }, TransportConfig.DEFAULT, 2).get(T, TimeUnit.MILLISECONDS);
        servers.add(server);
        Peer first = env.connectPeer(server.localAddress());
        dev.iocp.core.testing.LoopTesting.await("first accepted", () -> made.size() == 1);
        Transport victim = made.get(0).transport();
        Peer second = env.connectPeer(server.localAddress());
        dev.iocp.core.testing.LoopTesting.await("second accepted", () -> made.size() == 2);
        made.get(1).transport();
        made.get(1).onData = data -> victim.abort(); // on the loop, inside the second one's dataReceived
        second.write(ascii("x"));
        assertNull(made.get(0).awaitLost(T));
        assertPeerSawAbort(first.drainToEnd(T).ending(), "the victim was aborted");
        assertEquals(List.of(), ProtocolContract.violations());
        second.close();
    }

    /** pause/resume inside connectionMade: one receive is armed, not two (the second used to throw). */
    @Test
    void pausingAndResumingInsideConnectionMadeArmsOneReceive() throws Exception {
        RecordingProtocol client = new RecordingProtocol();
        client.onMade = t -> {
            t.pauseReading();
            t.resumeReading();
        };
        try (TransportEnv.PeerServer ps = env.listenPeer()) {
            Transport t = Transports.connect((IocpEventLoop) group.next(), ps.address(), client)
                    .get(T, TimeUnit.MILLISECONDS);
            Peer peer = ps.accept(T);
            peer.write(ascii("hello"));
            client.awaitReceived(5, T);
            assertArrayEquals(ascii("hello"), client.received());
            t.close();
            assertEquals(Peer.Ending.FIN, peer.awaitEnding(T));
            peer.close();
            assertNull(client.awaitLost(T));
        }
    }

    @Test
    void listenOnAnUnresolvedAddressFailsAtOnce() {
        assertThrows(IllegalArgumentException.class, () -> Transports.listen(group,
                InetSocketAddress.createUnresolved("no-such-host.invalid", 0), RecordingProtocol::new));
    }

    /**
     * A loop shutting down with a connect in flight (to a loopback listener whose accept queue is full, so the SYN
     * goes unanswered) fails the connect's future promptly with a LoopShutdownException and terminates without
     * waiting for the kernel to give up on the connect. (The simulated network answers a connect at once: there,
     * LoopShutdownTest holds the packet instead.)
     */
    @Test
    void shutdownWithAConnectInFlightFailsItsFuturePromptlyAndTerminates() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(env instanceof SimulatedEnv, "see LoopShutdownTest");
        try (java.net.ServerSocket full = new java.net.ServerSocket(0, 1, dev.iocp.core.testing.LoopTesting.LOOPBACK_V4)) {
            List<java.net.Socket> queued = new ArrayList<>();
            try {
                for (int i = 0; i < 16; i++) { // fill the accept queue until a connect is left unanswered
                    java.net.Socket s = new java.net.Socket();
                    try {
                        s.connect(full.getLocalSocketAddress(), 500);
                        queued.add(s);
                    } catch (java.net.SocketTimeoutException e) {
                        s.close();
                        break;
                    }
                }
                RecordingProtocol p = new RecordingProtocol();
                io.netty.util.concurrent.Future<Transport> connecting = Transports.connect((IocpEventLoop) group.next(),
                        (InetSocketAddress) full.getLocalSocketAddress(), p);
                org.junit.jupiter.api.Assumptions.assumeFalse(connecting.await(300),
                        "this stack answered a connect to a full accept queue: " + connecting.cause());
                group.shutdownGracefully(0, 5, TimeUnit.SECONDS);
                assertTrue(connecting.await(T), "the connect future completes at shutdown");
                assertInstanceOf(dev.iocp.transport.LoopShutdownException.class, connecting.cause());
                assertTrue(group.terminationFuture().await(T), "the loop terminates without waiting for the kernel");
                assertEquals(List.of(), p.events());
            } finally {
                for (java.net.Socket s : queued) {
                    s.close();
                }
            }
        }
    }

    /** Our graceful close, seen through: the peer reads FIN, closes in turn, and the close ends cleanly. */
    protected void closeAndAwaitCleanEnd(Accepted a) throws Exception {
        a.transport().close();
        assertEquals(Peer.Ending.FIN, a.peer().awaitEnding(T));
        a.peer().close();
        assertNull(a.protocol().awaitLost(T));
    }

    /** Asserts how a peer saw our abort: a reset (a FIN only where {@code Platform.abortMayReachThePeerAsFin()}). */
    protected void assertPeerSawAbort(Peer.Ending ending, String what) {
        if (ending == Peer.Ending.FIN && dev.iocp.core.testing.Platform.abortMayReachThePeerAsFin()) {
            System.out.println("[wine] " + what + ": the peer read a FIN for our abort (Wine fact 9)");
            return;
        }
        assertEquals(Peer.Ending.RESET, ending, what);
    }

    protected static boolean isReadingOnLoop(Transport t) throws Exception {
        return t.loop().submit(t::isReading).get(T, TimeUnit.MILLISECONDS);
    }

    /** Makes the peer stop reading (how depends on the environment). */
    protected abstract void stopReading(Peer peer) throws Exception;

    /**
     * Writes 64 KiB at a time until the transport has called pauseWriting and holds at least 1 MiB it cannot hand to
     * the kernel (so the kernel's own buffers are full too, not just filling); bounded; returns bytes written.
     */
    protected long fillUntilPaused(Accepted a) throws Exception {
        // Small kernel buffers on our side, so "the kernel is full" comes quickly and stays true.
        a.transport().setOption(dev.iocp.core.backend.SocketOpt.SO_SNDBUF, 32 * 1024);
        byte[] chunk = pattern(64 * 1024, 9);
        long written = 0;
        for (int i = 0; i < 4096; i++) {
            boolean paused = a.transport().loop().submit(() -> a.protocol().events().contains("pauseWriting")
                    && a.transport().writeBufferSize() >= 1024 * 1024).get(T, TimeUnit.MILLISECONDS);
            if (paused) {
                return written;
            }
            a.transport().write(chunk);
            written += chunk.length;
        }
        throw new AssertionError("no pauseWriting after " + written + " bytes to a peer that doesn't read");
    }

    /** Lets the peer read again and reads {@code expected} bytes. */
    protected abstract Peer.Drained drainWhileOpen(Accepted a, long expected) throws Exception;
}
