package dev.iocp.core.win32;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * ws2_32 functions, bound by JNA direct mapping with {@code int}/{@code long} arguments only (conventions, x64-only
 * and last-error handling: see {@link Kernel32}). A SOCKET is a {@code long}; {@link #INVALID_SOCKET} is ~0.
 * Functions returning {@code int} return 0 on success and {@link #SOCKET_ERROR} on failure, the error then being
 * {@link Native#getLastError()} (the same slot WSAGetLastError reads).
 *
 * <p>AcceptEx, ConnectEx and GetAcceptExSockaddrs are not here: they are Winsock extension functions obtained at run
 * time, see {@link WinsockExtensions}.
 */
public final class Ws2_32 {
    private Ws2_32() {}

    static {
        Native.register(Ws2_32.class, NativeLibrary.getInstance("ws2_32"));
    }

    public static final long INVALID_SOCKET = -1L;
    public static final int SOCKET_ERROR = -1;

    public static final int AF_INET = 2;
    /** Windows' value; Linux's is 10. */
    public static final int AF_INET6 = 23;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_UDP = 17;
    public static final int IPPROTO_IPV6 = 41;

    public static final int WSA_FLAG_OVERLAPPED = 0x01;
    /** The socket handle is not inherited by child processes (Windows 7 SP1+). */
    public static final int WSA_FLAG_NO_HANDLE_INHERIT = 0x80;

    public static final int SOL_SOCKET = 0xFFFF;
    public static final int SO_REUSEADDR = 0x0004;
    public static final int SO_KEEPALIVE = 0x0008;
    public static final int SO_BROADCAST = 0x0020;
    public static final int SO_LINGER = 0x0080;
    public static final int SO_SNDBUF = 0x1001;
    public static final int SO_RCVBUF = 0x1002;
    /** {@code ((int) (~SO_REUSEADDR))}. */
    public static final int SO_EXCLUSIVEADDRUSE = ~SO_REUSEADDR;
    public static final int SO_UPDATE_ACCEPT_CONTEXT = 0x700B;
    public static final int SO_UPDATE_CONNECT_CONTEXT = 0x7010;
    /** getsockopt: the WSAPROTOCOL_INFOW of the provider that made the socket (its first field: dwServiceFlags1). */
    public static final int SO_PROTOCOL_INFOW = 0x2005;
    /** sizeof(WSAPROTOCOL_INFOW): 20 bytes of flags, GUID, catalog id, WSAPROTOCOLCHAIN, 10 ints, WCHAR[256]. */
    public static final int WSAPROTOCOL_INFOW_SIZE = 628;
    /**
     * dwServiceFlags1 bit: the provider's sockets are real IFS handles, so the I/O manager completes their I/O and
     * SetFileCompletionNotificationModes means what it says. A non-IFS layered provider (LSP) completes I/O itself,
     * and with FILE_SKIP_COMPLETION_PORT_ON_SUCCESS its immediate successes could be mis-reported.
     */
    public static final int XP1_IFS_HANDLES = 0x00020000;
    public static final int TCP_NODELAY = 0x0001;
    /** ws2ipdef.h: the keep-alive idle time in seconds (TCP_KEEPIDLE's Windows name), Windows 10 1709+. */
    public static final int TCP_KEEPALIVE = 3;
    /** ws2ipdef.h: unanswered probes before the connection is dropped, Windows 10 1703+. */
    public static final int TCP_KEEPCNT = 16;
    /** ws2ipdef.h: seconds between probes, Windows 10 1709+. */
    public static final int TCP_KEEPINTVL = 17;
    /** IPPROTO_IPV6 option: 1 (Windows' default) keeps an AF_INET6 socket off IPv4; 0 makes it dual-stack. */
    public static final int IPV6_V6ONLY = 27;
    /**
     * SOL_SOCKET option (Windows 10 / Server 2016 on): a wildcard bind with port 0 defers choosing the local port
     * to the connect, which may then share it with other connections whose 4-tuple differs, instead of reserving
     * one ephemeral port per socket at bind. Older systems refuse it (WSAENOPROTOOPT).
     */
    public static final int SO_REUSE_UNICASTPORT = 0x3007;

    /**
     * {@code _WSAIOW(IOC_VENDOR, 17)}: sets the initial RTT estimate and the SYN retransmission limit of a socket's
     * next connect (TCP_INITIAL_RTO_PARAMETERS: USHORT Rtt; UCHAR MaxSynRetransmissions; 4 bytes with padding).
     */
    public static final int SIO_TCP_INITIAL_RTO = 0x98000011;
    public static final int TCP_INITIAL_RTO_PARAMETERS_SIZE = 4;
    /** TCP_INITIAL_RTO_PARAMETERS.Rtt: let the system (its administrator's setting) choose. */
    public static final short TCP_INITIAL_RTO_UNSPECIFIED_RTT = (short) 0xFFFF;
    /**
     * TCP_INITIAL_RTO_PARAMETERS.MaxSynRetransmissions: send the SYN once, never again (Windows 10 1709, build
     * 16299, on; an earlier Windows would read the value as 254 retransmissions).
     */
    public static final byte TCP_INITIAL_RTO_NO_SYN_RETRANSMISSIONS = (byte) 0xFE;

    /**
     * {@code _WSAIOW(IOC_VENDOR, 12)}: with a BOOL FALSE, an ICMP port-unreachable answering a datagram no longer
     * fails the UDP socket's next receive with WSAECONNRESET (libuv's and .NET's UDP sockets turn it off).
     */
    public static final int SIO_UDP_CONNRESET = 0x9800000C;

    public static final int SD_RECEIVE = 0;
    public static final int SD_SEND = 1;
    public static final int SD_BOTH = 2;

    /** {@code _WSAIORW(IOC_WS2, 6)}. */
    public static final int SIO_GET_EXTENSION_FUNCTION_POINTER = 0xC8000006;

    /** WSADATA on x64: wVersion, wHighVersion, iMaxSockets, iMaxUdpDg, lpVendorInfo, szDescription[257], szSystemStatus[129]. */
    public static final int WSADATA_SIZE = 408;
    public static final int WSADATA_VERSION = 0;
    public static final int WSADATA_DESCRIPTION = 16;
    public static final int WSADESCRIPTION_LEN = 257;
    public static final int WSADATA_SYSTEM_STATUS = 16 + 257;
    public static final int WSASYS_STATUS_LEN = 129;

    /** Returns the error directly (no last error). */
    public static native int WSAStartup(short versionRequested, long wsaData);

    public static native long WSASocketW(int af, int type, int protocol, long protocolInfo, int group, int flags);

    public static native int bind(long s, long name, int nameLen);

    /** FIONREAD for {@link #ioctlsocket}: bytes a recv would return now. */
    public static final int FIONREAD = 0x4004667F;

    public static native int ioctlsocket(long s, int cmd, long argp);

    /** FIONBIO for {@link #ioctlsocket}: a non-zero u_long makes the socket non-blocking (overlapped ops unaffected). */
    public static final int FIONBIO = 0x8004667E;

    /** A plain receive; on a non-blocking socket it fails with WSAEWOULDBLOCK instead of waiting. */
    public static native int recv(long s, long buf, int len, int flags);

    public static native int listen(long s, int backlog);

    public static native int closesocket(long s);

    public static native int shutdown(long s, int how);

    public static native int setsockopt(long s, int level, int optName, long optVal, int optLen);

    /** {@code optLen} is an int* in/out. */
    public static native int getsockopt(long s, int level, int optName, long optVal, long optLen);

    /** {@code nameLen} is an int* in/out. */
    public static native int getsockname(long s, long name, long nameLen);

    public static native int getpeername(long s, long name, long nameLen);

    public static native int WSAIoctl(long s, int ioControlCode, long inBuffer, int inBufferLen, long outBuffer,
                                      int outBufferLen, long bytesReturned, long overlapped, long completionRoutine);

    /**
     * Overlapped receive into {@code count} WSABUFs at {@code buffers}; {@code flags} is a DWORD* in/out.
     * {@code bytesReceived} (a DWORD*, or 0) is written only when the call completes at once (it returns 0); when it
     * pends, the count comes with the packet. Pass memory that stays valid until the packet (the op's own).
     */
    public static native int WSARecv(long s, long buffers, int count, long bytesReceived, long flags, long overlapped,
                                     long completionRoutine);

    public static native int WSASend(long s, long buffers, int count, long bytesSent, int flags, long overlapped,
                                     long completionRoutine);

    /**
     * Overlapped receive of one datagram into {@code count} WSABUFs; the sender's address is written to {@code from}
     * and its length to {@code fromLen} (an int* in/out, set to the room at {@code from} before the call) — both
     * the kernel's until the packet, so both must live in the op's own memory.
     */
    public static native int WSARecvFrom(long s, long buffers, int count, long bytesReceived, long flags, long from,
                                         long fromLen, long overlapped, long completionRoutine);

    /** Overlapped send of one datagram gathering {@code count} WSABUFs to {@code to} (0 with 0: the connected peer). */
    public static native int WSASendTo(long s, long buffers, int count, long bytesSent, int flags, long to, int toLen,
                                       long overlapped, long completionRoutine);

    /** A UDP socket's connect: synchronous (nothing is exchanged); an all-zero address dissolves the association. */
    public static native int connect(long s, long name, int nameLen);

    public static native int WSAGetLastError();

    /** {@code wait} must be 0 here (FALSE): the loop only asks after the packet, when the op is final. */
    public static native int WSAGetOverlappedResult(long s, long overlapped, long bytesTransferred, int wait,
                                                    long flags);
}
