package dev.iocp.reactor.netty;

import dev.iocp.netty.IocpDatagramChannel;
import dev.iocp.netty.IocpIoHandler;
import dev.iocp.netty.IocpServerSocketChannel;
import dev.iocp.netty.IocpSocketChannel;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reactor Netty unchanged on {@link IocpLoopResources}: its HTTP server serves a static file with {@code sendFile}
 * (a FileRegion on plain HTTP) to its HTTP client, both proven by their channel classes to run on iocp.
 */
class IocpLoopResourcesTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private IocpLoopResources loops;
    private DisposableServer server;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.disposeNow(WAIT);
        }
        if (loops != null) {
            loops.disposeLater().block(WAIT);
        }
    }

    private static InetSocketAddress loopback(int port) {
        return new InetSocketAddress("127.0.0.1", port); // a literal: no lookup, no NetworkInterface walk
    }

    @Test
    void reactorNettyServesAStaticFileOverIocpChannels() throws Exception {
        byte[] content = new byte[3 * 1024 * 1024 + 17];
        new Random(7).nextBytes(content);
        Path file = Files.write(dir.resolve("static.bin"), content);
        Set<Channel> serverChannels = ConcurrentHashMap.newKeySet();
        Set<Channel> clientChannels = ConcurrentHashMap.newKeySet();

        loops = IocpLoopResources.create("iocp-reactor-test", 2);
        server = HttpServer.create().bindAddress(() -> loopback(0)).runOn(loops)
                .doOnConnection(c -> serverChannels.add(c.channel()))
                .route(routes -> routes.get("/static.bin", (request, response) -> response.sendFile(file)))
                .bindNow(WAIT);
        // Reactor Netty's own default resolver (DNS over UDP): it runs on the iocp loops' datagram channel.
        HttpClient client = HttpClient.create()
                .runOn(loops)
                .doOnConnected(c -> clientChannels.add(c.channel()))
                .baseUrl("http://127.0.0.1:" + server.port());

        for (int i = 0; i < 3; i++) {
            byte[] got = client.get().uri("/static.bin").responseContent().aggregate().asByteArray().block(WAIT);
            assertArrayEquals(content, got, "the file, byte for byte (request " + i + ")");
        }

        assertInstanceOf(IocpServerSocketChannel.class, server.channel());
        assertFalse(serverChannels.isEmpty());
        assertFalse(clientChannels.isEmpty());
        serverChannels.forEach(ch -> assertInstanceOf(IocpSocketChannel.class, ch));
        clientChannels.forEach(ch -> assertInstanceOf(IocpSocketChannel.class, ch));
    }

    @Test
    void everyChannelTypeIsIocpsAndOneItLacksIsRefusedByName() {
        loops = IocpLoopResources.create("iocp-reactor-test", 1);
        EventLoopGroup g = loops.onClient(true);
        assertEquals(IocpDatagramChannel.class, loops.onChannelClass(DatagramChannel.class, g));
        assertInstanceOf(IocpDatagramChannel.class, loops.onChannel(DatagramChannel.class, g));
        assertEquals(IocpSocketChannel.class, loops.onChannelClass(SocketChannel.class, g));
        UnsupportedOperationException refused = assertThrows(UnsupportedOperationException.class,
                () -> loops.onChannelClass(io.netty.channel.unix.DomainSocketChannel.class, g));
        assertTrue(refused.getMessage().contains("DomainSocketChannel"), refused.getMessage());
    }

    @Test
    void disposeShutsDownAnOwnedGroupAndLeavesAGivenOneRunning() throws Exception {
        loops = IocpLoopResources.create("iocp-reactor-test", 1);
        EventLoopGroup owned = loops.onServer(true);
        loops.disposeLater().block(WAIT);
        assertTrue(owned.isTerminated(), "the group create() made is shut down by disposeLater");
        assertTrue(loops.isDisposed());

        EventLoopGroup mine = new MultiThreadIoEventLoopGroup(1, IocpIoHandler.newFactory());
        try {
            IocpLoopResources borrowed = IocpLoopResources.of(mine);
            borrowed.disposeLater().block(WAIT);
            assertFalse(mine.isShuttingDown(), "a group given with of() stays its owner's");
            assertEquals(mine, borrowed.onServer(false));
        } finally {
            mine.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS);
        }
    }
}
