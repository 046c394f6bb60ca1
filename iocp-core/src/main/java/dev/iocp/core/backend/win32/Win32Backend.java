package dev.iocp.core.backend.win32;

import com.sun.jna.Native;
import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.BatchFailures;
import dev.iocp.core.backend.CancelResult;
import dev.iocp.core.backend.CompletionSink;
import dev.iocp.core.backend.InlineCompletions;
import dev.iocp.core.backend.IoException;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpSlab;
import dev.iocp.core.backend.SocketOpt;
import dev.iocp.core.backend.SockAddrCodec;
import dev.iocp.core.win32.Kernel32;
import dev.iocp.core.win32.NtStatus;
import dev.iocp.core.win32.Ntdll;
import dev.iocp.core.win32.SockAddrs;
import dev.iocp.core.win32.UnsupportedJvmException;
import dev.iocp.core.win32.Win32Error;
import dev.iocp.core.win32.Winsock;
import dev.iocp.core.win32.WinsockExtensions;
import dev.iocp.core.win32.Ws2_32;
import io.netty.util.collection.LongObjectHashMap;
import io.netty.util.internal.PlatformDependent;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.UncheckedIOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongPredicate;

/**
 * The {@link Backend} over one Windows I/O completion port (x64 only: see {@link Kernel32}).
 *
 * <h2>How an op travels</h2>
 * Every socket is associated with the port with completion key = its SOCKET handle. A submit zeroes the op's
 * OVERLAPPED (offset 0 of its native area, laid out by {@link Win32Slot}), encodes its buffers as WSABUFs there, and
 * calls the overlapped function with the OVERLAPPED's address. {@link #poll} dequeues OVERLAPPED_ENTRYs with
 * GetQueuedCompletionStatusEx and finds the op from the OVERLAPPED address with {@link Win32Slot#fromOverlapped}
 * (one read, no lookup table).
 *
 * <h2>Errors</h2>
 * Win32 numbers enter the SPI at three points, each translated by {@link Win32Error#ERRORS} there and nowhere
 * else: a failed submit ({@link #submitFailed}), a failed packet ({@link #poll}), a failed synchronous call
 * ({@link #failure}).
 *
 * <h2>Skip-on-success mode: fewer kernel calls, one completion path</h2>
 * {@link #register} puts every socket it associates with the port in FILE_SKIP_COMPLETION_PORT_ON_SUCCESS mode
 * (with FILE_SKIP_SET_EVENT_ON_HANDLE: nobody waits on a socket handle), where that is safe: the socket's provider
 * makes IFS handles (XP1_IFS_HANDLES in the WSAPROTOCOL_INFOW that getsockopt(SO_PROTOCOL_INFOW) reports for the
 * socket itself). A non-IFS layered provider (LSP) completes I/O in user mode, and Windows' documentation and
 * libuv both keep such sockets out of the mode. In the mode an op that succeeds at once posts no packet (Wine fact
 * 7): its result goes into this backend's {@link InlineCompletions} queue instead, and the next {@link #poll} hands
 * it to the sink like a packet — before reading the port, and without reading it at all when the previous poll did
 * (how the port is still never starved is stated in {@link InlineCompletions}). A strict ping-pong so saves the
 * GetQueuedCompletionStatusEx that would dequeue its send's packet.
 * <p>The mode is per socket, and a socket's mode must be known exactly at each submit: believing a socket is in
 * the mode when it is not would complete its op twice (inline and by its packet), believing the opposite would
 * leave the op in flight forever. The mode of a socket is set once, by {@code register}, before any op can be
 * submitted on it, and can never be unset; {@link #portCompletionSockets} lists, while the mode is on for this
 * backend, the registered sockets whose provider is not IFS or whose SetFileCompletionNotificationModes failed —
 * every other socket registered here is in the mode. A socket handle value that comes back (a closed socket's value
 * reused) is registered again, which rewrites its entry. {@code -D}{@value #SKIP_PROPERTY}{@code =false} turns the
 * mode off: every op then completes through the port, as before.
 *
 * <h2>Invariants kept here</h2>
 * <ul>
 *   <li><b>Exactly one packet per successful submit.</b> A submit that returns 0 (immediate success) or
 *       WSA_IO_PENDING has queued, or will queue, one packet — from the port, or, for an immediate success on a
 *       socket in skip-on-success mode, from the inline queue; we mark the op in flight and return 0. An immediate
 *       failure posts nothing in either mode: the submit returns the error.</li>
 *   <li><b>The packet is the only truth</b> (invariant 1, ARCHITECTURE.md): {@link #cancel} only asks; whatever it returns,
 *       the op's packet comes and is handed to the sink as it is, data included.</li>
 *   <li><b>The kernel owns the op's memory from submit to packet</b> (invariant 2): nothing here frees or reuses a
 *       slot; the slab refuses to. {@link #close(long, boolean)} closes a socket with ops in flight: their packets
 *       still come (aborted) and are dispatched like any other.</li>
 *   <li><b>Every dequeued entry reaches the sink</b>, even if the sink throws for an earlier one in the batch: a
 *       dequeued packet cannot be dequeued again, so dropping it would leak its op in flight forever.</li>
 * </ul>
 *
 * <h2>Threading</h2>
 * Everything but {@link #wakeup()} runs on the loop thread, so the per-backend native scratch memory used by the
 * synchronous calls and by poll needs no locking; nothing is allocated per op or per packet.
 */
public final class Win32Backend implements Backend {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(Win32Backend.class);

    public static final int DEFAULT_BATCH_SIZE = 64;
    /**
     * Completion key of wake-up packets (posted with a NULL OVERLAPPED). Socket keys are SOCKET handles, which are
     * kernel handles: multiples of 4, never ~0, so this cannot collide.
     */
    static final long WAKEUP_KEY = -1L;
    /** The system property that turns skip-on-success mode off ({@code false}); on by default. */
    public static final String SKIP_PROPERTY = "iocp.win32.skipCompletionPortOnSuccess";
    private static final byte SKIP_MODES =
            (byte) (Kernel32.FILE_SKIP_COMPLETION_PORT_ON_SUCCESS | Kernel32.FILE_SKIP_SET_EVENT_ON_HANDLE);

    // Layout of the synchronous-call scratch block (loop thread only).
    private static final int SYNC_SOCKADDR = 0;          // 128 bytes: a sockaddr for bind/getsockname/...
    private static final int SYNC_LENGTH = 128;          // int: an in/out length
    private static final int SYNC_VALUE = 136;           // 8 bytes: an option value, a SOCKET
    private static final int SYNC_NUM_REMOVED = 144;     // ULONG: GQCSEx's count
    private static final int SYNC_OVR_BYTES = 148;       // DWORD: WSAGetOverlappedResult's byte count
    private static final int SYNC_OVR_FLAGS = 152;       // DWORD: WSAGetOverlappedResult's flags
    private static final int SYNC_PROTOCOL_INFO = 160;   // WSAPROTOCOL_INFOW (628 bytes) for the IFS check
    /**
     * 8 bytes nobody writes: the buffer a zero-byte WSARecv names. Its WSABUF has length 0, so the kernel reads and
     * writes none of it, but the pointer is valid, as libuv passes one: a NULL buf is a bad pointer to a layered
     * provider that checks (WSAEFAULT). It lives as long as the backend, which outlives every op (invariant 2).
     */
    private static final int SYNC_EMPTY_RECEIVE_BUFFER = SYNC_PROTOCOL_INFO + 640;
    private static final int SYNC_SIZE = SYNC_EMPTY_RECEIVE_BUFFER + 8;

    private final long port;
    private final int batchSize;
    private final long entries;
    private final long sync;
    private final WinsockExtensions extensions;
    /** Whether {@link #register} puts sockets in skip-on-success mode. */
    private final boolean skipCompletionPortOnSuccess;
    /** While the mode is on: the registered sockets that are not in it (see the class comment). Usually empty. */
    private final LongObjectHashMap<Boolean> portCompletionSockets = new LongObjectHashMap<>();
    /**
     * SO_REUSEADDR values set on sockets already bound, where they change nothing (see {@link #setOption}), by
     * socket; an entry goes with its socket's close. Usually empty.
     */
    private final LongObjectHashMap<Integer> reuseAddressAfterBind = new LongObjectHashMap<>();
    /** Immediate successes on sockets in skip-on-success mode, waiting for the next poll. */
    private final InlineCompletions inline = new InlineCompletions();
    private long portReads;
    private boolean closed;
    /** Tests only: sockets registered as if SetFileCompletionNotificationModes had refused them (null: none). */
    private final LongPredicate refuseSkipMode;
    /** Sums over the backends of this process that have closed (diagnostics: tests show the mode was exercised). */
    private static final AtomicLong CLOSED_INLINE_COMPLETIONS = new AtomicLong();
    private static final AtomicLong CLOSED_PORT_READS = new AtomicLong();

    /** A backend with the default batch size, in skip-on-success mode unless {@value #SKIP_PROPERTY} is false. */
    public Win32Backend() throws IoException {
        this(DEFAULT_BATCH_SIZE);
    }

    /** @param batchSize how many packets one {@link #poll} may dequeue at most */
    public Win32Backend(int batchSize) throws IoException {
        this(batchSize, skipCompletionPortOnSuccessByDefault());
    }

    /** {@return whether backends made without saying are in skip-on-success mode: unless {@value #SKIP_PROPERTY} is false} */
    public static boolean skipCompletionPortOnSuccessByDefault() {
        return !"false".equalsIgnoreCase(System.getProperty(SKIP_PROPERTY, "true"));
    }

    /**
     * @param batchSize how many packets one {@link #poll} may dequeue at most
     * @param skipCompletionPortOnSuccess whether sockets registered here are put in skip-on-success mode where safe
     */
    public Win32Backend(int batchSize, boolean skipCompletionPortOnSuccess) throws IoException {
        this(batchSize, skipCompletionPortOnSuccess, null);
    }

    /**
     * For fault injection: a backend in skip-on-success mode on which the sockets {@code refuseSkipMode} names are
     * registered as if SetFileCompletionNotificationModes had failed for them (they complete through the port).
     *
     * @param batchSize how many packets one {@link #poll} may dequeue at most
     * @param skipCompletionPortOnSuccess whether sockets registered here are put in skip-on-success mode where safe
     * @param refuseSkipMode which sockets to refuse the mode (null: none)
     */
    public Win32Backend(int batchSize, boolean skipCompletionPortOnSuccess, LongPredicate refuseSkipMode)
            throws IoException {
        this.skipCompletionPortOnSuccess = skipCompletionPortOnSuccess;
        this.refuseSkipMode = refuseSkipMode;
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize " + batchSize);
        }
        // First, before any binding is called: on a 32-bit JVM every call would pass pointers wrong.
        UnsupportedJvmException.requireSixtyFourBit();
        requireNativeMemoryAccess();
        Winsock.startup();
        this.extensions = WinsockExtensions.get();
        // One thread of concurrency: the port is drained by its one loop thread.
        long p = Kernel32.CreateIoCompletionPort(Kernel32.INVALID_HANDLE_VALUE, 0, 0, 1);
        if (p == 0) {
            throw failure("CreateIoCompletionPort");
        }
        this.port = p;
        this.batchSize = batchSize;
        this.entries = PlatformDependent.allocateMemory((long) batchSize * Kernel32.OVERLAPPED_ENTRY_SIZE);
        this.sync = PlatformDependent.allocateMemory(SYNC_SIZE);
        PlatformDependent.setMemory(sync, SYNC_SIZE, (byte) 0);
    }

    /**
     * Op slots, OVERLAPPED_ENTRYs and scratch are raw native memory read and written through netty-common's
     * {@link PlatformDependent}, which needs sun.misc.Unsafe. Netty turns that off by default on Java 25+ unless the
     * JVM runs with {@code --sun-misc-unsafe-memory-access=allow}; fail here, with the remedy, rather than with a
     * NullPointerException inside the first allocation.
     */
    private static void requireNativeMemoryAccess() {
        if (!PlatformDependent.hasUnsafe()) {
            throw new IllegalStateException("the Win32 backend needs sun.misc.Unsafe for native memory (netty-common "
                    + "PlatformDependent); on Java 25+ start the JVM with --sun-misc-unsafe-memory-access=allow",
                    PlatformDependent.getUnsafeUnavailabilityCause());
        }
    }

    @Override
    public String name() {
        return "win32";
    }

    /** The completion port handle (for diagnostics and tests). */
    public long port() {
        return port;
    }

    /** {@return whether this backend puts the sockets it registers in skip-on-success mode (where safe)} */
    public boolean skipCompletionPortOnSuccess() {
        return skipCompletionPortOnSuccess;
    }

    /**
     * {@return whether an immediate success on this registered socket posts no packet (it completes inline)}
     *
     * @param socket a socket registered with this backend
     */
    public boolean skipsPortOnSuccess(long socket) {
        return skipCompletionPortOnSuccess
                && (portCompletionSockets.isEmpty() || !portCompletionSockets.containsKey(socket));
    }

    /** {@return ops completed inline so far (immediate successes on sockets in skip-on-success mode)} */
    public long inlineCompletions() {
        return inline.added();
    }

    /** {@return inline completions waiting for the next poll} */
    public int inlineCompletionsWaiting() {
        return inline.size();
    }

    /** {@return GetQueuedCompletionStatusEx calls made so far} */
    public long portReads() {
        return portReads;
    }

    /** {@return inline completions of every Win32 backend of this process that has closed} */
    public static long closedBackendsInlineCompletions() {
        return CLOSED_INLINE_COMPLETIONS.get();
    }

    /** {@return GetQueuedCompletionStatusEx calls of every Win32 backend of this process that has closed} */
    public static long closedBackendsPortReads() {
        return CLOSED_PORT_READS.get();
    }

    // ------------------------------------------------------------------------------------------ sockets

    /** A synchronous call failed: its last error, as the SPI reports it (an egress point of Win32 numbers). */
    private static IoException failure(String call) {
        return Win32Error.ERRORS.exception(call, Native.getLastError());
    }

    /**
     * Dual-stack, as the JDK's sockets are on Windows: when the system has IPv6 (every Windows since Vista does, a
     * loopback at least), every socket is AF_INET6 with IPV6_V6ONLY off, whatever {@code ipv6} says, and IPv4
     * addresses are given to it in their IPv4-mapped form ({@link #encodeAddress}). So a listener bound to
     * {@code 0.0.0.0} or {@code ::} accepts IPv4 and IPv6 clients alike — on an AF_INET socket {@code 0.0.0.0} would
     * be IPv4 only, and a client that tries {@code ::1} first for "localhost" would stall on the refusal — while one
     * bound to {@code 127.0.0.1} still accepts IPv4 only. Addresses come back as the JDK reports them: an IPv4-mapped
     * one as the IPv4 address ({@link SockAddrCodec#decode}). Where IPv6 is missing, sockets are what {@code ipv6}
     * asks. docs/windows-sockets.md states the meaning of each address.
     */
    @Override
    public long openTcpSocket(boolean ipv6) throws IoException {
        boolean dualStack = DualStack.AVAILABLE;
        long s = newSocket(dualStack || ipv6 ? Ws2_32.AF_INET6 : Ws2_32.AF_INET);
        try {
            if (dualStack) {
                PlatformDependent.putInt(sync + SYNC_VALUE, 0);
                if (Ws2_32.setsockopt(s, Ws2_32.IPPROTO_IPV6, Ws2_32.IPV6_V6ONLY, sync + SYNC_VALUE, 4) != 0) {
                    throw failure("setsockopt IPV6_V6ONLY");
                }
            }
            register(s);
        } catch (IoException e) {
            Ws2_32.closesocket(s);
            throw e;
        }
        return s;
    }

    /** Whether sockets are dual-stack AF_INET6 ones: decided once per process, as the JDK decides (IPv6 exists). */
    private static final class DualStack {
        static final boolean AVAILABLE = probe();

        private static boolean probe() {
            try {
                Winsock.startup();
            } catch (IoException e) {
                return false; // no Winsock at all: the backend's own start-up reports it
            }
            long s = Ws2_32.WSASocketW(Ws2_32.AF_INET6, Ws2_32.SOCK_STREAM, Ws2_32.IPPROTO_TCP, 0, 0,
                    Ws2_32.WSA_FLAG_OVERLAPPED | Ws2_32.WSA_FLAG_NO_HANDLE_INHERIT);
            if (s == Ws2_32.INVALID_SOCKET) {
                logger.debug("no IPv6 (socket: {}): sockets are IPv4 or IPv6 as asked, not dual-stack",
                        Win32Error.ERRORS.describe(Native.getLastError()));
                return false;
            }
            Ws2_32.closesocket(s);
            return true;
        }
    }

    /** Encodes an address for one of our sockets: IPv4 ones mapped when sockets are dual-stack. */
    private static int encodeAddress(InetSocketAddress address, long at) {
        return DualStack.AVAILABLE ? SockAddrCodec.WINDOWS.encodeDualStack(address, at) : SockAddrs.encode(address, at);
    }

    /** An overlapped, non-inheritable TCP socket, not associated with any port. */
    private static long newSocket(int family) throws IoException {
        long s = Ws2_32.WSASocketW(family, Ws2_32.SOCK_STREAM, Ws2_32.IPPROTO_TCP, 0, 0,
                Ws2_32.WSA_FLAG_OVERLAPPED | Ws2_32.WSA_FLAG_NO_HANDLE_INHERIT);
        if (s == Ws2_32.INVALID_SOCKET) {
            throw failure("socket");
        }
        return s;
    }

    @Override
    public void register(long socket) throws IoException {
        // Completion key = the socket: poll does not need it (the OVERLAPPED finds the op), it is for diagnostics.
        if (Kernel32.CreateIoCompletionPort(socket, port, socket, 0) == 0) {
            throw failure("register (CreateIoCompletionPort)");
        }
        // Non-blocking, for receiveNow after a readiness receive (a zero-byte WSARecv): a plain recv must never
        // wait. Overlapped ops are not affected by the mode.
        PlatformDependent.putInt(sync + SYNC_VALUE, 1);
        if (Ws2_32.ioctlsocket(socket, Ws2_32.FIONBIO, sync + SYNC_VALUE) != 0) {
            throw failure("register (ioctlsocket FIONBIO)");
        }
        if (skipCompletionPortOnSuccess) {
            // Before any op can be submitted on the socket: its mode must be known at every submit (class comment).
            if (providerMakesIfsHandles(socket) && (refuseSkipMode == null || !refuseSkipMode.test(socket))
                    && Kernel32.SetFileCompletionNotificationModes(socket, SKIP_MODES) != 0) {
                portCompletionSockets.remove(socket);
            } else {
                logger.debug("socket {} completes every op through the port (no skip-on-success mode)", socket);
                portCompletionSockets.put(socket, Boolean.TRUE);
            }
        }
    }

    /**
     * Whether the provider that made this socket makes IFS handles (dwServiceFlags1 has XP1_IFS_HANDLES), asked of
     * the socket itself (getsockopt SO_PROTOCOL_INFOW): what the OS chose for it, LSPs included. libuv asks the same
     * of one probe socket per address family at start-up; asking each socket costs one call per connection, not per
     * message, and needs no family. If the question itself fails, the answer is no: the port path is always safe.
     */
    private boolean providerMakesIfsHandles(long socket) {
        long info = sync + SYNC_PROTOCOL_INFO;
        PlatformDependent.putInt(sync + SYNC_LENGTH, Ws2_32.WSAPROTOCOL_INFOW_SIZE);
        PlatformDependent.putInt(info, 0);
        if (Ws2_32.getsockopt(socket, Ws2_32.SOL_SOCKET, Ws2_32.SO_PROTOCOL_INFOW, info, sync + SYNC_LENGTH) != 0) {
            logger.debug("getsockopt(SO_PROTOCOL_INFOW) on {} failed: {}", socket,
                    Win32Error.ERRORS.describe(Native.getLastError()));
            return false;
        }
        return (PlatformDependent.getInt(info) & Ws2_32.XP1_IFS_HANDLES) != 0;
    }

    @Override
    public void bind(long socket, InetSocketAddress address) throws IoException {
        int len = encodeAddress(address, sync + SYNC_SOCKADDR);
        if (Ws2_32.bind(socket, sync + SYNC_SOCKADDR, len) != 0) {
            throw failure("bind " + address);
        }
    }

    @Override
    public void listen(long socket, int backlog) throws IoException {
        if (Ws2_32.listen(socket, backlog) != 0) {
            throw failure("listen");
        }
    }

    @Override
    public InetSocketAddress localAddress(long socket) throws IoException {
        int error = getsockname(socket);
        if (error != 0) {
            throw Win32Error.ERRORS.exception("getsockname", error);
        }
        return SockAddrs.decode(sync + SYNC_SOCKADDR, PlatformDependent.getInt(sync + SYNC_LENGTH));
    }

    /** getsockname into the sync sockaddr area; returns 0 or the error (WSAEINVAL: not bound yet). */
    private int getsockname(long socket) {
        PlatformDependent.putInt(sync + SYNC_LENGTH, 128);
        return Ws2_32.getsockname(socket, sync + SYNC_SOCKADDR, sync + SYNC_LENGTH) == 0 ? 0 : Native.getLastError();
    }

    @Override
    public InetSocketAddress remoteAddress(long socket) throws IoException {
        PlatformDependent.putInt(sync + SYNC_LENGTH, 128);
        if (Ws2_32.getpeername(socket, sync + SYNC_SOCKADDR, sync + SYNC_LENGTH) != 0) {
            throw failure("getpeername");
        }
        return SockAddrs.decode(sync + SYNC_SOCKADDR, PlatformDependent.getInt(sync + SYNC_LENGTH));
    }

    /**
     * SO_REUSEADDR does not mean on Windows what it means on Unix. The Unix meaning ("let a listener rebind while old
     * connections sit in TIME_WAIT") is Windows' default behaviour without any option; Winsock's SO_REUSEADDR
     * additionally lets <em>another</em> socket bind the same port and steal its connections. So we never pass it
     * to Winsock: {@code SO_REUSEADDR=1} keeps the default, {@code SO_REUSEADDR=0} asks for SO_EXCLUSIVEADDRUSE
     * (nobody else may bind the port; set it before bind). Reading it back gives {@code !SO_EXCLUSIVEADDRUSE}.
     */
    @Override
    public void setOption(long socket, SocketOpt option, int value) throws IoException {
        int level = level(option);
        int name = optionName(option);
        if (option == SocketOpt.SO_REUSEADDR) {
            if (getsockname(socket) == 0) {
                // Bound already (a listener after bind, an accepted or connected socket): Windows documents both
                // options as meaningful only before bind, so there is nothing left to change. The value is kept, as
                // the JDK keeps it, so that reading it back says what was asked.
                reuseAddressAfterBind.put(socket, Integer.valueOf(value != 0 ? 1 : 0));
                return;
            }
            value = value != 0 ? 0 : 1;
        }
        // All of them are DWORD/BOOL-sized options.
        PlatformDependent.putInt(sync + SYNC_VALUE, value);
        if (Ws2_32.setsockopt(socket, level, name, sync + SYNC_VALUE, 4) != 0) {
            throw failure("setsockopt " + option);
        }
    }

    @Override
    public int bytesAvailable(long socket) throws IoException {
        PlatformDependent.putInt(sync + SYNC_VALUE, 0);
        if (Ws2_32.ioctlsocket(socket, Ws2_32.FIONREAD, sync + SYNC_VALUE) != 0) {
            throw failure("ioctlsocket (FIONREAD)");
        }
        return PlatformDependent.getInt(sync + SYNC_VALUE);
    }

    @Override
    public int getOption(long socket, SocketOpt option) throws IoException {
        PlatformDependent.putLong(sync + SYNC_VALUE, 0L);
        PlatformDependent.putInt(sync + SYNC_LENGTH, 4);
        if (Ws2_32.getsockopt(socket, level(option), optionName(option), sync + SYNC_VALUE, sync + SYNC_LENGTH) != 0) {
            throw failure("getsockopt " + option);
        }
        int len = PlatformDependent.getInt(sync + SYNC_LENGTH);
        // BOOL options may come back as one byte (TCP_NODELAY on some stacks): read what was written.
        int value = len == 1 ? PlatformDependent.getByte(sync + SYNC_VALUE) & 0xFF
                : PlatformDependent.getInt(sync + SYNC_VALUE);
        if (option == SocketOpt.SO_REUSEADDR) {
            Integer askedAfterBind = reuseAddressAfterBind.isEmpty() ? null : reuseAddressAfterBind.get(socket);
            return askedAfterBind != null ? askedAfterBind : value != 0 ? 0 : 1;
        }
        return value;
    }

    private static int level(SocketOpt option) {
        return option.tcpLevel() ? Ws2_32.IPPROTO_TCP : Ws2_32.SOL_SOCKET;
    }

    private static int optionName(SocketOpt option) {
        switch (option) {
            case TCP_NODELAY: return Ws2_32.TCP_NODELAY;
            case SO_KEEPALIVE: return Ws2_32.SO_KEEPALIVE;
            case SO_RCVBUF: return Ws2_32.SO_RCVBUF;
            case SO_SNDBUF: return Ws2_32.SO_SNDBUF;
            case SO_REUSEADDR: return Ws2_32.SO_EXCLUSIVEADDRUSE;
            case TCP_KEEPIDLE: return Ws2_32.TCP_KEEPALIVE;
            case TCP_KEEPINTVL: return Ws2_32.TCP_KEEPINTVL;
            case TCP_KEEPCNT: return Ws2_32.TCP_KEEPCNT;
            case SO_BROADCAST: return Ws2_32.SO_BROADCAST;
            default: throw new IllegalArgumentException("unsupported option " + option);
        }
    }

    @Override
    public void shutdownOutput(long socket) throws IoException {
        if (Ws2_32.shutdown(socket, Ws2_32.SD_SEND) != 0) {
            throw failure("shutdown (SD_SEND)");
        }
    }

    @Override
    public void close(long socket, boolean abortive) {
        if (abortive) {
            // Cancel first, every op on the socket (lpOverlapped NULL). Under Wine 8 a WSASend still pending at
            // closesocket keeps sending its buffer after the close and the RST goes out only much later (measured:
            // the peer received 2.9-3.9 MB of a pending 4 MB send, then the reset); with CancelIoEx first, the RST
            // follows at once and only what was already in the kernel's buffers arrives. On Windows closesocket
            // aborts the ops anyway: cancelling first changes nothing there. Either way each op's packet still comes
            // (ERROR_OPERATION_ABORTED, or its real result if it had already completed): the packet stays the truth.
            // FALSE with ERROR_NOT_FOUND just means nothing was pending.
            if (Kernel32.CancelIoEx(socket, 0L) == 0) {
                int error = Native.getLastError();
                if (error != Win32Error.ERROR_NOT_FOUND) {
                    logger.debug("CancelIoEx({}, NULL) failed: {}", socket, Win32Error.ERRORS.describe(error));
                }
            }
            // struct linger { u_short l_onoff = 1; u_short l_linger = 0; }: closesocket then sends RST, drops unsent data.
            PlatformDependent.putInt(sync + SYNC_VALUE, 1);
            if (Ws2_32.setsockopt(socket, Ws2_32.SOL_SOCKET, Ws2_32.SO_LINGER, sync + SYNC_VALUE, 4) != 0) {
                logger.debug("setsockopt(SO_LINGER {{1,0}}) on {} failed: {}", socket,
                        Win32Error.ERRORS.describe(Native.getLastError()));
            }
        }
        // Ops in flight on the socket are aborted by this and still post their packets (invariant 2); ops completed
        // inline are not in the kernel any more and keep their queued result.
        if (!portCompletionSockets.isEmpty()) {
            portCompletionSockets.remove(socket);
        }
        if (!reuseAddressAfterBind.isEmpty()) {
            reuseAddressAfterBind.remove(socket);
        }
        if (Ws2_32.closesocket(socket) != 0) {
            logger.debug("closesocket({}) failed: {}", socket, Win32Error.ERRORS.describe(Native.getLastError()));
        }
    }

    // ------------------------------------------------------------------------------------------ submits

    /**
     * The tail of every submit: {@code ok} is the overlapped call's "completed now" result; otherwise its last error
     * decides. WSA_IO_PENDING means one packet will come from the port. An immediate success means the same on a
     * socket that is not in skip-on-success mode; on one that is, no packet will come, and the op's one packet is
     * queued inline with the byte count the call wrote into the op's own memory ({@link Win32Slot#bytes}). For an
     * accept, the mode that counts is the listener's ({@code op.socket()}): its handle is the one the accept
     * completes on.
     */
    private int submitted(Op op, boolean ok) {
        if (!ok) {
            int error = Native.getLastError();
            if (error != Win32Error.ERROR_IO_PENDING) {
                return submitFailed(error == 0 ? Win32Error.WSAEINVAL : error); // never report a failure as 0
            }
        }
        op.markInFlight();
        if (ok && skipsPortOnSuccess(op.socket())) {
            Win32Slot.markInline(op);
            inline.add(op, PlatformDependent.getInt(Win32Slot.bytes(op)));
        }
        return 0;
    }

    /** A submit failed with this Win32 number: no packet will come; the SPI's error (an egress point). */
    private static int submitFailed(int win32) {
        return Win32Error.ERRORS.error(win32);
    }

    /** WSABUF { ULONG len; (pad); CHAR *buf; } × bufferCount, in the op's native area. */
    private static int encodeBuffers(Op op) {
        long wsabuf = Win32Slot.wsabuf(op);
        int n = op.bufferCount();
        for (int i = 0; i < n; i++) {
            long b = wsabuf + (long) i * Win32Slot.WSABUF_SIZE;
            PlatformDependent.putInt(b, op.bufferLength(i));
            PlatformDependent.putInt(b + 4, 0);
            PlatformDependent.putLong(b + 8, op.bufferAddress(i));
        }
        return n;
    }

    /**
     * No buffers: a readiness receive, a zero-byte WSARecv (one WSABUF of length 0 naming a valid buffer; Wine fact
     * 8: it stays pending on an idle socket and completes with 0 bytes when data arrives, consuming nothing).
     */
    @Override
    public int submitRecv(Op op) {
        int count = encodeBuffers(op);
        if (count == 0) {
            long b = Win32Slot.wsabuf(op);
            PlatformDependent.putLong(b, 0L);
            PlatformDependent.putLong(b + 8, sync + SYNC_EMPTY_RECEIVE_BUFFER);
            count = 1;
        }
        Win32Slot.prepare(op);
        long flags = Win32Slot.flags(op);
        PlatformDependent.putInt(flags, 0);
        int r = Ws2_32.WSARecv(op.socket(), Win32Slot.wsabuf(op), count, Win32Slot.bytes(op), flags,
                Win32Slot.overlapped(op), 0);
        return submitted(op, r == 0);
    }

    /** recv on the (non-blocking, see {@link #register}) socket: bytes, or {@code -error} (WSAEWOULDBLOCK: nothing now). */
    @Override
    public int receiveNow(long socket, long address, int length) {
        int n = Ws2_32.recv(socket, address, length, 0);
        return n >= 0 ? n : -Win32Error.ERRORS.error(Native.getLastError());
    }

    @Override
    public int submitSend(Op op) {
        int count = encodeBuffers(op);
        Win32Slot.prepare(op);
        int r = Ws2_32.WSASend(op.socket(), Win32Slot.wsabuf(op), count, Win32Slot.bytes(op), 0,
                Win32Slot.overlapped(op), 0);
        return submitted(op, r == 0);
    }

    // ------------------------------------------------------------------------------------------ datagrams

    /**
     * An overlapped UDP socket, dual-stack as {@link #openTcpSocket} makes them, associated with the port — never in
     * skip-on-success mode, whatever the backend's setting: libuv found that mode broken for datagram sockets on every
     * Windows that has it, so every datagram op completes through the port. SIO_UDP_CONNRESET is turned off, so an
     * ICMP port-unreachable answering one datagram does not fail the next receive of an unconnected socket with
     * WSAECONNRESET; {@link #connectDatagram} turns it on again for the connected peer, whose unreachability is
     * news the owner wants (the JDK's DatagramChannel does the same).
     */
    @Override
    public long openUdpSocket(boolean ipv6) throws IoException {
        boolean dualStack = DualStack.AVAILABLE;
        long s = Ws2_32.WSASocketW(dualStack || ipv6 ? Ws2_32.AF_INET6 : Ws2_32.AF_INET, Ws2_32.SOCK_DGRAM,
                Ws2_32.IPPROTO_UDP, 0, 0, Ws2_32.WSA_FLAG_OVERLAPPED | Ws2_32.WSA_FLAG_NO_HANDLE_INHERIT);
        if (s == Ws2_32.INVALID_SOCKET) {
            throw failure("socket");
        }
        try {
            if (dualStack) {
                PlatformDependent.putInt(sync + SYNC_VALUE, 0);
                if (Ws2_32.setsockopt(s, Ws2_32.IPPROTO_IPV6, Ws2_32.IPV6_V6ONLY, sync + SYNC_VALUE, 4) != 0) {
                    throw failure("setsockopt IPV6_V6ONLY");
                }
            }
            reportPortUnreachable(s, false);
            if (Kernel32.CreateIoCompletionPort(s, port, s, 0) == 0) {
                throw failure("register (CreateIoCompletionPort)");
            }
            if (skipCompletionPortOnSuccess) {
                portCompletionSockets.put(s, Boolean.TRUE);
            }
        } catch (IoException e) {
            portCompletionSockets.remove(s);
            Ws2_32.closesocket(s);
            throw e;
        }
        return s;
    }

    /** SIO_UDP_CONNRESET: whether an ICMP port-unreachable fails the socket's next receive (see openUdpSocket). */
    private void reportPortUnreachable(long socket, boolean report) throws IoException {
        PlatformDependent.putInt(sync + SYNC_VALUE, report ? 1 : 0);
        if (Ws2_32.WSAIoctl(socket, Ws2_32.SIO_UDP_CONNRESET, sync + SYNC_VALUE, 4, 0L, 0,
                sync + SYNC_OVR_BYTES, 0L, 0L) != 0) {
            throw failure("WSAIoctl (SIO_UDP_CONNRESET)");
        }
    }

    /**
     * WSARecvFrom into the op's buffers, the sender's address into the op's address area and its length into the
     * op's from-length (both the kernel's until the packet). A datagram larger than the buffers completes with
     * STATUS_BUFFER_OVERFLOW, a warning: its packet carries the bytes that fitted and WSAEMSGSIZE
     * ({@link #packetError}). When that happens at once, the call itself fails with WSAEMSGSIZE; the I/O still
     * completed (a warning is not an error), and, the socket being in no skip mode, its packet comes through the port
     * like any other: the op is in flight.
     */
    @Override
    public int submitReceiveFrom(Op op) {
        int count = encodeBuffers(op);
        int room = 0;
        for (int i = 0; i < count; i++) {
            room |= op.bufferLength(i);
        }
        if (room == 0) {
            return submitFailed(Win32Error.WSAEINVAL);
        }
        Win32Slot.prepare(op);
        PlatformDependent.putInt(Win32Slot.flags(op), 0);
        PlatformDependent.putInt(Win32Slot.fromLength(op), Win32Slot.ADDRESS_AREA_SIZE);
        int r = Ws2_32.WSARecvFrom(op.socket(), Win32Slot.wsabuf(op), count, Win32Slot.bytes(op), Win32Slot.flags(op),
                Win32Slot.addressArea(op), Win32Slot.fromLength(op), Win32Slot.overlapped(op), 0);
        if (r != 0 && Native.getLastError() == Win32Error.WSAEMSGSIZE) {
            op.markInFlight();
            return 0;
        }
        return submitted(op, r == 0);
    }

    @Override
    public InetSocketAddress receivedFrom(Op op) {
        return SockAddrs.decode(Win32Slot.addressArea(op), PlatformDependent.getInt(Win32Slot.fromLength(op)));
    }

    /** WSASendTo gathering the op's buffers, to the target encoded into the op's address area (none: the peer). */
    @Override
    public int submitSendTo(Op op, InetSocketAddress target) {
        int count = encodeBuffers(op);
        int length = 0;
        if (target != null) {
            try {
                length = encodeAddress(target, Win32Slot.addressArea(op));
            } catch (IllegalArgumentException e) {
                return submitFailed(Win32Error.WSAEFAULT);
            }
        }
        Win32Slot.prepare(op);
        int r = Ws2_32.WSASendTo(op.socket(), Win32Slot.wsabuf(op), count, Win32Slot.bytes(op), 0,
                length > 0 ? Win32Slot.addressArea(op) : 0L, length, Win32Slot.overlapped(op), 0);
        return submitted(op, r == 0);
    }

    @Override
    public void connectDatagram(long socket, InetSocketAddress remote) throws IoException {
        int len = encodeAddress(remote, sync + SYNC_SOCKADDR);
        if (Ws2_32.connect(socket, sync + SYNC_SOCKADDR, len) != 0) {
            throw failure("connect " + remote);
        }
        reportPortUnreachable(socket, true);
    }

    /**
     * connect to the all-zero address of the socket's family, port 0 (Winsock's way to dissolve a UDP association:
     * "if the address is filled with zeros, the socket is disconnected"); reports are off again.
     */
    @Override
    public void disconnectDatagram(long socket) throws IoException {
        int error = getsockname(socket);
        if (error != 0) {
            throw Win32Error.ERRORS.exception("getsockname", error);
        }
        boolean v6 = SockAddrs.family(sync + SYNC_SOCKADDR) == Ws2_32.AF_INET6;
        int len = SockAddrCodec.WINDOWS.encode(SockAddrCodec.wildcard(v6), sync + SYNC_SOCKADDR);
        if (Ws2_32.connect(socket, sync + SYNC_SOCKADDR, len) != 0) {
            throw failure("connect (disconnect)");
        }
        reportPortUnreachable(socket, false);
    }

    /**
     * AcceptEx with no receive data into the op's address area (local and remote address, 44 bytes each).
     * The accepted socket is created here with the listener's family and recorded in the op.
     * <p>Who closes it: on a failed submit, this method; from the ACCEPT packet on (failed, or successful and then
     * a failed {@link #finishAccept}), the op's owner: see {@link Backend#submitAccept}.
     */
    @Override
    public int submitAccept(Op op) {
        long listener = op.socket();
        int error = getsockname(listener);
        if (error != 0) {
            return submitFailed(error);
        }
        int family = SockAddrs.family(sync + SYNC_SOCKADDR);
        long accepted = Ws2_32.WSASocketW(family, Ws2_32.SOCK_STREAM, Ws2_32.IPPROTO_TCP, 0, 0,
                Ws2_32.WSA_FLAG_OVERLAPPED | Ws2_32.WSA_FLAG_NO_HANDLE_INHERIT);
        if (accepted == Ws2_32.INVALID_SOCKET) {
            return submitFailed(Native.getLastError());
        }
        op.acceptSocket(accepted);
        Win32Slot.prepare(op);
        int ok = extensions.acceptEx(listener, accepted, Win32Slot.addressArea(op), Win32Slot.bytes(op),
                Win32Slot.overlapped(op));
        int result = submitted(op, ok != 0);
        if (result != 0) {
            Ws2_32.closesocket(accepted);
            op.acceptSocket(0);
        }
        return result;
    }

    /**
     * SO_UPDATE_ACCEPT_CONTEXT (value: the listening SOCKET), without which getpeername, shutdown and
     * setsockopt do not work on the accepted socket. If that fails the accepted socket is left open: it is the op
     * owner's, who closes it once (closing it here as well made the owner's close a second closesocket of a handle
     * value another thread's new socket may already have).
     */
    @Override
    public long finishAccept(Op op) throws IoException {
        long accepted = op.acceptSocket();
        PlatformDependent.putLong(sync + SYNC_VALUE, op.socket());
        if (Ws2_32.setsockopt(accepted, Ws2_32.SOL_SOCKET, Ws2_32.SO_UPDATE_ACCEPT_CONTEXT, sync + SYNC_VALUE, 8)
                != 0) {
            throw failure("finish accept (SO_UPDATE_ACCEPT_CONTEXT)");
        }
        return accepted;
    }

    /**
     * ConnectEx requires a bound socket: an unbound one (getsockname fails with WSAEINVAL) is bound to the wildcard
     * address of the target's family, port 0 — with SO_REUSE_UNICASTPORT first ({@link #deferPortChoiceToConnect}).
     * A loopback target gets no SYN retransmission ({@link #noSynRetransmissionToLoopback}). The target sockaddr is
     * encoded in the op's address area.
     */
    @Override
    public int submitConnect(Op op, InetSocketAddress remote) {
        long s = op.socket();
        boolean ipv6 = remote.getAddress() instanceof Inet6Address;
        // Unbound: getsockname fails (WSAEINVAL). Port 0 is treated as unbound too, to be safe across stacks.
        if (getsockname(s) != 0 || SockAddrs.decode(sync + SYNC_SOCKADDR, PlatformDependent.getInt(sync + SYNC_LENGTH)).getPort() == 0) {
            deferPortChoiceToConnect(s);
            int len = encodeAddress(SockAddrs.wildcard(ipv6), sync + SYNC_SOCKADDR);
            if (Ws2_32.bind(s, sync + SYNC_SOCKADDR, len) != 0) {
                return submitFailed(Native.getLastError());
            }
        }
        if (remote.getAddress().isLoopbackAddress()) {
            noSynRetransmissionToLoopback(s);
        }
        int len = encodeAddress(remote, Win32Slot.addressArea(op));
        Win32Slot.prepare(op);
        int ok = extensions.connectEx(s, Win32Slot.addressArea(op), len, Win32Slot.bytes(op),
                Win32Slot.overlapped(op));
        return submitted(op, ok != 0);
    }

    /**
     * SO_REUSE_UNICASTPORT before the wildcard bind that precedes ConnectEx. Without it each such bind reserves an
     * ephemeral port for the socket alone, so outbound connections stop at the size of the ephemeral range (16,384
     * ports by default) with WSAENOBUFS, however many distinct peers they go to (.NET met this:
     * dotnet/runtime#48219, and sets the option the same way). With it the port is chosen at connect and may be
     * shared by connections to different peers. Systems before Windows 10 / Server 2016 refuse the option: the
     * socket then binds as before, so the refusal is only logged.
     */
    private void deferPortChoiceToConnect(long socket) {
        PlatformDependent.putInt(sync + SYNC_VALUE, 1);
        if (Ws2_32.setsockopt(socket, Ws2_32.SOL_SOCKET, Ws2_32.SO_REUSE_UNICASTPORT, sync + SYNC_VALUE, 4) != 0) {
            logger.debug("setsockopt(SO_REUSE_UNICASTPORT) on {} refused: {}", socket,
                    Win32Error.ERRORS.describe(Native.getLastError()));
        }
    }

    /**
     * SIO_TCP_INITIAL_RTO with no SYN retransmission, for a loopback target only (as libuv does). Windows answers a
     * SYN to a closed port with RST, but still retransmits the SYN after the RST, twice, before it reports the
     * refusal: a connect to a loopback port nobody listens on takes about 2 s instead of failing at once. On
     * loopback a SYN is never lost, so not retransmitting it loses nothing. Only from Windows 10 1709 (build
     * 16299), where the value means "none" ({@link SynRetransmissions}); before that, and under Wine, whose stack
     * is Linux's and refuses at once anyway, the ioctl is skipped or refused, and a refusal is only logged.
     */
    private void noSynRetransmissionToLoopback(long socket) {
        if (!SynRetransmissions.CAN_BE_TURNED_OFF) {
            return;
        }
        long params = sync + SYNC_VALUE;
        PlatformDependent.putLong(params, 0L);
        PlatformDependent.putShort(params, Ws2_32.TCP_INITIAL_RTO_UNSPECIFIED_RTT);
        PlatformDependent.putByte(params + 2, Ws2_32.TCP_INITIAL_RTO_NO_SYN_RETRANSMISSIONS);
        if (Ws2_32.WSAIoctl(socket, Ws2_32.SIO_TCP_INITIAL_RTO, params, Ws2_32.TCP_INITIAL_RTO_PARAMETERS_SIZE, 0, 0,
                sync + SYNC_LENGTH, 0, 0) != 0) {
            logger.debug("WSAIoctl(SIO_TCP_INITIAL_RTO) on {} refused: {}", socket,
                    Win32Error.ERRORS.describe(Native.getLastError()));
        }
    }

    /** Whether this Windows knows TCP_INITIAL_RTO_NO_SYN_RETRANSMISSIONS: decided once from its real version. */
    private static final class SynRetransmissions {
        static final boolean CAN_BE_TURNED_OFF = knowsNoSynRetransmissions(windowsVersion());

        /** {major, minor, build} from RtlGetVersion (GetVersionEx may lie to a process without a manifest). */
        private static int[] windowsVersion() {
            long info = PlatformDependent.allocateMemory(Ntdll.RTL_OSVERSIONINFOW_SIZE);
            try {
                PlatformDependent.setMemory(info, Ntdll.RTL_OSVERSIONINFOW_SIZE, (byte) 0);
                PlatformDependent.putInt(info, Ntdll.RTL_OSVERSIONINFOW_SIZE);
                if (Ntdll.RtlGetVersion(info) != 0) {
                    return new int[] {0, 0, 0};
                }
                return new int[] {PlatformDependent.getInt(info + Ntdll.RTL_OSVERSIONINFOW_MAJOR),
                        PlatformDependent.getInt(info + Ntdll.RTL_OSVERSIONINFOW_MINOR),
                        PlatformDependent.getInt(info + Ntdll.RTL_OSVERSIONINFOW_BUILD)};
            } finally {
                PlatformDependent.freeMemory(info);
            }
        }
    }

    /**
     * {@return whether MaxSynRetransmissions 0xFE means "no retransmission" on this version: Windows 10 build 16299
     * (1709) and later; an earlier system would take it as 254 retransmissions}
     *
     * @param version {major, minor, build}
     */
    static boolean knowsNoSynRetransmissions(int[] version) {
        int major = version[0];
        int build = version[2];
        return major > 10 || (major == 10 && build >= 16299);
    }

    @Override
    public void finishConnect(Op op) throws IoException {
        if (Ws2_32.setsockopt(op.socket(), Ws2_32.SOL_SOCKET, Ws2_32.SO_UPDATE_CONNECT_CONTEXT, 0, 0) != 0) {
            throw failure("finish connect (SO_UPDATE_CONNECT_CONTEXT)");
        }
    }

    // ------------------------------------------------------------------------------------------ cancel

    /**
     * CancelIoEx for this op's OVERLAPPED. TRUE: the request was taken ({@link CancelResult#REQUESTED}); the packet
     * usually says ERROR_OPERATION_ABORTED but may still carry data if the I/O finished first. FALSE with
     * ERROR_NOT_FOUND: the I/O already completed and its packet (possibly with data) is queued: {@link
     * CancelResult#NOT_FOUND}, and dropping that packet is bpo-33694. Any other failure (the socket was already
     * closed: ERROR_INVALID_HANDLE) is also reported as NOT_FOUND: there is nothing left to cancel, and the close
     * already guarantees the packet.
     */
    @Override
    public CancelResult cancel(Op op) {
        if (op.state() != Op.State.IN_FLIGHT) {
            throw new IllegalStateException("cancel of " + op + ": not in flight");
        }
        op.noteCancelRequested();
        if (Win32Slot.completedInline(op)) {
            // It completed inside its submit: nothing is left in the kernel to cancel (CancelIoEx would say
            // ERROR_NOT_FOUND), and its queued result is its one packet (invariant 1).
            return CancelResult.NOT_FOUND;
        }
        if (Kernel32.CancelIoEx(op.socket(), Win32Slot.overlapped(op)) != 0) {
            return CancelResult.REQUESTED;
        }
        int error = Native.getLastError();
        if (error != Win32Error.ERROR_NOT_FOUND) {
            logger.debug("CancelIoEx({}) failed: {}", op, Win32Error.ERRORS.describe(error));
        }
        return CancelResult.NOT_FOUND;
    }

    // ------------------------------------------------------------------------------------------ poll / wakeup

    /**
     * Inline completions first (they are ready: the poll does not block then), then the port, unless
     * {@link InlineCompletions#mustReadPort} says this poll skips it.
     */
    @Override
    public int poll(OpSlab slab, CompletionSink sink, long timeoutNanos) {
        boolean readPort = inline.mustReadPort();
        int delivered = 0;
        Throwable firstFailure = null;
        if (!inline.isEmpty()) {
            firstFailure = inline.dispatch(sink, batchSize, null);
            delivered = inline.lastDispatched();
            timeoutNanos = 0;
        }
        if (!readPort) {
            BatchFailures.rethrowIfAny(firstFailure);
            return delivered;
        }
        int millis = timeoutMillis(timeoutNanos);
        long numRemoved = sync + SYNC_NUM_REMOVED;
        PlatformDependent.putInt(numRemoved, 0);
        portReads++;
        if (Kernel32.GetQueuedCompletionStatusEx(port, entries, batchSize, numRemoved, millis, 0) == 0) {
            int error = Native.getLastError();
            if (error == Win32Error.WAIT_TIMEOUT) {
                BatchFailures.rethrowIfAny(firstFailure);
                return delivered;
            }
            UncheckedIOException e = new UncheckedIOException(
                    Win32Error.ERRORS.exception("GetQueuedCompletionStatusEx", error));
            if (firstFailure != null) {
                e.addSuppressed(firstFailure); // the inline completions were handed over; one of them threw
            }
            throw e;
        }
        int n = PlatformDependent.getInt(numRemoved);
        for (int i = 0; i < n; i++) {
            long e = entries + (long) i * Kernel32.OVERLAPPED_ENTRY_SIZE;
            long overlapped = PlatformDependent.getLong(e + Kernel32.OVERLAPPED_ENTRY_OVERLAPPED);
            if (overlapped == 0) {
                long key = PlatformDependent.getLong(e + Kernel32.OVERLAPPED_ENTRY_KEY);
                if (key != WAKEUP_KEY) {
                    logger.warn("ignoring a packet without OVERLAPPED, key 0x{}", Long.toHexString(key));
                }
                continue; // a wake-up: its only job was to end the wait
            }
            try {
                Op op = Win32Slot.fromOverlapped(slab, overlapped);
                int status = Win32Slot.status(op);
                int bytes = PlatformDependent.getInt(e + Kernel32.OVERLAPPED_ENTRY_BYTES);
                int error = packetError(op, status); // the packets' egress point
                delivered++;
                sink.onPacket(op, bytes, error);
            } catch (Throwable failure) {
                // Keep going: the remaining entries are already dequeued and exist nowhere else (BatchFailures).
                firstFailure = BatchFailures.add(firstFailure, failure);
            }
        }
        BatchFailures.rethrowIfAny(firstFailure);
        return delivered;
    }

    /**
     * The SPI's error for a dequeued packet whose OVERLAPPED holds {@code status}: 0 for an NTSTATUS that
     * {@link NtStatus#isSuccess} (success or informational), otherwise the Winsock error. Warnings are failures:
     * STATUS_BUFFER_OVERFLOW carries a truncated datagram's bytes, and Wine completes the ops of a socket closed under
     * them with STATUS_HANDLES_CLOSED (0x8000000A, ERROR_HANDLES_CLOSED 676).
     */
    private int packetError(Op op, int status) {
        return NtStatus.isSuccess(status) ? 0 : Win32Error.ERRORS.error(winsockError(op, status));
    }

    /**
     * The Winsock error of a failed packet. The NTSTATUS in the entry maps through RtlNtStatusToDosError to
     * GetQueuedCompletionStatus' kernel-flavoured errors (a peer's reset reads ERROR_NETNAME_DELETED 64, a refused
     * connect ERROR_CONNECTION_REFUSED 1225); WSAGetOverlappedResult gives the Winsock ones a socket call would
     * name (WSAECONNRESET 10054, WSAECONNREFUSED 10061), and ERROR_OPERATION_ABORTED 995 for a cancel. Both kinds
     * mean the same in {@link Win32Error#ERRORS}; the Winsock one is what a message should name.
     * WSAGetOverlappedResult needs the socket, so after the socket was closed it can fail with WSAENOTSOCK: then
     * the NTSTATUS mapping is the answer.
     */
    private int winsockError(Op op, int status) {
        int r = Ws2_32.WSAGetOverlappedResult(op.socket(), Win32Slot.overlapped(op), sync + SYNC_OVR_BYTES, 0,
                sync + SYNC_OVR_FLAGS);
        int error = r != 0 ? 0 : Native.getLastError();
        if (error != 0 && error != Win32Error.WSAENOTSOCK && error != Win32Error.ERROR_INVALID_HANDLE
                && error != Win32Error.ERROR_IO_INCOMPLETE) {
            return error;
        }
        int fromStatus = Ntdll.RtlNtStatusToDosError(status);
        return fromStatus != 0 ? fromStatus : Win32Error.ERROR_INVALID_PARAMETER;
    }

    /**
     * Nanoseconds to GQCSEx milliseconds: negative waits forever; a positive remainder rounds up, never down to a busy
     * 0 (a sub-millisecond wait for a deadline still pending would return at once, the loop would find the deadline
     * not reached and poll again: a spin until it is).
     *
     * <p><b>Timer precision.</b> GetQueuedCompletionStatusEx waits in milliseconds, and Windows ends a wait on a
     * clock interrupt: at the default timer resolution one every ~15.6 ms. A scheduled task therefore runs at or
     * after its deadline, never before (the loop runs only tasks whose deadline has passed), and on Windows up to
     * about one tick late. iocp leaves the resolution alone: timeBeginPeriod would raise it for the whole process
     * (before Windows 10 2004, for the whole system) and costs power on every tick of every idle loop; a
     * high-resolution waitable timer cannot be waited on together with a completion port through the documented API.
     * docs/windows-sockets.md says so with the figures.
     */
    static int timeoutMillis(long timeoutNanos) {
        if (timeoutNanos < 0) {
            return Kernel32.INFINITE;
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(timeoutNanos + 999_999L);
        // INFINITE is 0xFFFFFFFF: cap just below it so a huge finite timeout stays finite.
        return (int) Math.min(ms, 0xFFFFFFFEL);
    }

    /** Posts a packet with {@link #WAKEUP_KEY} and no OVERLAPPED; {@link #poll} consumes it silently. */
    @Override
    public void wakeup() {
        if (Kernel32.PostQueuedCompletionStatus(port, 0, WAKEUP_KEY, 0) == 0) {
            logger.warn("PostQueuedCompletionStatus (wake-up) failed: {}", Win32Error.ERRORS.describe(Native.getLastError()));
        }
    }

    /**
     * Closes the port and frees the poll memory. The caller has waited for every op packet; op memory is the
     * slab's and is not touched here.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        CLOSED_INLINE_COMPLETIONS.addAndGet(inline.added());
        CLOSED_PORT_READS.addAndGet(portReads);
        Kernel32.CloseHandle(port);
        PlatformDependent.freeMemory(entries);
        PlatformDependent.freeMemory(sync);
    }
}
