package dev.iocp.netty;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.resolver.dns.SingletonDnsServerAddressStreamProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Netty's {@link DnsNameResolver} — Reactor Netty's and Vert.x's default resolver — on an iocp loop, with
 * {@link IocpDatagramChannel} as its channel, resolving names against a DNS server on loopback that this test runs
 * (a {@link DatagramSocket} answering A queries with a made-up address per name). The same resolver on NIO is the
 * control that shows the server answers; a NIO datagram channel on an iocp loop is refused, which is why the
 * resolver needed a datagram channel of ours.
 */
class DnsNameResolverOnIocpTest {
    private static final long T = 10; // s, the bound of every wait

    private LoopbackDnsServer server;
    private EventLoopGroup iocp;
    private EventLoopGroup nio;

    @BeforeEach
    void setUp() throws SocketException {
        server = new LoopbackDnsServer();
        iocp = new MultiThreadIoEventLoopGroup(1, IocpIoHandler.newFactory());
        nio = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        server.close();
        iocp.shutdownGracefully(0, 0, TimeUnit.SECONDS).await(T, TimeUnit.SECONDS);
        nio.shutdownGracefully(0, 0, TimeUnit.SECONDS).await(T, TimeUnit.SECONDS);
    }

    private DnsNameResolver resolver(EventLoop loop, Class<? extends io.netty.channel.socket.DatagramChannel> type) {
        return new DnsNameResolverBuilder(loop)
                .datagramChannelType(type)
                .nameServerProvider(new SingletonDnsServerAddressStreamProvider(server.address()))
                .resolvedAddressTypes(ResolvedAddressTypes.IPV4_ONLY)
                .resolveCache(NoopDnsCache.INSTANCE)
                .queryTimeoutMillis(TimeUnit.SECONDS.toMillis(T))
                .maxQueriesPerResolve(1)
                .build();
    }

    @Test
    void resolvesOnAnIocpLoop() throws Exception {
        DnsNameResolver resolver = resolver(iocp.next(), IocpDatagramChannel.class);
        try {
            for (int i = 0; i < 20; i++) {
                String name = "host" + i + ".iocp.test";
                InetAddress a = resolver.resolve(name).get(T, TimeUnit.SECONDS);
                assertEquals(LoopbackDnsServer.addressOf(name), a, name);
            }
            assertEquals(20, server.answered.get(), "every name was asked of the server, over UDP");
        } finally {
            resolver.close();
        }
    }

    @Test
    void concurrentQueriesEachGetTheirAnswer() throws Exception {
        DnsNameResolver resolver = resolver(iocp.next(), IocpDatagramChannel.class);
        try {
            java.util.List<io.netty.util.concurrent.Future<InetAddress>> pending = new java.util.ArrayList<>();
            for (int i = 0; i < 50; i++) {
                pending.add(resolver.resolve("many" + i + ".iocp.test"));
            }
            for (int i = 0; i < 50; i++) {
                assertEquals(LoopbackDnsServer.addressOf("many" + i + ".iocp.test"),
                        pending.get(i).get(T, TimeUnit.SECONDS));
            }
        } finally {
            resolver.close();
        }
    }

    @Test
    void anUnknownNameFailsAsOnNio() throws Exception {
        DnsNameResolver resolver = resolver(iocp.next(), IocpDatagramChannel.class);
        try {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> resolver.resolve(LoopbackDnsServer.UNKNOWN).get(T, TimeUnit.SECONDS));
            assertInstanceOf(UnknownHostException.class, e.getCause());
        } finally {
            resolver.close();
        }
    }

    /** The control: the same resolver and server on NIO. */
    @Test
    void theServerAnswersNio() throws Exception {
        DnsNameResolver resolver = resolver(nio.next(), NioDatagramChannel.class);
        try {
            assertEquals(LoopbackDnsServer.addressOf("nio.iocp.test"),
                    resolver.resolve("nio.iocp.test").get(T, TimeUnit.SECONDS));
        } finally {
            resolver.close();
        }
    }

    /**
     * The negative control, and why the resolver needed our channel: NIO's on an iocp loop is refused, and no query
     * can be sent — the failure every DNS lookup on an iocp loop had before ({@code UnknownHostException}).
     */
    @Test
    void aNioDatagramChannelOnAnIocpLoopCannotResolve() throws Exception {
        DnsNameResolver resolver = resolver(iocp.next(), NioDatagramChannel.class);
        try {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> resolver.resolve("refused.iocp.test").get(T, TimeUnit.SECONDS));
            assertInstanceOf(UnknownHostException.class, e.getCause());
            assertEquals(0, server.answered.get(), "no query reached the server");
        } finally {
            try {
                resolver.close();
            } catch (IllegalStateException expected) {
                // "channel not registered to an event loop": the resolver's channel never registered (the close
                // that made Vertx.close() hang before iocp had a datagram channel).
            }
        }
    }

    /**
     * A DNS server for A queries on 127.0.0.1, on a thread of its own: each name gets an address made from its hash
     * ({@link #addressOf}); {@link #UNKNOWN} gets NXDOMAIN. The response is built by hand (RFC 1035 4.1): the query's
     * header with QR, RD, RA set, its question, and one answer pointing at the question's name.
     */
    static final class LoopbackDnsServer implements AutoCloseable {
        static final String UNKNOWN = "nowhere.iocp.test";
        final AtomicInteger answered = new AtomicInteger();
        private final DatagramSocket socket;
        private final Thread thread;

        LoopbackDnsServer() throws SocketException {
            socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            thread = new Thread(this::serve, "loopback-dns");
            thread.setDaemon(true);
            thread.start();
        }

        InetSocketAddress address() {
            return (InetSocketAddress) socket.getLocalSocketAddress();
        }

        static InetAddress addressOf(String name) throws UnknownHostException {
            int h = name.hashCode();
            return InetAddress.getByAddress(new byte[] {10, (byte) (h >>> 16), (byte) (h >>> 8), (byte) h});
        }

        private void serve() {
            byte[] in = new byte[4096];
            while (!socket.isClosed()) {
                DatagramPacket query = new DatagramPacket(in, in.length);
                try {
                    socket.receive(query);
                    byte[] reply = answer(in, query.getLength());
                    socket.send(new DatagramPacket(reply, reply.length, query.getSocketAddress()));
                    answered.incrementAndGet();
                } catch (Exception e) {
                    if (!socket.isClosed()) {
                        e.printStackTrace();
                    }
                }
            }
        }

        private static byte[] answer(byte[] q, int length) throws UnknownHostException {
            // The question: QNAME labels from offset 12 to the zero label, then QTYPE and QCLASS.
            int at = 12;
            StringBuilder name = new StringBuilder();
            while (q[at] != 0) {
                int n = q[at] & 0xFF;
                if (name.length() > 0) {
                    name.append('.');
                }
                name.append(new String(q, at + 1, n, java.nio.charset.StandardCharsets.US_ASCII));
                at += n + 1;
            }
            int questionEnd = at + 1 + 4;
            int qtype = ((q[at + 1] & 0xFF) << 8) | (q[at + 2] & 0xFF);
            boolean known = !name.toString().equalsIgnoreCase(UNKNOWN);
            boolean answers = known && qtype == 1;
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            out.write(q[0]); // ID
            out.write(q[1]);
            out.write(0x81 | (q[2] & 0x01)); // QR, opcode 0, RD as asked
            out.write(0x80 | (known ? 0 : 3)); // RA; RCODE 0 or NXDOMAIN
            out.writeBytes(new byte[] {0, 1, 0, (byte) (answers ? 1 : 0), 0, 0, 0, 0}); // QD, AN, NS, AR counts
            out.write(q, 12, questionEnd - 12);
            if (answers) {
                out.writeBytes(new byte[] {(byte) 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4}); // ptr, A, IN, TTL, 4
                out.writeBytes(addressOf(name.toString()).getAddress());
            }
            return out.toByteArray();
        }

        @Override
        public void close() throws InterruptedException {
            socket.close();
            thread.join(TimeUnit.SECONDS.toMillis(T));
            assertTrue(!thread.isAlive(), "the DNS server's thread ended");
        }
    }
}
