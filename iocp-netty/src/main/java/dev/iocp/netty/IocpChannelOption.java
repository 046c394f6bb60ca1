package dev.iocp.netty;

import io.netty.channel.ChannelOption;

/** Options only iocp channels have. */
public final class IocpChannelOption<T> extends ChannelOption<T> {
    /**
     * Accepts kept pending on a server channel (AcceptEx on Windows), default {@value
     * IocpServerSocketChannelConfig#DEFAULT_PENDING_ACCEPTS}: how many connections can complete their accept while
     * the loop is busy elsewhere, before they wait in the listen backlog.
     */
    public static final ChannelOption<Integer> PENDING_ACCEPTS = valueOf(IocpChannelOption.class, "PENDING_ACCEPTS");

    /**
     * How a socket channel waits for data. {@code true}: an idle channel keeps a <em>readiness</em> receive in
     * flight — no buffer (a zero-byte WSARecv on Windows, a POLLIN poll on io_uring) — and the buffer is allocated
     * only when the socket is readable, then filled without waiting; an idle connection pins no memory (on Windows
     * a pending receive's buffer is locked in physical memory). {@code false}: a receive into an allocator buffer
     * is in flight all the time (one kernel call fewer per message; one buffer per connection). Default: set by
     * {@code -Diocp.receiveMode=buffered|readiness} if given, else by the backend — buffered on io_uring, readiness
     * on Windows (see {@link IocpSocketChannelConfig#isReadinessReceives()} for the measurements behind it).
     */
    public static final ChannelOption<Boolean> READINESS_RECEIVES =
            valueOf(IocpChannelOption.class, "READINESS_RECEIVES");

    /**
     * The most bytes one gathering send of a socket channel names (one WSASend on Windows, one SENDMSG on io_uring);
     * what a flush holds beyond it goes in the sends that follow, one at a time. On Windows every byte a pending
     * WSASend names is locked in physical memory until its packet, so without a cap one huge write, or many slow
     * readers with large writes queued, can exhaust the locked-page quota (WSAENOBUFS). Default
     * ({@link IocpSocketChannelConfig#getMaxBytesPerSend()}): twice {@code SO_SNDBUF} where that was set, as Netty's
     * NIO channel starts its {@code maxBytesPerGatheringWrite}; otherwise {@value
     * IocpSocketChannelConfig#DEFAULT_MAX_BYTES_PER_SEND} bytes.
     */
    public static final ChannelOption<Integer> MAX_BYTES_PER_SEND = valueOf(IocpChannelOption.class,
            "MAX_BYTES_PER_SEND");

    @SuppressWarnings("unused")
    private IocpChannelOption() {
        super(null);
    }
}
