package dev.iocp.netty;

import dev.iocp.core.backend.Backends;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.CharsetUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static dev.iocp.core.testing.LoopTesting.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link IocpDatagramChannel} on the simulated backend, on io_uring and on Win32 (each where it runs; Win32 under
 * Wine through win-tests' subclass): what Netty's own datagram tests do not show — a held datagram with auto-read
 * off, truncation to the receive buffer, the port-unreachable, the refusals by name, a close with the receive in
 * flight.
 */
public class IocpDatagramChannelTest {
    private static final long T = 10; // s, the bound of every wait

    private EventLoopGroup group;

    private void start(String backend) {
        if (!backend.equals("simulated")) {
            String why = null;
            try {
                Backends.byName(backend).newBackend().close();
            } catch (Exception | LinkageError e) {
                why = String.valueOf(e);
            }
            String unavailable = why;
            assumeTrue(unavailable == null, () -> backend + " unavailable here: " + unavailable);
        }
        group = new MultiThreadIoEventLoopGroup(1, IocpIoHandler.newFactory(Backends.byName(backend)));
    }

    @AfterEach
    void shutdown() throws InterruptedException {
        if (group != null) {
            assertTrue(group.shutdownGracefully(0, 0, TimeUnit.SECONDS).await(T, TimeUnit.SECONDS),
                    "the loop ended: every op came back");
        }
    }

    private static InetSocketAddress loopback() throws Exception {
        return new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0);
    }

    /** A channel that queues what it reads (retained: the test releases). */
    private Channel receiver(BlockingQueue<DatagramPacket> into, boolean autoRead, int receiveBuffer)
            throws Exception {
        return new Bootstrap().group(group).channel(IocpDatagramChannel.class)
                .option(ChannelOption.AUTO_READ, autoRead)
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(receiveBuffer))
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket msg) {
                        into.add(msg.retain());
                    }
                })
                .bind(loopback()).sync().channel();
    }

    private Channel sender() throws Exception {
        return new Bootstrap().group(group).channel(IocpDatagramChannel.class)
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket msg) {
                    }
                })
                .bind(loopback()).sync().channel();
    }

    private static void send(Channel from, String text, InetSocketAddress to) throws InterruptedException {
        from.writeAndFlush(new DatagramPacket(Unpooled.copiedBuffer(text, CharsetUtil.US_ASCII), to)).sync();
    }

    private static String take(BlockingQueue<DatagramPacket> queue, InetSocketAddress expectedSender)
            throws InterruptedException {
        DatagramPacket p = queue.poll(T, TimeUnit.SECONDS);
        assertNotNull(p, "a datagram within " + T + " s");
        try {
            assertEquals(expectedSender, p.sender());
            return p.content().toString(CharsetUtil.US_ASCII);
        } finally {
            p.release();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"simulated", "io_uring", "win32"})
    void withAutoReadOffADatagramIsHeldAndDeliveredByTheNextRead(String backend) throws Exception {
        start(backend);
        BlockingQueue<DatagramPacket> got = new LinkedBlockingQueue<>();
        IocpDatagramChannel rx = (IocpDatagramChannel) receiver(got, false, 2048);
        Channel tx = sender();
        InetSocketAddress from = (InetSocketAddress) tx.localAddress();
        rx.read();
        send(tx, "one", rx.localAddress());
        assertEquals("one", take(got, from));
        // The receive is armed again at once, asked for or not: the next datagram completes it and is held.
        send(tx, "two", rx.localAddress());
        await("the second datagram is held", () -> rx.receivesHeld() == 1);
        assertTrue(got.isEmpty(), "nothing is delivered while nobody asks");
        send(tx, "three", rx.localAddress()); // waits in the socket meanwhile
        rx.read();
        assertEquals("two", take(got, from));
        rx.read();
        assertEquals("three", take(got, from));
        rx.close().sync();
        tx.close().sync();
    }

    @ParameterizedTest
    @ValueSource(strings = {"simulated", "io_uring", "win32"})
    void aDatagramLargerThanTheReceiveBufferIsTruncatedAsNioDoes(String backend) throws Exception {
        start(backend);
        BlockingQueue<DatagramPacket> got = new LinkedBlockingQueue<>();
        Channel rx = receiver(got, true, 8);
        Channel tx = sender();
        InetSocketAddress from = (InetSocketAddress) tx.localAddress();
        send(tx, "0123456789abcdef", (InetSocketAddress) rx.localAddress());
        send(tx, "next", (InetSocketAddress) rx.localAddress());
        assertEquals("01234567", take(got, from), "the bytes that fitted");
        assertEquals("next", take(got, from), "the rest of the long one is gone, the next one whole");
        assertTrue(rx.isOpen(), "truncation is no error");
        rx.close().sync();
        tx.close().sync();
    }

    @ParameterizedTest
    @ValueSource(strings = {"simulated", "io_uring", "win32"})
    void connectedChannelsTalkWithPlainBuffers(String backend) throws Exception {
        start(backend);
        BlockingQueue<DatagramPacket> got = new LinkedBlockingQueue<>();
        Channel rx = receiver(got, true, 2048);
        Channel tx = new Bootstrap().group(group).channel(IocpDatagramChannel.class)
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket msg) {
                    }
                })
                .connect(rx.localAddress()).sync().channel();
        assertTrue(((IocpDatagramChannel) tx).isConnected());
        assertEquals(rx.localAddress(), tx.remoteAddress());
        tx.writeAndFlush(Unpooled.copiedBuffer("plain", CharsetUtil.US_ASCII)).sync();
        assertEquals("plain", take(got, (InetSocketAddress) tx.localAddress()));
        tx.disconnect().sync();
        ChannelFuture unconnected = tx.writeAndFlush(Unpooled.copiedBuffer("x", CharsetUtil.US_ASCII)).await();
        assertInstanceOf(java.nio.channels.NotYetConnectedException.class, unconnected.cause());
        rx.close().sync();
        tx.close().sync();
    }

    @ParameterizedTest
    @ValueSource(strings = {"simulated", "io_uring", "win32"})
    void aConnectedChannelHearsThatThePortIsUnreachableAndStaysOpen(String backend) throws Exception {
        start(backend);
        assumeTrue(!backend.equals("win32") || !dev.iocp.core.testing.Platform.underWine(),
                "Wine 8 reports no ICMP port-unreachable to a connected UDP socket (DatagramContractTest)");
        // A port nobody holds: a JDK socket's close releases it at once. (A closed iocp channel's port may stay
        // bound until its cancelled receive's completion is reaped: the packet, not the close, is the end.)
        InetSocketAddress nobody;
        try (java.net.DatagramSocket gone = new java.net.DatagramSocket(loopback())) {
            nobody = (InetSocketAddress) gone.getLocalSocketAddress();
        }
        BlockingQueue<Throwable> caught = new LinkedBlockingQueue<>();
        Channel ch = new Bootstrap().group(group).channel(IocpDatagramChannel.class)
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket msg) {
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        caught.add(cause);
                    }
                })
                .connect(nobody).sync().channel();
        ch.writeAndFlush(Unpooled.copiedBuffer("anyone?", CharsetUtil.US_ASCII)).sync();
        Throwable cause = caught.poll(T, TimeUnit.SECONDS);
        assertInstanceOf(java.net.PortUnreachableException.class, cause);
        assertTrue(ch.isOpen(), "a port-unreachable does not close a datagram channel");
        ch.close().sync();
    }

    @ParameterizedTest
    @ValueSource(strings = {"simulated", "io_uring", "win32"})
    void multicastIsRefusedByName(String backend) throws Exception {
        start(backend);
        IocpDatagramChannel ch = (IocpDatagramChannel) sender();
        ChannelFuture join = ch.joinGroup(InetAddress.getByName("239.1.2.3")).await();
        assertInstanceOf(UnsupportedOperationException.class, join.cause());
        assertTrue(join.cause().getMessage().contains("joinGroup"), join.cause().getMessage());
        UnsupportedOperationException ttl = assertThrows(UnsupportedOperationException.class,
                () -> ch.config().setOption(ChannelOption.IP_MULTICAST_TTL, 4));
        assertTrue(ttl.getMessage().contains("IP_MULTICAST_TTL"), ttl.getMessage());
        UnsupportedOperationException tos = assertThrows(UnsupportedOperationException.class,
                () -> ch.config().setTrafficClass(0x10));
        assertTrue(tos.getMessage().contains("IP_TOS"), tos.getMessage());
        assertTrue(ch.isOpen(), "a refused option leaves the channel as it was");
        ch.config().setBroadcast(true);
        assertTrue(ch.config().isBroadcast(), "SO_BROADCAST reads back from the socket");
        ch.close().sync();
    }

    @ParameterizedTest
    @ValueSource(strings = {"simulated", "io_uring", "win32"})
    void closeWithTheReceiveInFlightEndsCleanly(String backend) throws Exception {
        start(backend);
        BlockingQueue<DatagramPacket> got = new LinkedBlockingQueue<>();
        Channel rx = receiver(got, true, 2048); // auto-read: its receive is in flight from the bind on
        rx.close().sync();
        assertTrue(got.isEmpty());
        // The loop's shutdown (AfterEach) waits for the receive's packet: it ends only if that packet came.
    }

    @ParameterizedTest
    @ValueSource(strings = {"simulated", "io_uring", "win32"})
    void aWriteOfAnUnsupportedTypeFailsItsPromiseOnly(String backend) throws Exception {
        start(backend);
        Channel ch = sender();
        ChannelFuture f = ch.writeAndFlush("not a datagram").await();
        assertInstanceOf(UnsupportedOperationException.class, f.cause());
        assertTrue(ch.isOpen());
        ByteBuf heap = Unpooled.wrappedBuffer(new byte[] {1, 2, 3});
        BlockingQueue<DatagramPacket> got = new LinkedBlockingQueue<>();
        Channel rx = receiver(got, true, 2048);
        ch.writeAndFlush(new DatagramPacket(heap, (InetSocketAddress) rx.localAddress())).sync();
        DatagramPacket p = got.poll(T, TimeUnit.SECONDS);
        assertNotNull(p);
        assertEquals(3, p.content().readableBytes(), "a heap buffer is copied, not refused");
        p.release();
        rx.close().sync();
        ch.close().sync();
    }
}
