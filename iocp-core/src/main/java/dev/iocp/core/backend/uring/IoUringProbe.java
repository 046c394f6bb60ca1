package dev.iocp.core.backend.uring;

import com.sun.jna.Native;
import io.netty.util.internal.PlatformDependent;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import static dev.iocp.core.backend.uring.IoUringAbi.*;

/**
 * Whether io_uring can run here, and if not, why, in words a user can act on: the OS, native memory access,
 * io_uring_setup (ENOSYS, EPERM from io_uring_disabled or a seccomp filter, ENOMEM from RLIMIT_MEMLOCK), and the
 * features this backend relies on (single mmap, no-drop CQ, extended enter arguments, sync cancel).
 */
final class IoUringProbe {
    private IoUringProbe() {}

    /** Tries a real ring once per JVM: OS, native access, io_uring_setup, the features we rely on. */
    static String probe() {
        String os = System.getProperty("os.name", "");
        if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
            return "io_uring is Linux-only (os.name=" + os + ")";
        }
        if (!PlatformDependent.hasUnsafe()) {
            return "needs sun.misc.Unsafe for native memory (netty-common PlatformDependent): "
                    + PlatformDependent.getUnsafeUnavailabilityCause();
        }
        try {
            long p = PlatformDependent.allocateMemory(PARAMS_SIZE + 64);
            try {
                PlatformDependent.setMemory(p, PARAMS_SIZE + 64, (byte) 0);
                long fd = LibC.syscall(LibC.SYS_IO_URING_SETUP, 2, p, 0, 0, 0, 0);
                if (fd < 0) {
                    return setupFailure(Native.getLastError());
                }
                try {
                    int features = PlatformDependent.getInt(p + P_FEATURES);
                    int needed = IORING_FEAT_SINGLE_MMAP | IORING_FEAT_NODROP | IORING_FEAT_EXT_ARG;
                    if ((features & needed) != needed) {
                        return "kernel io_uring lacks SINGLE_MMAP/NODROP/EXT_ARG (features 0x"
                                + Integer.toHexString(features) + "; needs Linux >= 5.11, this backend >= 6.0)";
                    }
                    long reg = p + PARAMS_SIZE;
                    PlatformDependent.putLong(reg, IoUringBackend.PROBE_USER_DATA);
                    PlatformDependent.putInt(reg + 8, -1);
                    long r = LibC.syscall(LibC.SYS_IO_URING_REGISTER, fd, IORING_REGISTER_SYNC_CANCEL, reg, 1, 0, 0);
                    int errno = r < 0 ? Native.getLastError() : 0;
                    if (errno != Errno.ENOENT) {
                        return "IORING_REGISTER_SYNC_CANCEL unsupported (" + (r < 0 ? Errno.ERRORS.describe(errno) : "returned " + r)
                                + "): this backend needs Linux >= 6.0 (running " + System.getProperty("os.version") + ")";
                    }
                } finally {
                    LibC.close((int) fd);
                }
            } finally {
                PlatformDependent.freeMemory(p);
            }
        } catch (Throwable t) { // UnsatisfiedLinkError, NoClassDefFoundError: JNA could not bind libc
            return "could not bind libc through JNA: " + t;
        }
        return null;
    }

    private static String setupFailure(int errno) {
        String disabled = readSysctl("/proc/sys/kernel/io_uring_disabled");
        switch (errno) {
            case Errno.ENOSYS:
                return "io_uring_setup failed with ENOSYS: the kernel has no io_uring (CONFIG_IO_URING off, or older "
                        + "than 5.1), or a seccomp filter answers ENOSYS (container runtimes do)";
            case Errno.EPERM:
                return "io_uring_setup failed with EPERM: io_uring is disabled (kernel.io_uring_disabled=" + disabled
                        + "; 2 = off for all, 1 = only for kernel.io_uring_group) or blocked by a seccomp filter "
                        + "(Docker's default profile blocks it; run with a profile that allows io_uring_*)";
            case Errno.ENOMEM:
                return "io_uring_setup failed with ENOMEM: RLIMIT_MEMLOCK too low for the rings (raise ulimit -l)";
            default:
                return "io_uring_setup failed with " + Errno.ERRORS.describe(errno) + " (kernel.io_uring_disabled=" + disabled + ")";
        }
    }

    private static String readSysctl(String path) {
        try {
            return Files.readString(Path.of(path)).trim();
        } catch (Exception e) {
            return "unreadable";
        }
    }
}
