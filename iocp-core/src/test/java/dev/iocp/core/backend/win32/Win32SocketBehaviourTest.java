package dev.iocp.core.backend.win32;

import dev.iocp.core.backend.CompletionHandler;
import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpSlab;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.backend.SocketOpt;
import dev.iocp.core.testing.LoopTesting;
import dev.iocp.core.testing.NativeWindowsOnly;
import dev.iocp.core.testing.WindowsOnly;
import dev.iocp.core.win32.Ws2_32;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Win32 backend's socket set-up, checked on the sockets themselves: what Winsock was told, read back with
 * getsockopt and from the op's own memory. Under Wine and natively, except what only Windows' stack keeps
 * ({@link NativeWindowsOnly}).
 */
@WindowsOnly
class Win32SocketBehaviourTest {
    private static final CompletionHandler NO_HANDLER = (op, bytes, error) -> {};

    private Win32Backend backend;
    private OpSlab slab;
    private final List<Long> sockets = new ArrayList<>();
    private long scratch;

    @BeforeEach
    void open() throws Exception {
        backend = new Win32Backend(8, false);
        slab = new OpSlab();
        scratch = PlatformDependent.allocateMemory(16);
    }

    @AfterEach
    void close() {
        sockets.forEach(s -> backend.close(s, true));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (slab.inFlight() > 0 && System.nanoTime() < deadline) {
            backend.poll(slab, (op, bytes, error) -> op.markCompleted(), TimeUnit.MILLISECONDS.toNanos(50));
        }
        int left = slab.inFlight();
        if (left == 0) {
            slab.close();
        }
        backend.close();
        PlatformDependent.freeMemory(scratch);
        assertEquals(0, left, "ops in flight at the end");
    }

    private long socket() throws Exception {
        long s = backend.openTcpSocket(false);
        sockets.add(s);
        return s;
    }

    /** The option as Winsock has it (a DWORD/BOOL at SOL_SOCKET). */
    private int rawOption(long socket, int name) {
        PlatformDependent.putLong(scratch, 0L);
        PlatformDependent.putInt(scratch + 8, 4);
        if (Ws2_32.getsockopt(socket, Ws2_32.SOL_SOCKET, name, scratch, scratch + 8) != 0) {
            fail("getsockopt " + name + ": " + com.sun.jna.Native.getLastError());
        }
        return PlatformDependent.getInt(scratch);
    }

    /**
     * The readiness receive's one WSABUF has length 0 and a valid pointer (libuv's choice): a NULL buf is a bad
     * pointer to a provider that checks. Read from the op's own WSABUF after the submit (here one that fails at once:
     * the socket is not connected, and the WSABUF was written before the call).
     */
    @Test
    void aZeroByteReceiveNamesAValidBufferOfLengthZero() throws Exception {
        long s = socket();
        Op op = slab.acquire().prepare(OpType.RECV, s, NO_HANDLER);
        PlatformDependent.setMemory(Win32Slot.wsabuf(op), Win32Slot.WSABUF_SIZE, (byte) 0x5A);
        int error = backend.submitRecv(op);
        assertNotEquals(0, error, "an unconnected socket refuses the receive at once");
        long wsabuf = Win32Slot.wsabuf(op);
        assertEquals(0, PlatformDependent.getInt(wsabuf), "WSABUF.len");
        assertNotEquals(0L, PlatformDependent.getLong(wsabuf + 8), "WSABUF.buf");
        op.release();
    }

    /**
     * SO_REUSEADDR before bind decides the bind: 0 binds with SO_EXCLUSIVEADDRUSE. After bind (a listener, an
     * accepted or connected socket) Windows gives neither option a meaning: setting it changes nothing in Winsock,
     * does not fail (Netty sets child options on accepted sockets), and reads back as set.
     */
    @Test
    void soReuseAddrDecidesTheBindAndAfterBindChangesNothing() throws Exception {
        long before = socket();
        backend.setOption(before, SocketOpt.SO_REUSEADDR, 0);
        assertEquals(1, rawOption(before, Ws2_32.SO_EXCLUSIVEADDRUSE), "0 before bind: an exclusive bind");
        backend.bind(before, new InetSocketAddress(LoopTesting.LOOPBACK_V4, 0));
        assertEquals(0, backend.getOption(before, SocketOpt.SO_REUSEADDR));

        long bound = socket();
        backend.bind(bound, new InetSocketAddress(LoopTesting.LOOPBACK_V4, 0));
        int atBind = rawOption(bound, Ws2_32.SO_EXCLUSIVEADDRUSE);
        assertEquals(1, backend.getOption(bound, SocketOpt.SO_REUSEADDR), "Windows' default bind: not exclusive");
        backend.setOption(bound, SocketOpt.SO_REUSEADDR, 0);
        assertEquals(atBind, rawOption(bound, Ws2_32.SO_EXCLUSIVEADDRUSE), "nothing reached Winsock after bind");
        assertEquals(0, backend.getOption(bound, SocketOpt.SO_REUSEADDR), "reads back as set");
        backend.setOption(bound, SocketOpt.SO_REUSEADDR, 1);
        assertEquals(atBind, rawOption(bound, Ws2_32.SO_EXCLUSIVEADDRUSE));
        assertEquals(1, backend.getOption(bound, SocketOpt.SO_REUSEADDR));
    }

    /**
     * The wildcard bind before ConnectEx comes with SO_REUSE_UNICASTPORT, so the port is chosen at connect and not
     * reserved per socket. Native only: Wine does not know the option (its stack picks the port at connect anyway).
     */
    @Test
    @NativeWindowsOnly
    void theBindBeforeConnectExDefersThePortChoice() throws Exception {
        long listener = socket();
        backend.bind(listener, new InetSocketAddress(LoopTesting.LOOPBACK_V4, 0));
        backend.listen(listener, 4);
        long client = socket();
        assertEquals(0, rawOption(client, Ws2_32.SO_REUSE_UNICASTPORT), "not set before the connect");
        Op connect = slab.acquire().prepare(OpType.CONNECT, client, NO_HANDLER);
        assertEquals(0, backend.submitConnect(connect, backend.localAddress(listener)));
        assertEquals(1, rawOption(client, Ws2_32.SO_REUSE_UNICASTPORT), "set with the wildcard bind");
        int[] result = new int[] {-1};
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (result[0] < 0 && System.nanoTime() < deadline) {
            backend.poll(slab, (op, bytes, error) -> {
                op.markCompleted();
                result[0] = error;
            }, TimeUnit.MILLISECONDS.toNanos(100));
        }
        assertEquals(0, result[0], () -> "connect: " + IoError.describe(result[0]));
        connect.release();
        assertTrue(backend.localAddress(client).getPort() != 0);
    }
}
