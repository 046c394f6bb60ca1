package dev.iocp.wintests;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.InlineCompletionContractTest;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpSlab;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.backend.win32.Win32Backend;
import dev.iocp.core.backend.win32.Win32Slot;
import dev.iocp.core.testing.LoopTesting;
import dev.iocp.core.testing.WindowsOnly;
import dev.iocp.core.win32.Kernel32;
import dev.iocp.core.win32.Wine;
import dev.iocp.core.win32.Ws2_32;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.Test;

import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The inline-completion contract on Win32 in skip-on-success mode (FILE_SKIP_COMPLETION_PORT_ON_SUCCESS), under
 * Wine or on Windows, plus what only Win32 shows: the provider check, the mode off, and a socket refused the mode
 * in a backend that has it (fault injection). Prints what it measured ({@code skip-mode:} lines).
 */
@WindowsOnly
class Win32InlineCompletionTest extends InlineCompletionContractTest {
    private Win32Backend win32() {
        return (Win32Backend) backend;
    }

    @Override
    protected Backend newBackend() throws Exception {
        return new Win32Backend(8, true);
    }

    @Override
    protected long inlineCompletions() {
        return win32().inlineCompletions();
    }

    @Override
    protected int inlineCompletionsWaiting() {
        return win32().inlineCompletionsWaiting();
    }

    @Override
    protected long portReads() {
        return win32().portReads();
    }

    @Override
    protected void awaitBytesWaiting(long socket, int n) {
        LoopTesting.await(n + " bytes waiting in the socket", () -> {
            try {
                return backend.bytesAvailable(socket) >= n;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    @Override
    protected void awaitCompletedInKernel(Op op) {
        LoopTesting.await("the op has completed in the kernel", () -> {
            VarHandle.fullFence(); // written from outside the JVM: read it fresh every time
            return Win32Slot.status(op) != Kernel32.STATUS_PENDING;
        });
    }

    /** Results of {@link #awaitPacket}'s polls, for ops whose packet came while waiting for another's. */
    private final Map<Op, int[]> results = new HashMap<>();

    /**
     * A registered socket is in the mode exactly when its provider makes IFS handles (under Wine it does: Wine fact
     * 15), so every socket the backend registers here is in the mode.
     */
    @Test
    void theTcpProviderMakesIfsHandlesAndRegisteredSocketsAreInTheMode() throws Exception {
        for (boolean ipv6 : new boolean[] {false, true}) {
            long s;
            try {
                s = backend.openTcpSocket(ipv6);
            } catch (Exception e) {
                System.out.println("skip-mode: no " + (ipv6 ? "IPv6" : "IPv4") + " socket here: " + e.getMessage());
                continue;
            }
            long info = PlatformDependent.allocateMemory(Ws2_32.WSAPROTOCOL_INFOW_SIZE + 8);
            try {
                PlatformDependent.putInt(info + Ws2_32.WSAPROTOCOL_INFOW_SIZE, Ws2_32.WSAPROTOCOL_INFOW_SIZE);
                int r = Ws2_32.getsockopt(s, Ws2_32.SOL_SOCKET, Ws2_32.SO_PROTOCOL_INFOW, info,
                        info + Ws2_32.WSAPROTOCOL_INFOW_SIZE);
                assertEquals(0, r, "getsockopt(SO_PROTOCOL_INFOW)");
                int flags = PlatformDependent.getInt(info);
                System.out.printf("skip-mode: %s TCP socket: dwServiceFlags1=0x%08x (XP1_IFS_HANDLES %s), in the mode:"
                                + " %s%s%n", ipv6 ? "IPv6" : "IPv4", flags,
                        (flags & Ws2_32.XP1_IFS_HANDLES) != 0 ? "set" : "not set", win32().skipsPortOnSuccess(s),
                        Wine.underWine() ? " (Wine)" : "");
                // The mode follows the provider: on iff its handles are IFS handles (a non-IFS LSP keeps it off).
                assertEquals((flags & Ws2_32.XP1_IFS_HANDLES) != 0, win32().skipsPortOnSuccess(s));
                if (Wine.underWine()) {
                    assertTrue((flags & Ws2_32.XP1_IFS_HANDLES) != 0, "Wine's TCP provider makes IFS handles");
                }
            } finally {
                PlatformDependent.freeMemory(info);
                backend.close(s, true);
            }
        }
    }

    /** Off: an immediate success is a port packet, as before the mode existed. */
    @Test
    void withTheModeOffASendThatSucceedsAtOnceStillComesThroughThePort() throws Exception {
        try (Win32Backend off = new Win32Backend(8, false)) {
            assertFalse(off.skipCompletionPortOnSuccess());
            Pair p = pair(off, () -> {});
            long buf = PlatformDependent.allocateMemory(5);
            Op s = p.slab.acquire().prepare(OpType.SEND, p.client, (op, b, e) -> {}).addBuffer(buf, 5);
            assertEquals(0, off.submitSend(s));
            int[] got = awaitPacket(off, p.slab, s);
            assertEquals(IoError.SUCCESS, got[1]);
            assertEquals(5, got[0]);
            assertEquals(0, off.inlineCompletions(), "nothing completes inline with the mode off");
            p.close(off);
            s.release();
            p.slab.close();
            PlatformDependent.freeMemory(buf);
        }
    }

    /**
     * Fault injection: a socket refused the mode (as if SetFileCompletionNotificationModes had failed, or its
     * provider were a non-IFS LSP) in a backend that has it. Its ops complete through the port while the other
     * sockets' complete inline, each exactly once: the per-socket flag decides at each submit.
     */
    @Test
    void aSocketRefusedTheModeCompletesThroughThePortBesideSocketsInTheMode() throws Exception {
        Set<Long> refused = new HashSet<>();
        boolean[] refuseNext = {false};
        try (Win32Backend mixed = new Win32Backend(8, true, s -> {
            if (refuseNext[0]) {
                refused.add(s);
                refuseNext[0] = false;
                return true;
            }
            return false;
        })) {
            Pair p = pair(mixed, () -> {});
            refuseNext[0] = true;
            long portOnly = mixed.openTcpSocket(false);
            assertTrue(refused.contains(portOnly));
            assertFalse(mixed.skipsPortOnSuccess(portOnly));
            assertTrue(mixed.skipsPortOnSuccess(p.client));
            mixed.close(portOnly, true);
            // The refused socket's value may come back for the next socket: registering rewrites its flag.
            long again = mixed.openTcpSocket(false);
            assertTrue(mixed.skipsPortOnSuccess(again), "a socket registered normally is in the mode, whatever"
                    + " socket its handle value belonged to before");
            mixed.close(again, true);

            // Now a connected socket refused the mode: the accepted side, registered while refusing.
            Pair q = pair(mixed, () -> refuseNext[0] = true);
            assertFalse(mixed.skipsPortOnSuccess(q.server));
            long buf = PlatformDependent.allocateMemory(4);
            Op viaPort = q.slab.acquire().prepare(OpType.SEND, q.server, (op, b, e) -> {}).addBuffer(buf, 4);
            Op inline = q.slab.acquire().prepare(OpType.SEND, q.client, (op, b, e) -> {}).addBuffer(buf, 4);
            long inlineBefore = mixed.inlineCompletions();
            assertEquals(0, mixed.submitSend(viaPort));
            assertEquals(inlineBefore, mixed.inlineCompletions(), "the refused socket's send is not inline");
            assertEquals(0, mixed.submitSend(inline));
            assertEquals(inlineBefore + 1, mixed.inlineCompletions(), "the other socket's send is inline");
            int[] a = awaitPacket(mixed, q.slab, viaPort);
            int[] b = awaitPacket(mixed, q.slab, inline);
            assertEquals(4, a[0]);
            assertEquals(4, b[0]);
            // Exactly once each: nothing more comes.
            List<Op> extra = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                mixed.poll(q.slab, (op, n, e) -> {
                    op.markCompleted();
                    extra.add(op);
                }, TimeUnit.MILLISECONDS.toNanos(30));
            }
            assertTrue(extra.isEmpty(), "no second packet: " + extra);
            viaPort.release();
            inline.release();
            q.close(mixed);
            p.close(mixed);
            q.slab.close();
            p.slab.close();
            PlatformDependent.freeMemory(buf);
        }
    }

    /**
     * An AcceptEx submitted when the connection already waits in the backlog, and a ConnectEx: whether each completes
     * inline is the OS's choice (printed: a measurement), and either way each yields exactly one packet.
     */
    @Test
    void anAcceptWithItsConnectionWaitingAndAConnectEachYieldOnePacketInlineOrNot() throws Exception {
        Win32Backend b = win32();
        OpSlab slab = new OpSlab();
        long l = b.openTcpSocket(false);
        b.bind(l, new InetSocketAddress(LoopTesting.LOOPBACK_V4, 0));
        b.listen(l, 4);
        long c = b.openTcpSocket(false);
        Op connect = slab.acquire().prepare(OpType.CONNECT, c, (op, n, e) -> {});
        long before = b.inlineCompletions();
        assertEquals(0, b.submitConnect(connect, b.localAddress(l)));
        boolean connectInline = b.inlineCompletions() > before;
        assertEquals(IoError.SUCCESS, awaitPacket(b, slab, connect)[1]); // the listener's backlog took it
        b.finishConnect(connect);
        Op accept = slab.acquire().prepare(OpType.ACCEPT, l, (op, n, e) -> {});
        before = b.inlineCompletions();
        assertEquals(0, b.submitAccept(accept));
        boolean acceptInline = b.inlineCompletions() > before;
        assertEquals(IoError.SUCCESS, awaitPacket(b, slab, accept)[1]);
        long s = b.finishAccept(accept);
        b.register(s);
        assertEquals(b.localAddress(c), b.remoteAddress(s));
        for (int i = 0; i < 3; i++) {
            b.poll(slab, (op, n, e) -> {
                op.markCompleted();
                throw new AssertionError("a second packet for " + op);
            }, TimeUnit.MILLISECONDS.toNanos(20));
        }
        System.out.printf("skip-mode: ConnectEx to a listener completed %s; AcceptEx with the connection waiting"
                + " completed %s%s%n", connectInline ? "inline" : "through the port",
                acceptInline ? "inline" : "through the port", Wine.underWine() ? " (Wine)" : "");
        b.close(s, true);
        b.close(c, true);
        b.close(l, false);
        accept.release();
        connect.release();
        slab.close();
    }

    // ------------------------------------------------------------------------------- helpers on a given backend

    private record Pair(OpSlab slab, long listener, long server, long client) {
        void close(Backend b) {
            b.close(client, true);
            b.close(server, true);
            b.close(listener, false);
        }
    }

    /** A connected pair; {@code beforeRegisteringServer} runs just before the accepted socket is registered. */
    private Pair pair(Win32Backend b, Runnable beforeRegisteringServer) throws Exception {
        OpSlab slab = new OpSlab();
        long l = b.openTcpSocket(false);
        b.bind(l, new InetSocketAddress(LoopTesting.LOOPBACK_V4, 0));
        b.listen(l, 4);
        Op accept = slab.acquire().prepare(OpType.ACCEPT, l, (op, n, e) -> {});
        assertEquals(0, b.submitAccept(accept));
        long c = b.openTcpSocket(false);
        Op connect = slab.acquire().prepare(OpType.CONNECT, c, (op, n, e) -> {});
        assertEquals(0, b.submitConnect(connect, b.localAddress(l)));
        assertEquals(IoError.SUCCESS, awaitPacket(b, slab, connect)[1]);
        b.finishConnect(connect);
        assertEquals(IoError.SUCCESS, awaitPacket(b, slab, accept)[1]);
        long s = b.finishAccept(accept);
        beforeRegisteringServer.run();
        b.register(s);
        accept.release();
        connect.release();
        return new Pair(slab, l, s, c);
    }

    private int[] awaitPacket(Backend b, OpSlab slab, Op op) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!results.containsKey(op)) {
            assertTrue(System.nanoTime() < deadline, "no packet for " + op);
            b.poll(slab, (o, n, e) -> {
                o.markCompleted();
                assertTrue(results.put(o, new int[] {n, e}) == null, "a second packet for " + o);
            }, TimeUnit.MILLISECONDS.toNanos(100));
        }
        return results.remove(op);
    }
}
