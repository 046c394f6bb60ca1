package dev.iocp.core.win32;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/** ntdll: NTSTATUS to Win32 error translation (direct mapping, see {@link Kernel32} for the conventions). */
public final class Ntdll {
    private Ntdll() {}

    static {
        Native.register(Ntdll.class, NativeLibrary.getInstance("ntdll"));
    }

    /** The Win32 error for an NTSTATUS (what GetQueuedCompletionStatus would report for a failed packet). */
    public static native int RtlNtStatusToDosError(int status);
}
