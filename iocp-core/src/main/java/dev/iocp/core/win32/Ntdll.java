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

    /** RTL_OSVERSIONINFOW: dwOSVersionInfoSize, major, minor, build, platform id (DWORDs), szCSDVersion[128]. */
    public static final int RTL_OSVERSIONINFOW_SIZE = 20 + 256;
    public static final int RTL_OSVERSIONINFOW_MAJOR = 4;
    public static final int RTL_OSVERSIONINFOW_MINOR = 8;
    public static final int RTL_OSVERSIONINFOW_BUILD = 12;

    /**
     * The version Windows really is (GetVersionEx reports 6.2 to a process without a compatibility manifest, as a
     * java.exe may be). The struct's first DWORD must hold its size. Returns an NTSTATUS (always success).
     */
    public static native int RtlGetVersion(long versionInformation);
}
