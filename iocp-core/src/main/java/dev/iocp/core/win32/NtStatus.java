package dev.iocp.core.win32;

/**
 * NTSTATUS, the status the kernel leaves in a completed OVERLAPPED's {@code Internal} field. Its top two bits are
 * the severity: 00 success, 01 informational, 10 warning, 11 error. Like ntdef.h's NT_SUCCESS, success and
 * informational statuses are successes (the value read as a signed 32-bit int is not negative); warnings and errors
 * are failures. Warnings carry results too — STATUS_BUFFER_OVERFLOW for a datagram larger than the buffer (its first
 * bytes were received), STATUS_HANDLES_CLOSED for an op whose socket was closed under it under Wine — so they are
 * reported as errors and the byte count travels with them.
 */
public final class NtStatus {
    private NtStatus() {}

    public static final int STATUS_SUCCESS = 0;
    /** Informational: the I/O has not completed (OVERLAPPED.Internal while the kernel has the op). */
    public static final int STATUS_PENDING = 0x103;
    /** Warning: the data did not fit; what fitted was transferred (a datagram receive: WSAEMSGSIZE). */
    public static final int STATUS_BUFFER_OVERFLOW = 0x80000005;
    /** Warning: Wine's status for the ops of a socket closed under them (ERROR_HANDLES_CLOSED). */
    public static final int STATUS_HANDLES_CLOSED = 0x8000000A;
    /** Error: the I/O was cancelled (CancelIoEx, or the socket's close on Windows). */
    public static final int STATUS_CANCELLED = 0xC0000120;
    /** Error: the peer reset the connection. */
    public static final int STATUS_CONNECTION_RESET = 0xC000020D;

    /**
     * {@return ntdef.h's NT_SUCCESS: whether {@code status} is a success or an informational status}
     *
     * @param status an NTSTATUS (32 bits; the pointer-sized Internal field's low half)
     */
    public static boolean isSuccess(int status) {
        return status >= 0;
    }
}
