package dev.iocp.wintests;

import dev.iocp.core.backend.CompletionHandler;
import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoException;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpSlab;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.backend.SocketOpt;
import dev.iocp.core.backend.win32.Win32Backend;
import dev.iocp.core.testing.LoopTesting;
import dev.iocp.core.testing.Platform;
import dev.iocp.core.testing.WindowsOnly;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * One owner for an accepted socket, the Win32 half: who owns an accepted socket when {@code finishAccept}
 * (SO_UPDATE_ACCEPT_CONTEXT) fails. The SPI gives the accepted socket one owner at each moment: from the ACCEPT
 * packet on it is the op's owner's — after a failed packet, and after a failed {@code finishAccept} too — so the
 * backend never closes it behind the owner's back (the owner would close it again, and a second closesocket can hit
 * an unrelated socket that reused the handle value).
 */
@WindowsOnly
class Win32AcceptOwnershipTest {
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final CompletionHandler NO_HANDLER = (op, bytes, error) -> {};

    private Win32Backend backend;
    private OpSlab slab;
    private final Map<Op, int[]> packets = new HashMap<>();
    private final List<Long> sockets = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        backend = new Win32Backend(8);
        slab = new OpSlab();
    }

    @AfterEach
    void tearDown() {
        for (long s : sockets) {
            backend.close(s, true);
        }
        long deadline = System.nanoTime() + TIMEOUT_NANOS;
        while (slab.inFlight() > 0 && System.nanoTime() < deadline) {
            poll(TimeUnit.MILLISECONDS.toNanos(50));
        }
        int left = slab.inFlight();
        if (left == 0) {
            slab.close();
        }
        backend.close();
        assertEquals(0, left, "ops in flight at the end of the test");
    }

    private void poll(long timeoutNanos) {
        backend.poll(slab, (op, bytes, error) -> {
            op.markCompleted();
            packets.put(op, new int[] {bytes, error});
        }, timeoutNanos);
    }

    private int[] awaitPacket(Op op) {
        long deadline = System.nanoTime() + TIMEOUT_NANOS;
        while (!packets.containsKey(op)) {
            if (System.nanoTime() > deadline) {
                fail("no packet for " + op + " within 10 s");
            }
            poll(TimeUnit.MILLISECONDS.toNanos(100));
        }
        return packets.remove(op);
    }

    /** A completed AcceptEx: the op (OWNED, its packet dequeued) with the accepted socket recorded in it. */
    private Op acceptedOp() throws Exception {
        long listener = backend.openTcpSocket(false);
        sockets.add(listener);
        backend.bind(listener, new InetSocketAddress(LoopTesting.LOOPBACK_V4, 0));
        backend.listen(listener, 16);
        Op accept = slab.acquire().prepare(OpType.ACCEPT, listener, NO_HANDLER);
        assertEquals(0, backend.submitAccept(accept), "AcceptEx submit");
        long client = backend.openTcpSocket(false);
        sockets.add(client);
        Op connect = slab.acquire().prepare(OpType.CONNECT, client, NO_HANDLER);
        assertEquals(0, backend.submitConnect(connect, backend.localAddress(listener)), "ConnectEx submit");
        assertEquals(0, awaitPacket(connect)[1], "connect packet");
        connect.release();
        assertEquals(0, awaitPacket(accept)[1], "accept packet");
        return accept;
    }

    @Test
    void aFailedFinishAcceptLeavesTheAcceptedSocketOpenForItsOwner() throws Exception {
        Op accept = acceptedOp();
        long accepted = accept.acceptSocket();
        // Make SO_UPDATE_ACCEPT_CONTEXT fail for real: its value must name the listening socket; name a socket
        // that is not one (a fresh unconnected, unbound socket).
        long notAListener = backend.openTcpSocket(false);
        sockets.add(notAListener);
        accept.prepare(OpType.ACCEPT, notAListener, NO_HANDLER).acceptSocket(accepted);
        IoException e;
        try {
            backend.finishAccept(accept);
            e = null;
        } catch (IoException failed) {
            e = failed;
        }
        // Wine 8's setsockopt(SO_UPDATE_ACCEPT_CONTEXT) succeeds whatever it is given (measured: a listener value of
        // -1, 0, a bogus handle or a non-listening socket, even a bogus socket handle; only a NULL value fails), so
        // there the real call cannot be made to fail; Windows checks the listener.
        assumeTrue(e != null, "SO_UPDATE_ACCEPT_CONTEXT did not fail with a non-listening socket as its value"
                + (Platform.underWine() ? " (Wine accepts any value)" : ""));
        System.out.println("finishAccept failed as asked: " + e.getMessage());
        // The owner still holds an open socket: an option can be read from it ...
        assertDoesNotThrow(() -> backend.getOption(accepted, SocketOpt.SO_RCVBUF),
                "the accepted socket is still open after the failed finishAccept: the backend did not close it");
        // ... and its one close is the owner's.
        backend.close(accepted, true);
        IoException closed = assertThrows(IoException.class, () -> backend.getOption(accepted, SocketOpt.SO_RCVBUF));
        assertEquals(ErrorCode.BAD_HANDLE, closed.code(), closed.getMessage());
        assertEquals("WSAENOTSOCK", closed.nativeName());
        accept.release();
    }
}
