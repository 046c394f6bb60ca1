package dev.iocp.reactor.netty;

import dev.iocp.netty.IocpDatagramChannel;
import dev.iocp.netty.IocpIoHandler;
import dev.iocp.netty.IocpServerSocketChannel;
import dev.iocp.netty.IocpSocketChannel;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import reactor.core.publisher.Mono;
import reactor.netty.resources.LoopResources;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reactor Netty on iocp: the {@link LoopResources} that gives Reactor Netty's servers and clients (and so Spring
 * WebFlux's server and {@code WebClient}) iocp-netty's event loops and channels.
 * <pre>{@code
 * LoopResources loops = IocpLoopResources.create("iocp");
 * HttpServer.create().runOn(loops)...;
 * HttpClient.create().runOn(loops)...;
 * }</pre>
 * Reactor Netty asks its {@code LoopResources} for the event loop group of every role and for every channel it
 * makes ({@link #onChannel}, {@link #onChannelClass}); this one answers with one iocp group for every role (accepts
 * are cheap on a completion port: no separate selector loop is needed) and with {@link IocpServerSocketChannel},
 * {@link IocpSocketChannel} and {@link IocpDatagramChannel} (so Reactor Netty's default resolver, DNS over UDP, runs
 * on these loops too). A channel type iocp-netty does not have (domain sockets) is refused by name, never replaced
 * by NIO's: a NIO channel cannot register with an iocp loop, and a silent fallback would hide which transport
 * serves.
 *
 * <p>{@link #create} makes and owns its group (daemon threads, as Reactor Netty's own): {@link #disposeLater} shuts it
 * down. {@link #of} uses a group you own and never shuts it down.
 */
public final class IocpLoopResources implements LoopResources {
    private final EventLoopGroup group;
    private final EventLoopGroup colocated;
    private final boolean ownsGroup;
    private final AtomicBoolean disposed = new AtomicBoolean();

    private IocpLoopResources(EventLoopGroup group, boolean ownsGroup) {
        this.group = group;
        this.colocated = LoopResources.colocate(group);
        this.ownsGroup = ownsGroup;
    }

    /**
     * A group of {@link LoopResources#DEFAULT_IO_WORKER_COUNT} iocp loops (Reactor Netty's default count); owned.
     *
     * @param threadPrefix the loop threads' name prefix
     * @return the resources, owning their group
     */
    public static IocpLoopResources create(String threadPrefix) {
        return create(threadPrefix, LoopResources.DEFAULT_IO_WORKER_COUNT);
    }

    /**
     * A group of {@code loops} iocp loops, with daemon threads named after {@code threadPrefix}; owned.
     *
     * @param threadPrefix the loop threads' name prefix
     * @param loops how many loops (at least 1)
     * @return the resources, owning their group
     */
    public static IocpLoopResources create(String threadPrefix, int loops) {
        Objects.requireNonNull(threadPrefix, "threadPrefix");
        if (loops < 1) {
            throw new IllegalArgumentException("loops must be at least 1: " + loops);
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(loops, new DefaultThreadFactory(threadPrefix, true),
                IocpIoHandler.newFactory());
        return new IocpLoopResources(group, true);
    }

    /**
     * Your own group, which must run {@link IocpIoHandler}s (a {@code MultiThreadIoEventLoopGroup} made with
     * {@link IocpIoHandler#newFactory()}); it is never shut down here.
     *
     * @param group the group to run every role on
     * @return the resources, borrowing the group
     */
    public static IocpLoopResources of(EventLoopGroup group) {
        return new IocpLoopResources(Objects.requireNonNull(group, "group"), false);
    }

    @Override
    public EventLoopGroup onServer(boolean useNative) {
        return group;
    }

    @Override
    public EventLoopGroup onServerSelect(boolean useNative) {
        return group;
    }

    /** Colocated, as Reactor Netty's own: a client made on a loop thread stays on that loop. */
    @Override
    public EventLoopGroup onClient(boolean useNative) {
        return colocated;
    }

    @Override
    public <C extends Channel> C onChannel(Class<C> channelType, EventLoopGroup eventLoopGroup) {
        if (channelType == ServerSocketChannel.class) {
            return channelType.cast(new IocpServerSocketChannel());
        }
        if (channelType == SocketChannel.class) {
            return channelType.cast(new IocpSocketChannel());
        }
        if (channelType == DatagramChannel.class) {
            return channelType.cast(new IocpDatagramChannel());
        }
        throw unsupported(channelType);
    }

    @Override
    public <C extends Channel> Class<? extends C> onChannelClass(Class<C> channelType, EventLoopGroup eventLoopGroup) {
        if (channelType == ServerSocketChannel.class) {
            return IocpServerSocketChannel.class.asSubclass(channelType);
        }
        if (channelType == SocketChannel.class) {
            return IocpSocketChannel.class.asSubclass(channelType);
        }
        if (channelType == DatagramChannel.class) {
            return IocpDatagramChannel.class.asSubclass(channelType);
        }
        throw unsupported(channelType);
    }

    private static UnsupportedOperationException unsupported(Class<?> channelType) {
        return new UnsupportedOperationException("iocp-netty has no " + channelType.getName());
    }

    @Override
    public boolean daemon() {
        return true;
    }

    @Override
    public Mono<Void> disposeLater(Duration quietPeriod, Duration timeout) {
        return Mono.defer(() -> {
            if (!disposed.compareAndSet(false, true) || !ownsGroup) {
                return Mono.empty();
            }
            return Mono.create(sink -> group.shutdownGracefully(quietPeriod.toMillis(), timeout.toMillis(),
                    TimeUnit.MILLISECONDS).addListener(f -> {
                        if (f.isSuccess()) {
                            sink.success();
                        } else {
                            sink.error(f.cause());
                        }
                    }));
        });
    }

    @Override
    public boolean isDisposed() {
        return disposed.get() && (!ownsGroup || group.isTerminated());
    }
}
