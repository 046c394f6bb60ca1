package dev.iocp.http.framework;

import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.http.HttpServerConfig;
import dev.iocp.http.server.NativeHttpServer;
import dev.iocp.netty.IocpIoHandler;
import dev.iocp.netty.IocpServerSocketChannel;
import dev.iocp.netty.IocpSocketChannel;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.resolver.DefaultAddressResolverGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
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
 * A real framework on iocp, its code unchanged: Reactor Netty's {@code HttpServer}, called through Reactor Netty's
 * {@code HttpClient}, both on iocp-netty's channels (io_uring here; a completion port on Windows). The only seam is
 * Reactor Netty's own {@link LoopResources}: it supplies our event loop group, and {@code onChannel} — which Reactor
 * Netty 1.3 asks for every channel it creates — answers with our channel classes.
 */
class ReactorNettyOnIocpTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private EventLoopGroup group;
    private LoopResources loops;
    private DisposableServer server;
    private ConnectionProvider pool;
    /** Distinct channels (the client's callback runs at every acquisition of a pooled connection). */
    private final Set<Channel> serverChannels = ConcurrentHashMap.newKeySet();
    private final Set<Channel> clientChannels = ConcurrentHashMap.newKeySet();

    /** Reactor Netty's hook, answered with iocp: our group for every role, our channels for TCP. */
    static final class IocpLoopResources implements LoopResources {
        private final EventLoopGroup group;

        IocpLoopResources(EventLoopGroup group) {
            this.group = group;
        }

        @Override
        public EventLoopGroup onServer(boolean useNative) {
            return group;
        }

        @Override
        public <C extends Channel> C onChannel(Class<C> channelType, EventLoopGroup g) {
            return channelType.cast(newChannel(channelType));
        }

        @Override
        public <C extends Channel> Class<? extends C> onChannelClass(Class<C> channelType, EventLoopGroup g) {
            return newChannel(channelType).getClass().asSubclass(channelType);
        }

        private static Channel newChannel(Class<?> type) {
            if (type == ServerSocketChannel.class) {
                return new IocpServerSocketChannel();
            }
            if (type == SocketChannel.class) {
                return new IocpSocketChannel();
            }
            // UDP (Reactor's DNS resolver) and domain sockets: not iocp's; the test resolves with the JDK instead
            throw new UnsupportedOperationException("iocp-netty has no " + type.getName());
        }

        @Override
        public Mono<Void> disposeLater(Duration quietPeriod, Duration timeout) {
            return Mono.empty(); // the group is the test's, shut down by it
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        group = new MultiThreadIoEventLoopGroup(2, IocpIoHandler.newFactory());
        loops = new IocpLoopResources(group);
        server = HttpServer.create()
                .bindAddress(() -> loopback(0))
                .runOn(loops)
                .doOnConnection(connection -> serverChannels.add(connection.channel()))
                .route(routes -> routes
                        .get("/hello/{name}", (request, response) ->
                                response.sendString(Mono.just("Hello, " + request.param("name") + "!")))
                        .post("/echo", (request, response) -> response.send(request.receive().retain()))
                        .get("/lines", (request, response) ->
                                response.sendString(Flux.range(0, 20_000).map(i -> "line " + i + "\n"))))
                .bindNow(WAIT);
        pool = ConnectionProvider.builder("iocp-test").maxConnections(4).pendingAcquireMaxCount(1000).build();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (server != null) {
            server.disposeNow(WAIT);
        }
        if (pool != null) {
            pool.disposeLater().block(WAIT);
        }
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS);
    }

    private HttpClient client(int port) {
        return HttpClient.create(pool)
                // Reactor's default resolver speaks DNS over UDP, which iocp-netty has no channel for; the JDK's will
                // do. Set before runOn, which would otherwise build the default one at once.
                .resolver(DefaultAddressResolverGroup.INSTANCE)
                .runOn(loops)
                .doOnConnected(connection -> clientChannels.add(connection.channel()))
                .baseUrl("http://127.0.0.1:" + port);
    }

    @Test
    void reactorNettysHttpServerAnswersItsHttpClientOverIocpChannels() {
        HttpClient client = client(server.port());

        assertEquals("Hello, iocp!", client.get().uri("/hello/iocp").responseContent().aggregate().asString().block(WAIT));

        byte[] body = new byte[1 << 20];
        new Random(12).nextBytes(body);
        byte[] echoed = client.post().uri("/echo").send(Mono.just(Unpooled.wrappedBuffer(body)))
                .responseContent().aggregate().asByteArray().block(WAIT);
        assertArrayEquals(body, echoed);

        String lines = client.get().uri("/lines").responseContent().aggregate().asString().block(WAIT);
        String[] each = lines.split("\n");
        assertEquals(20_000, each.length);
        assertEquals("line 19999", each[19_999]);

        List<Integer> statuses = Flux.range(0, 50)
                .flatMap(i -> client.get().uri("/hello/" + i)
                        .responseSingle((r, content) -> content.asString().map(text -> r.status().code())), 8)
                .collectList().block(WAIT);
        assertEquals(50, statuses.size());
        assertTrue(statuses.stream().allMatch(s -> s == 200), statuses.toString());

        // What proves it ran on iocp: every channel either side made is one of ours.
        assertInstanceOf(IocpServerSocketChannel.class, server.channel());
        assertFalse(serverChannels.isEmpty());
        assertFalse(clientChannels.isEmpty());
        serverChannels.forEach(ch -> assertInstanceOf(IocpSocketChannel.class, ch));
        clientChannels.forEach(ch -> assertInstanceOf(IocpSocketChannel.class, ch));
        assertTrue(clientChannels.size() <= 4, "53 requests, and the pool of 4 kept its connections alive: "
                + clientChannels.size() + " connections");
    }

    /** The hook is really used: a channel type iocp does not have fails loudly instead of falling back to NIO. */
    @Test
    void aChannelTypeIocpHasNotIsRefusedNotReplaced() {
        assertThrows(UnsupportedOperationException.class,
                () -> loops.onChannel(io.netty.channel.socket.DatagramChannel.class, group));
    }

    /** Reactor Netty's client, on iocp, against the native-API server of this module. */
    @Test
    void reactorNettysHttpClientTalksToTheNativeServer() throws Exception {
        IocpEventLoopGroup nativeGroup = new IocpEventLoopGroup(1);
        try (NativeHttpServer nativeServer = NativeHttpServer.start(nativeGroup, loopback(0), HttpServerConfig.DEFAULT)) {
            HttpClient client = client(nativeServer.localAddress().getPort());
            assertEquals("Hello, World!", client.get().uri("/plaintext").responseContent().aggregate().asString().block(WAIT));
            byte[] body = new byte[300_000];
            new Random(3).nextBytes(body);
            assertArrayEquals(body, client.post().uri("/echo").send(Mono.just(Unpooled.wrappedBuffer(body)))
                    .responseContent().aggregate().asByteArray().block(WAIT));
            byte[] bytes = client.get().uri("/bytes/100000").responseContent().aggregate().asByteArray().block(WAIT);
            assertEquals(100_000, bytes.length);
            for (int i = 0; i < bytes.length; i++) {
                assertEquals((byte) i, bytes[i], "byte " + i);
            }
        } finally {
            nativeGroup.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS);
        }
        clientChannels.forEach(ch -> assertInstanceOf(IocpSocketChannel.class, ch));
    }

    static InetSocketAddress loopback(int port) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), port);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
