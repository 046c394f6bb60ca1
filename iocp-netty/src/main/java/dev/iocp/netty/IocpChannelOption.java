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

    @SuppressWarnings("unused")
    private IocpChannelOption() {
        super(null);
    }
}
