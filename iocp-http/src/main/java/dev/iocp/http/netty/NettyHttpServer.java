package dev.iocp.http.netty;

import dev.iocp.http.HttpServerConfig;
import dev.iocp.http.RunningHttpServer;
import dev.iocp.netty.IocpIoHandler;
import dev.iocp.netty.IocpServerSocketChannel;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The HTTP server on Netty: Netty's own HTTP/1.1 codec ({@link HttpServerCodec}) and a route handler
 * ({@link RouteHandler}), on whatever transport it is given — iocp-netty's channels in {@code iocp http --api
 * netty}, or any other Netty transport, so that the same server can be compared across transports.
 *
 * <pre>{@code
 * EventLoopGroup group = new MultiThreadIoEventLoopGroup(IocpIoHandler.newFactory());
 * RunningHttpServer server = NettyHttpServer.start(group, IocpServerSocketChannel.class, address, HttpServerConfig.DEFAULT);
 * }</pre>
 *
 * <p>Each connection's pipeline: {@link HeadBytes} (counts bytes in, for the slow-header timeout) → the codec →
 * Netty's {@link FlowControlHandler} (hands on one decoded message per {@code read()}) → {@link RouteHandler}.
 * Auto-read is off: the route handler asks for each next message when it can take it, which is how it keeps
 * pipelined requests in order and stops reading a peer that does not read its responses.
 */
public final class NettyHttpServer implements RunningHttpServer {
    private final Channel channel;

    private NettyHttpServer(Channel channel) {
        this.channel = channel;
    }

    /** An event loop group on iocp-netty: one loop (one completion port, or ring) per thread. */
    public static EventLoopGroup newIocpGroup(int loops) {
        return new MultiThreadIoEventLoopGroup(loops, IocpIoHandler.newFactory());
    }

    /** Listens on iocp-netty's server channel. */
    public static NettyHttpServer start(EventLoopGroup group, InetSocketAddress address, HttpServerConfig config)
            throws InterruptedException {
        return start(group, IocpServerSocketChannel.class, address, config);
    }

    /** Listens with {@code channelClass}, which must suit {@code group}'s transport; waits for the bind. */
    public static NettyHttpServer start(EventLoopGroup group, Class<? extends ServerChannel> channelClass,
                                        InetSocketAddress address, HttpServerConfig config) throws InterruptedException {
        return start(group, channelClass, address, config, channel -> {});
    }

    /** As above, telling {@code made} of each accepted channel (the tests look at their outbound buffers). */
    static NettyHttpServer start(EventLoopGroup group, Class<? extends ServerChannel> channelClass,
                                 InetSocketAddress address, HttpServerConfig config, Consumer<Channel> made)
            throws InterruptedException {
        HttpDecoderConfig decoder = new HttpDecoderConfig()
                .setMaxInitialLineLength(config.maxRequestLineBytes())
                .setMaxHeaderSize(config.maxHeaderBytes());
        int pipelineDepth = pipelineDepth(config);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(channelClass)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(64, 2048, MAX_READ))
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        made.accept(ch);
                        HeadBytes bytesIn = new HeadBytes();
                        ch.pipeline().addLast(bytesIn, new HttpServerCodec(decoder, pipelineDepth), new FlowControlHandler(),
                                new RouteHandler(config, bytesIn));
                    }
                });
        Channel channel = bootstrap.bind(address).sync().channel();
        return new NettyHttpServer(channel);
    }

    /** The most one read() brings with auto-read off (one buffer: the allocator's maximum, pinned above). */
    static final int MAX_READ = 64 * 1024;
    /** The shortest request there is: {@code GET / HTTP/1.0} and the empty line. */
    static final int SHORTEST_REQUEST = "GET / HTTP/1.0\r\n\r\n".length();

    /**
     * How many requests the codec may hold decoded and unanswered. It decodes every request of a read at once (the
     * flow-control handler behind it then hands them on one by one), and the route handler asks for the next read
     * only once all of them are answered; so at most one read, plus the unfinished head it may continue, is
     * decoded ahead. The codec's own default (128) would refuse a client that pipelines more than 128 short
     * requests into one read — the native server takes any number — so the depth covers that bound instead.
     */
    static int pipelineDepth(HttpServerConfig config) {
        return (MAX_READ + config.maxRequestLineBytes() + config.maxHeaderBytes()) / SHORTEST_REQUEST + 1;
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
