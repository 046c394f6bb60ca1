package dev.iocp.core.win32;

import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Winsock sockaddr layouts in native memory: pure memory code, runs on any OS. */
class SockAddrsTest {
    private long mem;

    @BeforeEach
    void allocate() {
        mem = PlatformDependent.allocateMemory(128);
        PlatformDependent.setMemory(mem, 128, (byte) 0x5A); // garbage: encode must clear what it owns
    }

    @AfterEach
    void free() {
        PlatformDependent.freeMemory(mem);
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        PlatformDependent.copyMemory(mem, b, 0, n);
        return b;
    }

    @Test
    void ipv4LayoutIsFamilyLittleEndianPortBigEndian() throws Exception {
        int len = SockAddrs.encode(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0x1F90), mem);
        assertEquals(16, len);
        byte[] b = bytes(16);
        assertEquals(2, b[0]);          // AF_INET, low byte first
        assertEquals(0, b[1]);
        assertEquals(0x1F, b[2]);       // port 8080, network order
        assertEquals((byte) 0x90, b[3]);
        assertEquals(127, b[4]);
        assertEquals(1, b[7]);
        for (int i = 8; i < 16; i++) {
            assertEquals(0, b[i], "sin_zero[" + (i - 8) + "]");
        }
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 8080), SockAddrs.decode(mem, len));
    }

    @Test
    void ipv6LayoutAndRoundTrip() throws Exception {
        InetSocketAddress a = new InetSocketAddress(InetAddress.getByName("::1"), 65535);
        int len = SockAddrs.encode(a, mem);
        assertEquals(28, len);
        byte[] b = bytes(28);
        assertEquals(23, b[0]);         // Windows AF_INET6
        assertEquals(0, b[1]);
        assertEquals((byte) 0xFF, b[2]);
        assertEquals((byte) 0xFF, b[3]);
        for (int i = 4; i < 8; i++) {
            assertEquals(0, b[i], "flowinfo");
        }
        assertEquals(1, b[23]);          // ::1
        assertEquals(a, SockAddrs.decode(mem, len));
        assertEquals(Ws2_32.AF_INET6, SockAddrs.family(mem));
    }

    @Test
    void ipv6ScopeIdSurvives() throws Exception {
        byte[] raw = InetAddress.getByName("fe80::1").getAddress();
        InetSocketAddress a = new InetSocketAddress(Inet6Address.getByAddress(null, raw, 7), 443);
        int len = SockAddrs.encode(a, mem);
        assertEquals(7, PlatformDependent.getInt(mem + 24));
        InetSocketAddress back = SockAddrs.decode(mem, len);
        assertEquals(7, ((Inet6Address) back.getAddress()).getScopeId());
        assertEquals(443, back.getPort());
    }

    @Test
    void wildcardsAndRejections() {
        assertEquals("0.0.0.0", SockAddrs.wildcard(false).getAddress().getHostAddress());
        assertEquals(0, SockAddrs.wildcard(true).getPort());
        assertEquals(16, SockAddrs.encode(SockAddrs.wildcard(false), mem));
        assertEquals(28, SockAddrs.encode(SockAddrs.wildcard(true), mem));
        assertThrows(IllegalArgumentException.class,
                () -> SockAddrs.encode(InetSocketAddress.createUnresolved("example.org", 80), mem));
        PlatformDependent.putShort(mem, (short) 99);
        assertThrows(IllegalArgumentException.class, () -> SockAddrs.decode(mem, 28));
        SockAddrs.encode(SockAddrs.wildcard(true), mem);
        assertThrows(IllegalArgumentException.class, () -> SockAddrs.decode(mem, 16), "IN6 with IN length");
    }

    @Test
    void guidLayout() {
        WinsockExtensions.putGuid(mem, "b5367df1-cbac-11cf-95ca-00805f48a192"); // WSAID_ACCEPTEX
        byte[] b = bytes(16);
        byte[] expected = {(byte) 0xf1, 0x7d, 0x36, (byte) 0xb5, (byte) 0xac, (byte) 0xcb, (byte) 0xcf, 0x11,
                (byte) 0x95, (byte) 0xca, 0x00, (byte) 0x80, 0x5f, 0x48, (byte) 0xa1, (byte) 0x92};
        for (int i = 0; i < 16; i++) {
            assertEquals(expected[i], b[i], "GUID byte " + i);
        }
    }

    /** The JDK's mapping for a dual-stack AF_INET6 socket: 0.0.0.0 is ::, other IPv4 addresses IPv4-mapped. */
    @Test
    void dualStackEncodingMapsIpv4AndMakesTheIpv4WildcardTheIpv6One() throws Exception {
        int len = dev.iocp.core.backend.SockAddrCodec.WINDOWS.encodeDualStack(
                new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 8080), mem);
        assertEquals(28, len);
        byte[] b = bytes(28);
        assertEquals(23, b[0] & 0xFF, "AF_INET6");
        assertEquals(0x1F, b[2] & 0xFF);
        assertEquals(0x90, b[3] & 0xFF);
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, 127, 0, 0, 1};
        assertEquals(java.util.Arrays.toString(mapped), java.util.Arrays.toString(java.util.Arrays.copyOfRange(b, 8, 24)));
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 8080), SockAddrs.decode(mem, len),
                "an IPv4-mapped address comes back as the IPv4 one, as the JDK reports it");

        len = dev.iocp.core.backend.SockAddrCodec.WINDOWS.encodeDualStack(new InetSocketAddress(
                InetAddress.getByAddress(new byte[4]), 80), mem);
        assertEquals(28, len);
        assertEquals(java.util.Arrays.toString(new byte[16]),
                java.util.Arrays.toString(java.util.Arrays.copyOfRange(bytes(28), 8, 24)), "0.0.0.0 is ::");
        assertEquals(new InetSocketAddress(InetAddress.getByAddress(new byte[16]), 80), SockAddrs.decode(mem, len));

        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("::1"), 443);
        assertEquals(28, dev.iocp.core.backend.SockAddrCodec.WINDOWS.encodeDualStack(v6, mem));
        assertEquals(v6, SockAddrs.decode(mem, 28), "IPv6 addresses as they are");
    }
}
