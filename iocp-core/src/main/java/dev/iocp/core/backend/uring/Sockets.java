package dev.iocp.core.backend.uring;

import com.sun.jna.Native;
import dev.iocp.core.backend.IoException;
import dev.iocp.core.backend.SockAddrCodec;
import dev.iocp.core.backend.SocketOpt;
import io.netty.util.internal.PlatformDependent;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.net.InetSocketAddress;

/**
 * The synchronous socket calls (socket, bind, listen, getsockname, getpeername, setsockopt, getsockopt, shutdown,
 * close), with Linux's sockaddr layout ({@link SockAddrCodec#LINUX}). A call that fails throws its errno as the SPI
 * reports it ({@link #failure}): the synchronous calls' one egress point.
 *
 * <p>Loop thread only (its scratch block is written by every call).
 */
final class Sockets {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(Sockets.class);

    private static final int SOCKADDR = 0;  // 128: a sockaddr
    private static final int LENGTH = 128;  // socklen_t in/out
    private static final int VALUE = 136;   // 8: an option value / struct linger {int, int}
    private static final int SCRATCH_SIZE = 144;

    private final long scratch;

    Sockets() {
        scratch = PlatformDependent.allocateMemory(SCRATCH_SIZE);
        PlatformDependent.setMemory(scratch, SCRATCH_SIZE, (byte) 0);
    }

    /** A synchronous call failed: its errno, as the SPI reports it. */
    private static IoException failure(String call) {
        return Errno.ERRORS.exception(call, Native.getLastError());
    }

    /**
     * A close-on-exec TCP socket. It stays blocking: io_uring tries each op without blocking and, when it would
     * block, arms a poll on the socket instead of tying up a thread, so blocking sockets cost nothing here and
     * the synchronous calls (connect is never one) behave as usual.
     *
     * <p>Dual-stack, as the JDK's sockets are and as the Win32 backend's are: where the kernel has IPv6, every socket
     * is AF_INET6 with IPV6_V6ONLY=0 set explicitly (the system default, net.ipv6.bindv6only, may say otherwise),
     * whatever {@code ipv6} says, and IPv4 addresses are given to it IPv4-mapped ({@link #encode}): a listener bound
     * to {@code 0.0.0.0} or {@code ::} accepts both families, one bound to {@code 127.0.0.1} IPv4 only, and
     * addresses come back with an IPv4-mapped one as the IPv4 address. Without IPv6, sockets are what
     * {@code ipv6} asks.
     *
     * <p>SO_REUSEADDR=1 is set so that the Linux socket behaves like the Winsock one the transport was written on:
     * Windows lets a listener rebind a port whose old connections sit in TIME_WAIT without any option; Linux needs
     * this.
     */
    int openTcp(boolean ipv6) throws IoException {
        boolean dualStack = DualStack.AVAILABLE;
        int fd = LibC.socket(dualStack || ipv6 ? LibC.AF_INET6 : LibC.AF_INET, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC,
                LibC.IPPROTO_TCP);
        if (fd < 0) {
            throw failure("socket");
        }
        try {
            setInt(fd, LibC.SOL_SOCKET, LibC.SO_REUSEADDR, 1, "setsockopt SO_REUSEADDR");
            if (dualStack) {
                setInt(fd, LibC.IPPROTO_IPV6, LibC.IPV6_V6ONLY, 0, "setsockopt IPV6_V6ONLY");
            }
        } catch (IoException e) {
            LibC.close(fd);
            throw e;
        }
        return fd;
    }

    /**
     * A close-on-exec UDP socket, dual-stack as {@link #openTcp} makes them (IPv4 addresses IPv4-mapped). No
     * SO_REUSEADDR: on Linux it would let another UDP socket bind the same port and share its datagrams.
     */
    int openUdp(boolean ipv6) throws IoException {
        boolean dualStack = DualStack.AVAILABLE;
        int fd = LibC.socket(dualStack || ipv6 ? LibC.AF_INET6 : LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC,
                LibC.IPPROTO_UDP);
        if (fd < 0) {
            throw failure("socket");
        }
        try {
            if (dualStack) {
                setInt(fd, LibC.IPPROTO_IPV6, LibC.IPV6_V6ONLY, 0, "setsockopt IPV6_V6ONLY");
            }
        } catch (IoException e) {
            LibC.close(fd);
            throw e;
        }
        return fd;
    }

    /** connect(2) of a UDP socket: synchronous, nothing is exchanged. */
    void connectDatagram(int fd, InetSocketAddress remote) throws IoException {
        int len = encode(remote, scratch + SOCKADDR);
        if (LibC.connect(fd, scratch + SOCKADDR, len) != 0) {
            throw failure("connect " + remote);
        }
    }

    /**
     * connect(2) to an AF_UNSPEC address: the UDP socket's peer is forgotten. Linux may forget the local address with
     * it (the port goes back to 0 and the socket stops receiving at its old address — measured on this backend's
     * contract test, and why the JDK repairs its sockets after a disconnect too), so the socket is bound again to the
     * address it had, which keeps the SPI's promise: the local address survives the disconnect.
     */
    void disconnectDatagram(int fd) throws IoException {
        InetSocketAddress before = localAddress(fd);
        PlatformDependent.setMemory(scratch + SOCKADDR, SockAddrCodec.MAX_SIZE, (byte) 0);
        PlatformDependent.putShort(scratch + SOCKADDR, (short) LibC.AF_UNSPEC);
        if (LibC.connect(fd, scratch + SOCKADDR, SockAddrCodec.MAX_SIZE) != 0) {
            throw failure("connect (AF_UNSPEC)");
        }
        InetSocketAddress after = localAddress(fd);
        if (!after.equals(before)) {
            logger.debug("disconnect moved fd {} from {} to {}: binding it back", fd, before, after);
            bind(fd, before);
        }
    }

    /** Whether sockets are dual-stack AF_INET6 ones: decided once per process, as the JDK decides (IPv6 exists). */
    private static final class DualStack {
        static final boolean AVAILABLE = probe();

        private static boolean probe() {
            int fd = LibC.socket(LibC.AF_INET6, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, LibC.IPPROTO_TCP);
            if (fd < 0) {
                logger.debug("no IPv6 (socket: {}): sockets are IPv4 or IPv6 as asked, not dual-stack",
                        Errno.ERRORS.describe(Native.getLastError()));
                return false;
            }
            LibC.close(fd);
            return true;
        }
    }

    /**
     * Encodes an address for one of our sockets: IPv4 ones mapped when sockets are dual-stack.
     *
     * @throws IllegalArgumentException if the address is unresolved
     */
    static int encode(InetSocketAddress address, long at) {
        return DualStack.AVAILABLE ? SockAddrCodec.LINUX.encodeDualStack(address, at)
                : SockAddrCodec.LINUX.encode(address, at);
    }

    void bind(int fd, InetSocketAddress address) throws IoException {
        int len = encode(address, scratch + SOCKADDR);
        if (LibC.bind(fd, scratch + SOCKADDR, len) != 0) {
            throw failure("bind " + address);
        }
    }

    void listen(int fd, int backlog) throws IoException {
        if (LibC.listen(fd, backlog) != 0) {
            throw failure("listen");
        }
    }

    InetSocketAddress localAddress(int fd) throws IoException {
        PlatformDependent.putInt(scratch + LENGTH, 128);
        if (LibC.getsockname(fd, scratch + SOCKADDR, scratch + LENGTH) != 0) {
            throw failure("getsockname");
        }
        return decodeSockaddr();
    }

    InetSocketAddress remoteAddress(int fd) throws IoException {
        PlatformDependent.putInt(scratch + LENGTH, 128);
        if (LibC.getpeername(fd, scratch + SOCKADDR, scratch + LENGTH) != 0) {
            throw failure("getpeername");
        }
        return decodeSockaddr();
    }

    /** What getsockname/getpeername wrote, decoded by the length they reported. */
    private InetSocketAddress decodeSockaddr() {
        return SockAddrCodec.LINUX.decode(scratch + SOCKADDR, PlatformDependent.getInt(scratch + LENGTH));
    }

    /**
     * All five options are int-valued on Linux. Note Linux doubles SO_RCVBUF/SO_SNDBUF on set (room for its
     * bookkeeping) and {@link #getOption} reports the doubled, real size.
     */
    void setOption(int fd, SocketOpt option, int value) throws IoException {
        setInt(fd, level(option), optionName(option), value, "setsockopt " + option);
    }

    private void setInt(int fd, int level, int name, int value, String call) throws IoException {
        PlatformDependent.putInt(scratch + VALUE, value);
        if (LibC.setsockopt(fd, level, name, scratch + VALUE, 4) != 0) {
            throw failure(call);
        }
    }

    int getOption(int fd, SocketOpt option) throws IoException {
        PlatformDependent.putLong(scratch + VALUE, 0L);
        PlatformDependent.putInt(scratch + LENGTH, 4);
        if (LibC.getsockopt(fd, level(option), optionName(option), scratch + VALUE, scratch + LENGTH) != 0) {
            throw failure("getsockopt " + option);
        }
        return PlatformDependent.getInt(scratch + VALUE);
    }

    private static int level(SocketOpt option) {
        return option.tcpLevel() ? LibC.IPPROTO_TCP : LibC.SOL_SOCKET;
    }

    private static int optionName(SocketOpt option) {
        switch (option) {
            case TCP_NODELAY: return LibC.TCP_NODELAY;
            case SO_KEEPALIVE: return LibC.SO_KEEPALIVE;
            case SO_RCVBUF: return LibC.SO_RCVBUF;
            case SO_SNDBUF: return LibC.SO_SNDBUF;
            case SO_REUSEADDR: return LibC.SO_REUSEADDR;
            case TCP_KEEPIDLE: return LibC.TCP_KEEPIDLE;
            case TCP_KEEPINTVL: return LibC.TCP_KEEPINTVL;
            case TCP_KEEPCNT: return LibC.TCP_KEEPCNT;
            case SO_BROADCAST: return LibC.SO_BROADCAST;
            default: throw new IllegalArgumentException("unsupported option " + option);
        }
    }

    int bytesAvailable(int fd) throws IoException {
        PlatformDependent.putInt(scratch + VALUE, 0);
        if (LibC.ioctl(fd, LibC.FIONREAD, scratch + VALUE) != 0) {
            throw failure("ioctl (FIONREAD)");
        }
        return PlatformDependent.getInt(scratch + VALUE);
    }

    /** recv with MSG_DONTWAIT: bytes, or {@code -error} (EAGAIN: {@code WOULD_BLOCK}); see {@code Backend.receiveNow}. */
    int receiveNow(int fd, long address, int length) {
        long n = LibC.recv(fd, address, length, LibC.MSG_DONTWAIT);
        return n >= 0 ? (int) n : -Errno.ERRORS.error(Native.getLastError());
    }

    void shutdownOutput(int fd) throws IoException {
        if (LibC.shutdown(fd, LibC.SHUT_WR) != 0) {
            throw failure("shutdown (SHUT_WR)");
        }
    }

    /**
     * Closes the fd; {@code abortive} sets SO_LINGER {1, 0} first, so the final release of the socket sends RST and
     * drops unsent data. Failures are logged only: after close there is nothing to act on.
     */
    void close(int fd, boolean abortive) {
        if (abortive) {
            // struct linger { int l_onoff = 1; int l_linger = 0; }
            PlatformDependent.putInt(scratch + VALUE, 1);
            PlatformDependent.putInt(scratch + VALUE + 4, 0);
            if (LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_LINGER, scratch + VALUE, 8) != 0) {
                logger.debug("setsockopt(SO_LINGER {{1,0}}) on {} failed: {}", fd,
                        Errno.ERRORS.describe(Native.getLastError()));
            }
        }
        if (LibC.close(fd) != 0) {
            logger.debug("close({}) failed: {}", fd, Errno.ERRORS.describe(Native.getLastError()));
        }
    }

    void free() {
        PlatformDependent.freeMemory(scratch);
    }
}
