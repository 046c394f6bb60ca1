package dev.iocp.core.win32;

import dev.iocp.core.backend.SockAddrCodec;

import java.net.InetSocketAddress;

/** Winsock socket addresses: {@link SockAddrCodec#WINDOWS}, under the names the Win32 code reads best. */
public final class SockAddrs {
    private SockAddrs() {}

    public static final int SOCKADDR_IN_SIZE = SockAddrCodec.SOCKADDR_IN_SIZE;
    public static final int SOCKADDR_IN6_SIZE = SockAddrCodec.SOCKADDR_IN6_SIZE;
    public static final int MAX_SIZE = SockAddrCodec.MAX_SIZE;

    public static int encode(InetSocketAddress address, long at) {
        return SockAddrCodec.WINDOWS.encode(address, at);
    }

    public static InetSocketAddress wildcard(boolean ipv6) {
        return SockAddrCodec.wildcard(ipv6);
    }

    /** The family at {@code at}: {@link Ws2_32#AF_INET}, {@link Ws2_32#AF_INET6} or something else. */
    public static int family(long at) {
        return SockAddrCodec.family(at);
    }

    public static InetSocketAddress decode(long at, int length) {
        return SockAddrCodec.WINDOWS.decode(at, length);
    }
}
