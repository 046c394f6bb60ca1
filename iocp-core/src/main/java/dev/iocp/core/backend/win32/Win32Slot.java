package dev.iocp.core.backend.win32;

import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpSlab;
import dev.iocp.core.win32.WinsockExtensions;
import io.netty.util.internal.PlatformDependent;

/**
 * The Win32 backend's layout of an op's native area ({@link Op#nativeArea()}):
 * <pre>
 *   0  OVERLAPPED (32 bytes on x64). At offset 0: the packet hands back this address, which is the area's.
 *  32  int   op id, written at each submit, so that the op is found from its OVERLAPPED by one read
 *  48  WSABUF[Op.MAX_BUFFERS] (16 bytes each: ULONG len, pad, CHAR* buf)
 * 304  DWORD flags (WSARecv's lpFlags)
 * 308  DWORD bytes (the byte count of a call that completes at once: WSARecv, WSASend, AcceptEx, ConnectEx)
 * 312  int   1 while the op's result waits in the backend's inline queue (it completed at once on a socket in
 *            skip-on-success mode: nothing of it is left in the kernel), 0 otherwise; the backend's own, never the
 *            kernel's
 * 320  int   WSARecvFrom's from-length (in: the address area's room; out: the sender's address length)
 * 384  address area (128 bytes): the ConnectEx target sockaddr, the AcceptEx output buffer, a WSASendTo target,
 *      or where WSARecvFrom writes the sender's address
 * </pre>
 * All of it but the inline mark belongs to the kernel from submit until the op's packet is dequeued (invariant 2).
 */
public final class Win32Slot {
    private Win32Slot() {}

    static final int OVERLAPPED = 0;
    static final int OVERLAPPED_SIZE = 32;
    static final int OP_ID = 32;
    static final int WSABUF = 48;
    static final int WSABUF_SIZE = 16;
    static final int FLAGS = WSABUF + Op.MAX_BUFFERS * WSABUF_SIZE; // 304
    static final int BYTES = FLAGS + 4;
    static final int INLINE = BYTES + 4;
    static final int FROM_LENGTH = 320;
    static final int ADDRESS_AREA = 384;
    static final int ADDRESS_AREA_SIZE = 128;

    static {
        if (ADDRESS_AREA + ADDRESS_AREA_SIZE > Op.NATIVE_AREA_SIZE || INLINE + 4 > FROM_LENGTH
                || FROM_LENGTH + 4 > ADDRESS_AREA
                || WinsockExtensions.ACCEPTEX_BUFFER_SIZE > ADDRESS_AREA_SIZE) {
            throw new AssertionError("the Win32 slot layout does not fit the op's native area");
        }
    }

    /** The OVERLAPPED's address: the one every overlapped call takes and every packet hands back. */
    static long overlapped(Op op) {
        return op.nativeArea() + OVERLAPPED;
    }

    static long wsabuf(Op op) {
        return op.nativeArea() + WSABUF;
    }

    static long flags(Op op) {
        return op.nativeArea() + FLAGS;
    }

    static long bytes(Op op) {
        return op.nativeArea() + BYTES;
    }

    /** Marks the op as completed inline: its result is in the backend's queue, not in the kernel. */
    static void markInline(Op op) {
        PlatformDependent.putInt(op.nativeArea() + INLINE, 1);
    }

    /** {@return whether the op's last submit completed inline (see {@link #markInline})} */
    static boolean completedInline(Op op) {
        return PlatformDependent.getInt(op.nativeArea() + INLINE) != 0;
    }

    /** WSARecvFrom's from-length: an int the kernel writes until the packet. */
    static long fromLength(Op op) {
        return op.nativeArea() + FROM_LENGTH;
    }

    /** The 128-byte address area: the ConnectEx target, or the AcceptEx output (local then remote address). */
    public static long addressArea(Op op) {
        return op.nativeArea() + ADDRESS_AREA;
    }

    /**
     * Before an overlapped call: zeroes the OVERLAPPED (Internal/InternalHigh/Offset/hEvent must not carry the
     * previous op's values), the byte count and the inline mark, and stamps the op id beside the OVERLAPPED for
     * {@link #fromOverlapped}.
     */
    static void prepare(Op op) {
        long area = op.nativeArea();
        PlatformDependent.setMemory(area + OVERLAPPED, OVERLAPPED_SIZE, (byte) 0);
        PlatformDependent.putInt(area + OP_ID, op.id());
        PlatformDependent.putInt(area + BYTES, 0);
        PlatformDependent.putInt(area + INLINE, 0);
    }

    /** The op whose OVERLAPPED starts at {@code overlapped}: one native read and an array index. */
    static Op fromOverlapped(OpSlab slab, long overlapped) {
        int id = PlatformDependent.getInt(overlapped + OP_ID);
        Op op = id >= 0 && id < slab.capacity() ? slab.byId(id) : null;
        if (op == null || overlapped(op) != overlapped) {
            throw new IllegalStateException("packet for unknown OVERLAPPED 0x" + Long.toHexString(overlapped));
        }
        return op;
    }

    /**
     * The OVERLAPPED's Internal field: the op's NTSTATUS, STATUS_PENDING while the kernel has the op, its final status
     * once its packet is dequeued. This, and not the OVERLAPPED_ENTRY's copy (documented only as reserved), is where
     * the status is read: OVERLAPPED documents Internal as the request's status code, and libuv reads it there too.
     * The field is pointer-sized but an NTSTATUS is 32 bits, written in its low half (a union with a pointer in
     * IO_STATUS_BLOCK): only those 4 bytes are read.
     */
    public static int status(Op op) {
        return PlatformDependent.getInt(overlapped(op));
    }
}
