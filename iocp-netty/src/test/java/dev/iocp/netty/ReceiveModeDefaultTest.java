package dev.iocp.netty;

import dev.iocp.core.backend.Backends;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.bootstrap.ServerBootstrap;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link IocpChannelOption#READINESS_RECEIVES}' default follows the backend when {@code -Diocp.receiveMode} is not
 * set (buffered on io_uring, readiness elsewhere), and an explicit option wins over it.
 */
class ReceiveModeDefaultTest {

    private static boolean defaultOf(String backend, Boolean option) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, IocpIoHandler.newFactory(Backends.byName(backend)));
        try {
            ServerBootstrap b = new ServerBootstrap().group(group).channel(IocpServerSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter());
            Channel listener = b.bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            IocpSocketChannel client = new IocpSocketChannel();
            if (option != null) {
                client.config().setReadinessReceives(option);
            }
            group.register(client).sync();
            client.connect(listener.localAddress()).sync();
            boolean readiness = client.eventLoop().submit(() -> client.config().isReadinessReceives()).get();
            client.close().sync();
            listener.close().sync();
            return readiness;
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void theDefaultFollowsTheBackendAndTheOptionWins() throws Exception {
        assumeTrue(IocpSocketChannelConfig.CONFIGURED_READINESS_RECEIVES == null,
                "-Diocp.receiveMode is set for this run: the backend's default is not in play");
        assertEquals(true, defaultOf("simulated", null), "simulated: readiness");
        assertEquals(false, defaultOf("simulated", false), "the option wins");
        if ("io_uring".equals(backendNameOfDefault())) {
            assertEquals(false, defaultOf("io_uring", null), "io_uring: buffered");
            assertEquals(true, defaultOf("io_uring", true), "the option wins");
        }
    }

    private static String backendNameOfDefault() {
        try (var backend = Backends.defaultFactory().newBackend()) {
            return backend.name();
        } catch (Exception e) {
            return "unknown";
        }
    }
}
