package dev.iocp.core.win32;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.iocp.core.backend.IoException;
import io.netty.util.internal.PlatformDependent;

/**
 * AcceptEx, ConnectEx and GetAcceptExSockaddrs: Microsoft extensions that ws2_32 does not export by name; they are
 * asked from the socket's provider with WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER, GUID). Looked up once per
 * process on a throw-away TCP socket and cached: every TCP socket (IPv4 and IPv6) of the base provider answers with
 * the same pointers (what CPython's _overlapped and Python/Trio do; libuv looks them up once as well). A process
 * with a layered service provider that differs per family is not supported.
 *
 * <p>They are called through {@link Function#invokeInt(Object[])}, which boxes its arguments: acceptable because
 * accept and connect are per connection, not per message. Pointer-sized arguments are {@code Long}s (x64 only, see
 * {@link Kernel32}); DWORD/int arguments are {@code Integer}s. The last error is {@link Native#getLastError()}.
 */
public final class WinsockExtensions {
    /** The receive-less AcceptEx output: local then remote address, each sizeof(SOCKADDR_IN6) + 16 bytes. */
    public static final int ACCEPTEX_ADDRESS_LENGTH = SockAddrs.SOCKADDR_IN6_SIZE + 16; // 44
    public static final int ACCEPTEX_BUFFER_SIZE = 2 * ACCEPTEX_ADDRESS_LENGTH; // 88

    private static final String WSAID_ACCEPTEX = "b5367df1-cbac-11cf-95ca-00805f48a192";
    private static final String WSAID_CONNECTEX = "25a207b9-ddf3-4660-8ee9-76e58c74063e";
    private static final String WSAID_GETACCEPTEXSOCKADDRS = "b5367df2-cbac-11cf-95ca-00805f48a192";

    private static volatile WinsockExtensions instance;

    private final Function acceptEx;
    private final Function connectEx;
    private final Function getAcceptExSockaddrs;

    private WinsockExtensions(Function acceptEx, Function connectEx, Function getAcceptExSockaddrs) {
        this.acceptEx = acceptEx;
        this.connectEx = connectEx;
        this.getAcceptExSockaddrs = getAcceptExSockaddrs;
    }

    /** The cached functions; the first call looks them up (Winsock must be started). */
    public static WinsockExtensions get() throws IoException {
        WinsockExtensions e = instance;
        if (e == null) {
            synchronized (WinsockExtensions.class) {
                e = instance;
                if (e == null) {
                    e = instance = lookUp();
                }
            }
        }
        return e;
    }

    private static WinsockExtensions lookUp() throws IoException {
        Winsock.startup();
        long s = Ws2_32.WSASocketW(Ws2_32.AF_INET, Ws2_32.SOCK_STREAM, Ws2_32.IPPROTO_TCP, 0, 0,
                Ws2_32.WSA_FLAG_OVERLAPPED);
        if (s == Ws2_32.INVALID_SOCKET) {
            throw Win32Error.ERRORS.exception("WSASocketW", Native.getLastError());
        }
        // 16 bytes GUID, 8 bytes function pointer, 4 bytes bytesReturned.
        long mem = PlatformDependent.allocateMemory(32);
        try {
            return new WinsockExtensions(
                    lookUp(s, mem, WSAID_ACCEPTEX, "AcceptEx"),
                    lookUp(s, mem, WSAID_CONNECTEX, "ConnectEx"),
                    lookUp(s, mem, WSAID_GETACCEPTEXSOCKADDRS, "GetAcceptExSockaddrs"));
        } finally {
            PlatformDependent.freeMemory(mem);
            Ws2_32.closesocket(s);
        }
    }

    private static Function lookUp(long socket, long mem, String guid, String name) throws IoException {
        putGuid(mem, guid);
        PlatformDependent.putLong(mem + 16, 0L);
        int r = Ws2_32.WSAIoctl(socket, Ws2_32.SIO_GET_EXTENSION_FUNCTION_POINTER, mem, 16, mem + 16, 8, mem + 24, 0,
                0);
        if (r != 0) {
            throw Win32Error.ERRORS.exception("WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER " + name + ")",
                    Native.getLastError());
        }
        long fn = PlatformDependent.getLong(mem + 16);
        if (fn == 0) {
            throw Win32Error.ERRORS.exception("WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER " + name + ") gave NULL",
                    Win32Error.WSAEINVAL);
        }
        return Function.getFunction(new Pointer(fn));
    }

    /** Writes a GUID in its in-memory layout: Data1 (LE u32), Data2 (LE u16), Data3 (LE u16), Data4 (8 bytes in order). */
    static void putGuid(long address, String guid) {
        String hex = guid.replace("-", "");
        long data1 = Long.parseLong(hex.substring(0, 8), 16);
        int data2 = Integer.parseInt(hex.substring(8, 12), 16);
        int data3 = Integer.parseInt(hex.substring(12, 16), 16);
        PlatformDependent.putByte(address, (byte) data1);
        PlatformDependent.putByte(address + 1, (byte) (data1 >>> 8));
        PlatformDependent.putByte(address + 2, (byte) (data1 >>> 16));
        PlatformDependent.putByte(address + 3, (byte) (data1 >>> 24));
        PlatformDependent.putByte(address + 4, (byte) data2);
        PlatformDependent.putByte(address + 5, (byte) (data2 >>> 8));
        PlatformDependent.putByte(address + 6, (byte) data3);
        PlatformDependent.putByte(address + 7, (byte) (data3 >>> 8));
        for (int i = 0; i < 8; i++) {
            PlatformDependent.putByte(address + 8 + i, (byte) Integer.parseInt(hex.substring(16 + 2 * i, 18 + 2 * i), 16));
        }
    }

    /**
     * {@code BOOL AcceptEx(listen, accept, outputBuffer, 0, 44, 44, &bytes, overlapped)} with no receive data: the
     * accept completes on connection, not on first data. Returns the BOOL; on 0 read {@link Native#getLastError()}.
     */
    public int acceptEx(long listenSocket, long acceptSocket, long outputBuffer, long bytesReceived, long overlapped) {
        return acceptEx.invokeInt(new Object[] {
                listenSocket, acceptSocket, outputBuffer, 0, ACCEPTEX_ADDRESS_LENGTH, ACCEPTEX_ADDRESS_LENGTH,
                bytesReceived, overlapped});
    }

    /** {@code BOOL ConnectEx(s, name, nameLen, NULL, 0, &bytesSent, overlapped)}: connect only, no data. */
    public int connectEx(long socket, long name, int nameLength, long bytesSent, long overlapped) {
        return connectEx.invokeInt(new Object[] {socket, name, nameLength, 0L, 0, bytesSent, overlapped});
    }

    /**
     * {@code GetAcceptExSockaddrs(buffer, 0, 44, 44, &local, &localLen, &remote, &remoteLen)}: writes two pointers
     * (into {@code buffer}) and two ints at {@code out}: local at +0, remote at +8, localLen at +16, remoteLen at +20.
     */
    public void getAcceptExSockaddrs(long buffer, long out) {
        getAcceptExSockaddrs.invokeVoid(new Object[] {
                buffer, 0, ACCEPTEX_ADDRESS_LENGTH, ACCEPTEX_ADDRESS_LENGTH, out, out + 16, out + 8, out + 20});
    }
}
