package dev.iocp.core.backend.uring;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * The few libc functions the io_uring backend calls, bound by JNA direct mapping ({@link Native#register}) with
 * primitive arguments only: pointers are {@code long} addresses into native memory we own, fds are {@code int}s.
 * A call that fails returns -1 and leaves errno in {@link Native#getLastError()} (JNA saves errno right after every
 * direct call, on the calling thread).
 *
 * <p>io_uring itself has no libc wrapper in glibc: it is reached through {@link #syscall} with the syscall numbers
 * below, which are the same on every architecture (the unified table of syscalls added after 4.x).
 */
final class LibC {
    private LibC() {}

    static {
        Native.register(LibC.class, NativeLibrary.getInstance("c"));
    }

    static final long SYS_IO_URING_SETUP = 425;
    static final long SYS_IO_URING_ENTER = 426;
    static final long SYS_IO_URING_REGISTER = 427;

    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int SOCK_STREAM = 1;
    static final int SOCK_DGRAM = 2;
    static final int AF_UNSPEC = 0;
    static final int IPPROTO_UDP = 17;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int IPPROTO_TCP = 6;
    static final int IPPROTO_IPV6 = 41;

    static final int SOL_SOCKET = 1;
    static final int SO_REUSEADDR = 2;
    static final int SO_BROADCAST = 6;
    static final int SO_SNDBUF = 7;
    static final int SO_RCVBUF = 8;
    static final int SO_KEEPALIVE = 9;
    static final int SO_LINGER = 13;
    static final int TCP_NODELAY = 1;
    static final int TCP_KEEPIDLE = 4;
    static final int TCP_KEEPINTVL = 5;
    static final int TCP_KEEPCNT = 6;
    static final int IPV6_V6ONLY = 26;

    static final int SHUT_WR = 1;

    static final int MSG_NOSIGNAL = 0x4000;
    /** recvmsg on a datagram socket: the result is the datagram's real length, even when it did not fit. */
    static final int MSG_TRUNC = 0x20;
    /** recv: return at once (EAGAIN) instead of waiting, whatever the socket's own mode. */
    static final int MSG_DONTWAIT = 0x40;
    /** poll events: readable (data or FIN), and what a readiness receive also wakes for. */
    static final int POLLIN = 0x001;

    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 1;
    static final int MAP_POPULATE = 0x8000;
    static final long MAP_FAILED = -1L;

    /** getrlimit/setrlimit resource: the soft limit is one more than the highest fd number open() may return. */
    static final int RLIMIT_NOFILE = 7;

    static final int EFD_CLOEXEC = 0x80000;
    static final int EFD_NONBLOCK = 0x800;

    /** {@code long syscall(long number, ...)}: variadic, but every argument here is a register-sized integer. */
    static native long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

    static native long mmap(long addr, long length, int prot, int flags, int fd, long offset);

    static native int munmap(long addr, long length);

    static native int socket(int domain, int type, int protocol);

    static native int bind(int fd, long addr, int addrLen);

    static native int listen(int fd, int backlog);

    static native int connect(int fd, long addr, int addrLen);

    /** {@code addrLen} is a socklen_t* in/out. */
    static native int getsockname(int fd, long addr, long addrLen);

    static native int getpeername(int fd, long addr, long addrLen);

    static native int setsockopt(int fd, int level, int name, long value, int valueLen);

    static native int getsockopt(int fd, int level, int name, long value, long valueLen);

    static native int shutdown(int fd, int how);

    static native int close(int fd);

    /** {@code ssize_t recv(int fd, void *buf, size_t len, int flags)}. */
    static native long recv(int fd, long buf, long len, int flags);

    /** FIONREAD (asm-generic, the same on x86-64 and aarch64): bytes a recv would return now. */
    static final long FIONREAD = 0x541B;

    /** {@code int ioctl(int fd, unsigned long request, ...)}: variadic; the one argument used is a pointer. */
    static native int ioctl(int fd, long request, long argp);

    static native int eventfd(int initval, int flags);

    /** {@code rlim} points at a struct rlimit { rlim_t rlim_cur; rlim_t rlim_max; } (two 8-byte fields). */
    static native int getrlimit(int resource, long rlim);

    static native int setrlimit(int resource, long rlim);

    /** Adds {@code value} to the eventfd's counter: one 8-byte write. Safe from any thread. */
    static native int eventfd_write(int fd, long value);
}
