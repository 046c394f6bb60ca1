package dev.iocp.core.win32;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * kernel32 functions the completion-port backend needs, bound by JNA <em>direct mapping</em>
 * ({@link Native#register(Class, NativeLibrary)}): static native methods whose arguments are only {@code int} and
 * {@code long}, so a call marshals nothing and allocates nothing (~50 ns, against ~1 µs for interface mapping with
 * {@code Structure}s).
 *
 * <p><b>x64 only.</b> HANDLEs, ULONG_PTRs and pointers are passed as {@code long}: on 64-bit Windows they are
 * 64-bit values in the same registers/stack slots as a {@code long}, which JNA direct mapping passes as a 64-bit
 * integer. On 32-bit Windows this would be wrong; the product does not support it.
 *
 * <p><b>Last error.</b> Read it with {@link Native#getLastError()} right after the call: JNA's dispatch saves the
 * thread's GetLastError() immediately after every native call, before any JVM or JNA code can overwrite it.
 * Calling GetLastError() through JNA as a second call is not reliable (the JVM may make Win32 calls in between).
 * On Windows WSAGetLastError() reads the same per-thread slot, so this also holds for ws2_32 calls.
 *
 * <p>BOOL results are {@code int}: 0 is FALSE.
 */
public final class Kernel32 {
    private Kernel32() {}

    static {
        Native.register(Kernel32.class, NativeLibrary.getInstance("kernel32"));
    }

    public static final long INVALID_HANDLE_VALUE = -1L;
    /** GetQueuedCompletionStatusEx's dwMilliseconds for "no timeout". */
    public static final int INFINITE = 0xFFFFFFFF;
    /**
     * NTSTATUS in OVERLAPPED.Internal while the I/O has not completed (HasOverlappedIoCompleted's test). Internal is
     * pointer-sized but an NTSTATUS is 32 bits: compare the low 4 bytes only.
     */
    public static final int STATUS_PENDING = 0x103;
    public static final byte FILE_SKIP_COMPLETION_PORT_ON_SUCCESS = 0x1;
    public static final byte FILE_SKIP_SET_EVENT_ON_HANDLE = 0x2;

    /**
     * OVERLAPPED_ENTRY on x64: lpCompletionKey, lpOverlapped, Internal, dwNumberOfBytesTransferred + 4 bytes pad.
     * Internal is documented as reserved (its low 4 bytes hold a copy of the NTSTATUS, the high 4 are stale under
     * Wine): the status is read from the OVERLAPPED itself instead.
     */
    public static final int OVERLAPPED_ENTRY_SIZE = 32;
    public static final int OVERLAPPED_ENTRY_KEY = 0;
    public static final int OVERLAPPED_ENTRY_OVERLAPPED = 8;
    public static final int OVERLAPPED_ENTRY_INTERNAL = 16;
    public static final int OVERLAPPED_ENTRY_BYTES = 24;

    /** New port: {@code (INVALID_HANDLE_VALUE, 0, 0, threads)}; association: {@code (handle, port, key, 0)}. */
    public static native long CreateIoCompletionPort(long fileHandle, long existingPort, long completionKey,
                                                     int numberOfConcurrentThreads);

    /** Dequeues up to {@code count} OVERLAPPED_ENTRYs at {@code entries}; the number removed goes to {@code numRemoved} (ULONG*). */
    public static native int GetQueuedCompletionStatusEx(long port, long entries, int count, long numRemoved,
                                                         int milliseconds, int alertable);

    public static native int PostQueuedCompletionStatus(long port, int bytesTransferred, long completionKey,
                                                        long overlapped);

    /** Requests cancellation of the I/O whose OVERLAPPED is {@code overlapped} (0: all I/O of the handle). */
    public static native int CancelIoEx(long handle, long overlapped);

    public static native int SetFileCompletionNotificationModes(long handle, byte flags);

    public static native int CloseHandle(long handle);
}
