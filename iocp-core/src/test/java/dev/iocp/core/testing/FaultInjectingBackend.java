package dev.iocp.core.testing;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.BackendFactory;
import dev.iocp.core.backend.CancelResult;
import dev.iocp.core.backend.CompletionSink;
import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoException;
import dev.iocp.core.backend.NativeErrors;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpSlab;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.backend.SocketOpt;
import dev.iocp.core.backend.uring.Errno;
import dev.iocp.core.win32.Win32Error;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link Backend} for tests that delegates to any backend (simulated, io_uring, Win32) and fails chosen calls with
 * chosen {@link ErrorCode}s, as the real call would fail: a submit returns the error (no packet will come, the op
 * stays OWNED: the SPI's contract), a call that throws throws an {@link IoException} naming the injected error.
 * The error carries the native number the wrapped backend itself would report for that code — its vocabulary's
 * first row for it ({@link NativeErrors#nativeNumberFor}): an errno on io_uring, a Win32 number on Win32 and on the
 * simulated backend (which simulates Windows) — so a message reads as it would in production.
 * It can also turn a successful packet of a chosen kind into a failed one ({@link Call#ACCEPT_PACKET} etc.): the
 * packet still reaches the loop — nothing is ever dropped — only its error changes (for ACCEPT the accepted socket
 * stays recorded in the op, which a failed ACCEPT packet leaves for its owner to close).
 *
 * <p>Every wrapper of one group shares one {@link Faults}: the script (what fails, how often) and the counters (calls
 * per kind, faults injected, closes per socket handle). Build a group with
 * {@code new IocpEventLoopGroup(n, FaultInjectingBackend.wrap(inner, faults))}.
 *
 * <p>A fault is injected before the delegate is called, so the delegate never sees that call: an injected submit
 * failure costs the kernel nothing, an injected {@code finishAccept} failure leaves the accepted socket open for its
 * owner (exactly what a real failure of SO_UPDATE_ACCEPT_CONTEXT leaves, by the SPI's contract).
 */
public final class FaultInjectingBackend implements Backend {

    /** The calls (and packet kinds) a fault can be injected into, and that are counted. */
    public enum Call {
        OPEN_TCP_SOCKET, REGISTER, BIND, LISTEN, LOCAL_ADDRESS, REMOTE_ADDRESS, SET_OPTION, GET_OPTION,
        SHUTDOWN_OUTPUT, SUBMIT_RECV,
        /** A non-blocking receive after a readiness packet; a fault fails it before it takes anything. */
        RECEIVE_NOW,
        SUBMIT_SEND, SUBMIT_ACCEPT, SUBMIT_CONNECT, FINISH_ACCEPT, FINISH_CONNECT,
        /** Counted only: close cannot fail (see {@link Faults#closes(long)}). */
        CLOSE,
        /** Packets of that kind (all counted); a fault turns a successful one into a failure, still delivered. */
        RECV_PACKET, SEND_PACKET, ACCEPT_PACKET, CONNECT_PACKET,
        OPEN_UDP_SOCKET, SUBMIT_RECEIVE_FROM, SUBMIT_SEND_TO, RECV_FROM_PACKET, SEND_TO_PACKET;

        static Call packetOf(OpType type) {
            return switch (type) {
                case RECV -> RECV_PACKET;
                case SEND -> SEND_PACKET;
                case ACCEPT -> ACCEPT_PACKET;
                case CONNECT -> CONNECT_PACKET;
                case RECV_FROM -> RECV_FROM_PACKET;
                case SEND_TO -> SEND_TO_PACKET;
            };
        }
    }

    /** The script and the counters, shared by the wrappers of a group; thread-safe. */
    public static final class Faults {
        private static final class Rule {
            final ErrorCode error;
            long remaining; // Long.MAX_VALUE: always
            final double probability; // 1.0 unless a random rule

            Rule(ErrorCode error, long remaining, double probability) {
                this.error = error;
                this.remaining = remaining;
                this.probability = probability;
            }
        }

        private final Random random;
        private final Map<Call, Rule> rules = new EnumMap<>(Call.class);
        private final Map<Call, Long> calls = new EnumMap<>(Call.class);
        private final Map<Call, Long> injected = new EnumMap<>(Call.class);
        private final Map<Long, AtomicInteger> closes = new ConcurrentHashMap<>();
        private final List<Long> closeOrder = new ArrayList<>();
        private Throwable pollThrows;

        /** @param seed for {@link #failWithProbability} (java.util.Random: no SecureRandom, which Wine cannot seed) */
        public Faults(long seed) {
            this.random = new Random(seed);
        }

        public Faults() {
            this(1);
        }

        /** The next {@code times} calls of {@code call} fail with {@code error}; then they pass again. */
        public synchronized Faults failNext(Call call, ErrorCode error, long times) {
            rules.put(call, new Rule(requireNumbered(error), times, 1.0));
            return this;
        }

        public Faults failOnce(Call call, ErrorCode error) {
            return failNext(call, error, 1);
        }

        /** Every call of {@code call} fails with {@code error} until {@link #clear}. */
        public Faults failAlways(Call call, ErrorCode error) {
            return failNext(call, error, Long.MAX_VALUE);
        }

        /**
         * The next poll throws {@code thrown} (an Error, a RuntimeException, or a ThreadDeath to end the loop
         * thread) instead of polling: the backend itself failing, not a packet.
         */
        public synchronized Faults throwFromNextPoll(Throwable thrown) {
            pollThrows = thrown;
            return this;
        }

        /** {@return whether a {@link #throwFromNextPoll} is still to be thrown} */
        public synchronized boolean pollThrowPending() {
            return pollThrows != null;
        }

        synchronized Throwable takePollThrow() {
            Throwable t = pollThrows;
            pollThrows = null;
            return t;
        }

        /** Each call of {@code call} fails with probability {@code p}, drawn from the seeded Random. */
        public synchronized Faults failWithProbability(Call call, ErrorCode error, double p) {
            rules.put(call, new Rule(requireNumbered(error), Long.MAX_VALUE, p));
            return this;
        }

        /** OTHER has no native number standing for it in any vocabulary: a test must say what it injects. */
        private static ErrorCode requireNumbered(ErrorCode error) {
            if (error == ErrorCode.OTHER) {
                throw new IllegalArgumentException("inject a specific code, not OTHER");
            }
            return error;
        }

        /** Stops injecting into {@code call} (nothing given: into every call). Counters are kept. */
        public synchronized Faults clear(Call... which) {
            if (which.length == 0) {
                rules.clear();
            }
            for (Call c : which) {
                rules.remove(c);
            }
            return this;
        }

        /** Counts the call; returns the error to inject into it, or null. */
        ErrorCode next(Call call) {
            return next(call, true);
        }

        /** Counts the call; returns the error to inject into it (null if none, or if it is not {@code eligible}). */
        synchronized ErrorCode next(Call call, boolean eligible) {
            calls.merge(call, 1L, Long::sum);
            Rule r = rules.get(call);
            if (!eligible || r == null || r.remaining <= 0) {
                return null;
            }
            if (r.probability < 1.0 && random.nextDouble() >= r.probability) {
                return null;
            }
            if (r.remaining != Long.MAX_VALUE) {
                r.remaining--;
            }
            injected.merge(call, 1L, Long::sum);
            return r.error;
        }

        void closed(long socket) {
            closes.computeIfAbsent(socket, k -> new AtomicInteger()).incrementAndGet();
            synchronized (this) {
                calls.merge(Call.CLOSE, 1L, Long::sum);
                closeOrder.add(socket);
            }
        }

        /** How many times {@code call} was made through any wrapper of this script (injected ones included). */
        public synchronized long calls(Call call) {
            return calls.getOrDefault(call, 0L);
        }

        /** How many calls of {@code call} were failed by injection. */
        public synchronized long injected(Call call) {
            return injected.getOrDefault(call, 0L);
        }

        /** How many times {@code close} was called for this socket handle. */
        public int closes(long socket) {
            AtomicInteger n = closes.get(socket);
            return n == null ? 0 : n.get();
        }

        /** Every handle closed, in order, with repeats. */
        public synchronized List<Long> closeOrder() {
            return List.copyOf(closeOrder);
        }
    }

    /** A factory of wrappers around {@code inner}'s backends, all sharing {@code faults}. */
    public static BackendFactory wrap(BackendFactory inner, Faults faults) {
        return () -> new FaultInjectingBackend(inner.newBackend(), faults);
    }

    private final Backend delegate;
    private final Faults faults;
    private final NativeErrors vocabulary;

    public FaultInjectingBackend(Backend delegate, Faults faults) {
        this.delegate = delegate;
        this.faults = faults;
        this.vocabulary = vocabularyOf(delegate);
    }

    /** The vocabulary the wrapped backend reports its errors in. */
    private static NativeErrors vocabularyOf(Backend backend) {
        return switch (backend.name()) {
            case "io_uring" -> Errno.ERRORS;
            case "win32", "simulated" -> Win32Error.ERRORS;
            default -> throw new IllegalArgumentException("no error vocabulary known for backend " + backend.name());
        };
    }

    /** The SPI's error for {@code code}, with the native number the wrapped backend would report; 0 for null. */
    private int packed(ErrorCode code) {
        return code == null ? 0 : vocabulary.error(vocabulary.nativeNumberFor(code));
    }

    /** The error the next {@code call} is to fail with (0: none). */
    private int injected(Call call) {
        return packed(faults.next(call));
    }

    public Backend delegate() {
        return delegate;
    }

    public Faults faults() {
        return faults;
    }

    private void maybeThrow(Call call, String what) throws IoException {
        int error = injected(call);
        if (error != 0) {
            throw new IoException(what + " (injected)", error);
        }
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public long openTcpSocket(boolean ipv6) throws IoException {
        maybeThrow(Call.OPEN_TCP_SOCKET, "socket");
        return delegate.openTcpSocket(ipv6);
    }

    @Override
    public void register(long socket) throws IoException {
        maybeThrow(Call.REGISTER, "register");
        delegate.register(socket);
    }

    @Override
    public void bind(long socket, InetSocketAddress address) throws IoException {
        maybeThrow(Call.BIND, "bind");
        delegate.bind(socket, address);
    }

    @Override
    public void listen(long socket, int backlog) throws IoException {
        maybeThrow(Call.LISTEN, "listen");
        delegate.listen(socket, backlog);
    }

    @Override
    public InetSocketAddress localAddress(long socket) throws IoException {
        maybeThrow(Call.LOCAL_ADDRESS, "getsockname");
        return delegate.localAddress(socket);
    }

    @Override
    public InetSocketAddress remoteAddress(long socket) throws IoException {
        maybeThrow(Call.REMOTE_ADDRESS, "getpeername");
        return delegate.remoteAddress(socket);
    }

    @Override
    public void setOption(long socket, SocketOpt option, int value) throws IoException {
        maybeThrow(Call.SET_OPTION, "setsockopt " + option);
        delegate.setOption(socket, option, value);
    }

    @Override
    public int bytesAvailable(long socket) throws IoException {
        return delegate.bytesAvailable(socket);
    }

    @Override
    public int getOption(long socket, SocketOpt option) throws IoException {
        maybeThrow(Call.GET_OPTION, "getsockopt " + option);
        return delegate.getOption(socket, option);
    }

    @Override
    public void shutdownOutput(long socket) throws IoException {
        maybeThrow(Call.SHUTDOWN_OUTPUT, "shutdown");
        delegate.shutdownOutput(socket);
    }

    @Override
    public void close(long socket, boolean abortive) {
        faults.closed(socket);
        delegate.close(socket, abortive);
    }

    @Override
    public int submitRecv(Op op) {
        int error = injected(Call.SUBMIT_RECV);
        return error != 0 ? error : delegate.submitRecv(op);
    }

    /**
     * The delegate's pool, untouched: a receive into it is submitted (or failed) and its packet turned into a
     * failure like any other receive's; a buffer such a failed packet names is still handed to the op's owner.
     */
    @Override
    public dev.iocp.core.backend.ProvidedBuffers providedBuffers() {
        return delegate.providedBuffers();
    }

    @Override
    public int receiveNow(long socket, long address, int length) {
        int error = injected(Call.RECEIVE_NOW);
        return error != 0 ? -error : delegate.receiveNow(socket, address, length);
    }

    @Override
    public int submitSend(Op op) {
        int error = injected(Call.SUBMIT_SEND);
        return error != 0 ? error : delegate.submitSend(op);
    }

    @Override
    public int submitAccept(Op op) {
        int error = injected(Call.SUBMIT_ACCEPT);
        return error != 0 ? error : delegate.submitAccept(op);
    }

    @Override
    public long finishAccept(Op op) throws IoException {
        maybeThrow(Call.FINISH_ACCEPT, "finish accept");
        return delegate.finishAccept(op);
    }

    @Override
    public int submitConnect(Op op, InetSocketAddress remote) {
        int error = injected(Call.SUBMIT_CONNECT);
        return error != 0 ? error : delegate.submitConnect(op, remote);
    }

    @Override
    public void finishConnect(Op op) throws IoException {
        maybeThrow(Call.FINISH_CONNECT, "finish connect");
        delegate.finishConnect(op);
    }

    @Override
    public long openUdpSocket(boolean ipv6) throws IoException {
        maybeThrow(Call.OPEN_UDP_SOCKET, "socket");
        return delegate.openUdpSocket(ipv6);
    }

    @Override
    public int submitReceiveFrom(Op op) {
        int error = injected(Call.SUBMIT_RECEIVE_FROM);
        return error != 0 ? error : delegate.submitReceiveFrom(op);
    }

    @Override
    public InetSocketAddress receivedFrom(Op op) {
        return delegate.receivedFrom(op);
    }

    @Override
    public int submitSendTo(Op op, InetSocketAddress target) {
        int error = injected(Call.SUBMIT_SEND_TO);
        return error != 0 ? error : delegate.submitSendTo(op, target);
    }

    @Override
    public void connectDatagram(long socket, InetSocketAddress remote) throws IoException {
        delegate.connectDatagram(socket, remote);
    }

    @Override
    public void disconnectDatagram(long socket) throws IoException {
        delegate.disconnectDatagram(socket);
    }

    @Override
    public CancelResult cancel(Op op) {
        return delegate.cancel(op);
    }

    @Override
    public int poll(OpSlab slab, CompletionSink sink, long timeoutNanos) {
        Throwable thrown = faults.takePollThrow();
        if (thrown instanceof Error) {
            throw (Error) thrown;
        }
        if (thrown != null) {
            throw (RuntimeException) thrown;
        }
        return delegate.poll(slab, (op, bytes, error) -> {
            // Every packet is counted; only a successful one can be turned into a failure.
            int injectedError = packed(faults.next(Call.packetOf(op.type()), error == 0));
            if (injectedError != 0) {
                sink.onPacket(op, 0, injectedError);
            } else {
                sink.onPacket(op, bytes, error);
            }
        }, timeoutNanos);
    }

    @Override
    public void wakeup() {
        delegate.wakeup();
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return "FaultInjecting[" + delegate.name() + "]";
    }
}
