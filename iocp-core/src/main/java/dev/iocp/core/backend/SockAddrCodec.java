package dev.iocp.core.backend;

import io.netty.util.internal.PlatformDependent;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * IPv4/IPv6 socket addresses at a native address, without Structures: the one codec every backend uses. Windows and
 * Linux share the layout and differ only in the family numbers, so a codec is that layout plus its two numbers:
 * {@link #WINDOWS} (AF_INET 2, AF_INET6 23) and {@link #LINUX} (AF_INET 2, AF_INET6 10).
 *
 * <pre>
 * sockaddr_in  (16 bytes): u16 family (host order) | u16 port (network order) | 4 address bytes | 8 zero
 * sockaddr_in6 (28 bytes): u16 family (host order) | u16 port (network order) | u32 flowinfo
 *                          | 16 address bytes | u32 scope id (host order)
 * </pre>
 * Host order is little-endian (x64 only). Pure memory code: it runs, and is tested, on any OS.
 */
public final class SockAddrCodec {
    /** The size of a sockaddr_in. */
    public static final int SOCKADDR_IN_SIZE = 16;
    /** The size of a sockaddr_in6. */
    public static final int SOCKADDR_IN6_SIZE = 28;
    /** Room for either (sockaddr_storage is 128; we never need more than an in6). */
    public static final int MAX_SIZE = SOCKADDR_IN6_SIZE;

    /** Winsock's family numbers. */
    public static final SockAddrCodec WINDOWS = new SockAddrCodec(2, 23);
    /** Linux's family numbers. */
    public static final SockAddrCodec LINUX = new SockAddrCodec(2, 10);

    private final int afInet;
    private final int afInet6;

    private SockAddrCodec(int afInet, int afInet6) {
        this.afInet = afInet;
        this.afInet6 = afInet6;
    }

    /** {@return this OS's AF_INET} */
    public int afInet() {
        return afInet;
    }

    /** {@return this OS's AF_INET6} */
    public int afInet6() {
        return afInet6;
    }

    /**
     * Encodes {@code address} at {@code at} (which has room for {@link #MAX_SIZE} bytes).
     *
     * @param address a resolved address
     * @param at native memory with room for {@link #MAX_SIZE} bytes
     * @return the encoded length
     * @throws IllegalArgumentException if the address is unresolved
     */
    public int encode(InetSocketAddress address, long at) {
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("unresolved address " + address);
        }
        InetAddress ip = address.getAddress();
        byte[] raw = ip.getAddress();
        int port = address.getPort();
        if (ip instanceof Inet4Address) {
            PlatformDependent.setMemory(at, SOCKADDR_IN_SIZE, (byte) 0);
            putShortLE(at, afInet);
            putShortBE(at + 2, port);
            PlatformDependent.copyMemory(raw, 0, at + 4, 4);
            return SOCKADDR_IN_SIZE;
        }
        PlatformDependent.setMemory(at, SOCKADDR_IN6_SIZE, (byte) 0);
        putShortLE(at, afInet6);
        putShortBE(at + 2, port);
        PlatformDependent.copyMemory(raw, 0, at + 8, 16);
        PlatformDependent.putInt(at + 24, ((Inet6Address) ip).getScopeId());
        return SOCKADDR_IN6_SIZE;
    }

    /**
     * Encodes {@code address} for a dual-stack AF_INET6 socket, as the JDK does for its sockets: an IPv6 address as
     * it is; the IPv4 wildcard {@code 0.0.0.0} as the IPv6 wildcard {@code ::} (so a listener bound to either accepts
     * both families); any other IPv4 address as its IPv4-mapped form {@code ::ffff:a.b.c.d} (so it stays IPv4 only).
     * The way back needs nothing: {@link #decode} returns an IPv4-mapped address as the IPv4 one.
     *
     * @param address a resolved address
     * @param at native memory with room for {@link #MAX_SIZE} bytes
     * @return the encoded length, always {@link #SOCKADDR_IN6_SIZE}
     * @throws IllegalArgumentException if the address is unresolved
     */
    public int encodeDualStack(InetSocketAddress address, long at) {
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("unresolved address " + address);
        }
        InetAddress ip = address.getAddress();
        if (ip instanceof Inet6Address) {
            return encode(address, at);
        }
        byte[] raw = ip.getAddress();
        PlatformDependent.setMemory(at, SOCKADDR_IN6_SIZE, (byte) 0);
        putShortLE(at, afInet6);
        putShortBE(at + 2, address.getPort());
        if (!ip.isAnyLocalAddress()) {
            PlatformDependent.putByte(at + 8 + 10, (byte) 0xFF);
            PlatformDependent.putByte(at + 8 + 11, (byte) 0xFF);
            PlatformDependent.copyMemory(raw, 0, at + 8 + 12, 4);
        }
        return SOCKADDR_IN6_SIZE;
    }

    /**
     * {@return the wildcard address of a family, port 0 (what an unbound socket is bound to before a connect)}
     *
     * @param ipv6 the IPv6 family if true, IPv4 if false
     */
    public static InetSocketAddress wildcard(boolean ipv6) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(new byte[ipv6 ? 16 : 4]), 0);
        } catch (UnknownHostException impossible) {
            throw new AssertionError(impossible);
        }
    }

    /**
     * {@return the family number at {@code at}}
     *
     * @param at an encoded address in native memory
     */
    public static int family(long at) {
        return PlatformDependent.getShort(at) & 0xFFFF;
    }

    /**
     * Decodes the address at {@code at}; {@code length} is what the call reported (checked against the family).
     *
     * @param at an encoded address in native memory
     * @param length the length the call reported
     * @return the address
     * @throws IllegalArgumentException if the family is neither, or the length too short for it
     */
    public InetSocketAddress decode(long at, int length) {
        int family = family(at);
        int port = getShortBE(at + 2);
        try {
            if (family == afInet && length >= SOCKADDR_IN_SIZE) {
                byte[] raw = new byte[4];
                PlatformDependent.copyMemory(at + 4, raw, 0, 4);
                return new InetSocketAddress(InetAddress.getByAddress(raw), port);
            }
            if (family == afInet6 && length >= SOCKADDR_IN6_SIZE) {
                byte[] raw = new byte[16];
                PlatformDependent.copyMemory(at + 8, raw, 0, 16);
                int scope = PlatformDependent.getInt(at + 24);
                // Inet6Address.getByAddress keeps a scope only when it is non-zero (link-local).
                InetAddress ip = scope != 0 ? Inet6Address.getByAddress(null, raw, scope)
                        : InetAddress.getByAddress(raw);
                return new InetSocketAddress(ip, port);
            }
        } catch (UnknownHostException impossible) {
            throw new AssertionError(impossible);
        }
        throw new IllegalArgumentException("not an IPv4/IPv6 socket address: family " + family + ", length " + length);
    }

    private static void putShortLE(long at, int v) {
        PlatformDependent.putByte(at, (byte) v);
        PlatformDependent.putByte(at + 1, (byte) (v >>> 8));
    }

    private static void putShortBE(long at, int v) {
        PlatformDependent.putByte(at, (byte) (v >>> 8));
        PlatformDependent.putByte(at + 1, (byte) v);
    }

    private static int getShortBE(long at) {
        return ((PlatformDependent.getByte(at) & 0xFF) << 8) | (PlatformDependent.getByte(at + 1) & 0xFF);
    }
}
