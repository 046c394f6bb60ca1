package dev.iocp.http.netty;

import dev.iocp.http.HttpServerBehaviourTest;
import dev.iocp.http.HttpServerConfig;
import dev.iocp.http.RunningHttpServer;
import dev.iocp.netty.IocpServerSocketChannel;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoopGroup;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** {@link HttpServerBehaviourTest} against the Netty server (Netty's HTTP codec on iocp-netty's channels). */
class NettyHttpServerTest extends HttpServerBehaviourTest {
    private final List<EventLoopGroup> groups = new CopyOnWriteArrayList<>();
    private final List<Channel> channels = new CopyOnWriteArrayList<>();

    @Override
    protected RunningHttpServer start(HttpServerConfig config) throws Exception {
        EventLoopGroup group = NettyHttpServer.newIocpGroup(2);
        groups.add(group);
        return NettyHttpServer.start(group, IocpServerSocketChannel.class, loopback(0), config, channels::add);
    }

    @Override
    protected void stopLoops() throws Exception {
        for (EventLoopGroup group : groups) {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS);
        }
    }

    @Override
    protected long serverQueuedBytes() throws Exception {
        long sum = 0;
        for (Channel ch : channels) {
            sum += ch.eventLoop().submit(() -> {
                ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
                return out == null ? 0L : out.totalPendingWriteBytes();
            }).get(10, TimeUnit.SECONDS);
        }
        return sum;
    }

    @Override
    protected boolean serverWaitsForPeer() {
        for (Channel ch : channels) {
            if (ch.isActive() && !ch.isWritable()) {
                return true;
            }
        }
        return false;
    }
}
