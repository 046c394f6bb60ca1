package dev.iocp.netty;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.BackendFactory;
import dev.iocp.core.backend.Backends;
import dev.iocp.core.backend.Op;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link IocpChannelOption#MAX_BYTES_PER_SEND}: a huge write goes out in several sends of at most the cap, and
 * arrives intact. On the simulated backend, behind a wrapper that records how many bytes each submitted send names
 * (what the kernel would lock on Windows while it is pending).
 */
class MaxBytesPerSendTest {
    private EventLoopGroup group;
    private final List<Integer> sendSizes = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        if (group != null) {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS);
        }
    }

    /** The simulated backend, its submitSend recorded: the bytes the op names, summed over its buffers. */
    private BackendFactory recordingSends() {
        BackendFactory inner = Backends.byName("simulated");
        return () -> {
            Backend backend = inner.newBackend();
            return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                    (proxy, method, args) -> {
                        if (method.getName().equals("submitSend")) {
                            Op op = (Op) args[0];
                            int bytes = 0;
                            for (int i = 0; i < op.bufferCount(); i++) {
                                bytes += op.bufferLength(i);
                            }
                            sendSizes.add(bytes);
                        }
                        try {
                            return method.invoke(backend, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        };
    }

    private static byte patternAt(long i) {
        return (byte) (i * 31 + (i >>> 11));
    }

    /** Connects a client (with the options given, unless null) to a server that checks every byte; writes msg. */
    private void writeAndVerify(ByteBuf msg, Integer maxBytesPerSend, Integer sendBuffer) throws Exception {
        group = new MultiThreadIoEventLoopGroup(2, IocpIoHandler.newFactory(recordingSends()));
        long total = msg.readableBytes();
        CompletableFuture<Long> verified = new CompletableFuture<>();
        Channel listener = new ServerBootstrap().group(group).channel(IocpServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            long offset;

                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object m) {
                                ByteBuf buf = (ByteBuf) m;
                                try {
                                    while (buf.isReadable()) {
                                        byte b = buf.readByte();
                                        if (b != patternAt(offset)) {
                                            verified.completeExceptionally(new AssertionError("byte " + offset
                                                    + " is " + b + ", not " + patternAt(offset)));
                                            return;
                                        }
                                        offset++;
                                    }
                                } finally {
                                    buf.release();
                                }
                                if (offset == total) {
                                    verified.complete(offset);
                                }
                            }
                        });
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        Bootstrap b = new Bootstrap().group(group).channel(IocpSocketChannel.class)
                .handler(new ChannelInboundHandlerAdapter());
        if (maxBytesPerSend != null) {
            b.option(IocpChannelOption.MAX_BYTES_PER_SEND, maxBytesPerSend);
        }
        if (sendBuffer != null) {
            b.option(ChannelOption.SO_SNDBUF, sendBuffer);
        }
        Channel client = b.connect(listener.localAddress()).sync().channel();
        sendSizes.clear(); // the server's and the client's sends from here on are this write's
        assertTrue(client.writeAndFlush(msg).await(30, TimeUnit.SECONDS), "the write completed");
        assertEquals(total, verified.get(30, TimeUnit.SECONDS), "every byte arrived, in order");
        client.close().sync();
        listener.close().sync();
    }

    private static ByteBuf pattern(int size) {
        ByteBuf buf = Unpooled.directBuffer(size);
        for (int i = 0; i < size; i++) {
            buf.writeByte(patternAt(i));
        }
        return buf;
    }

    @Test
    void aHugeWriteGoesOutInSendsOfAtMostTheCapAndArrivesIntact() throws Exception {
        int cap = 256 * 1024;
        int size = 8 * 1024 * 1024;
        writeAndVerify(pattern(size), cap, null);
        assertTrue(sendSizes.stream().allMatch(n -> n <= cap), "a send above the cap: " + sendSizes);
        assertTrue(sendSizes.size() >= size / cap, sendSizes.size() + " sends for " + size + " bytes");
        assertEquals(size, sendSizes.stream().mapToLong(Integer::intValue).sum(), "the sends named every byte once");
    }

    /** A composite of direct components (no single address): cut inside a component too. */
    @Test
    void aCompositeWriteIsCutAtTheCapToo() throws Exception {
        int cap = 100_000;
        CompositeByteBuf composite = Unpooled.compositeBuffer();
        int size = 0;
        for (int i = 0; i < 3; i++) {
            ByteBuf part = Unpooled.directBuffer(300_000);
            for (int j = 0; j < 300_000; j++) {
                part.writeByte(patternAt(size + j));
            }
            size += 300_000;
            composite.addComponent(true, part);
        }
        writeAndVerify(composite, cap, null);
        assertTrue(sendSizes.stream().allMatch(n -> n <= cap), "a send above the cap: " + sendSizes);
        assertEquals(size, sendSizes.stream().mapToLong(Integer::intValue).sum(), "the sends named every byte once");
    }

    @Test
    void theDefaultCapIsOneMebibyteOrTwiceTheSendBufferSet() throws Exception {
        int size = 6 * 1024 * 1024;
        writeAndVerify(pattern(size), null, null);
        assertTrue(sendSizes.stream().allMatch(n -> n <= IocpSocketChannelConfig.DEFAULT_MAX_BYTES_PER_SEND),
                "a send above the default cap: " + sendSizes);
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS);

        writeAndVerify(pattern(size), null, 64 * 1024);
        assertTrue(sendSizes.stream().allMatch(n -> n <= 128 * 1024), "a send above 2 x SO_SNDBUF: " + sendSizes);
    }

    /** The negative control: with no effective cap the same write names far more than 256 KiB in one send. */
    @Test
    void withoutACapOneSendNamesTheWholeWrite() throws Exception {
        int size = 8 * 1024 * 1024;
        writeAndVerify(pattern(size), Integer.MAX_VALUE, null);
        assertTrue(sendSizes.stream().anyMatch(n -> n == size), "no send named the whole write: " + sendSizes);
    }

    @Test
    void theCapMustBePositive() {
        IocpSocketChannelConfig config = new IocpSocketChannel().config();
        assertThrows(IllegalArgumentException.class, () -> config.setMaxBytesPerSend(0));
        config.setMaxBytesPerSend(4096);
        assertEquals(4096, config.getOption(IocpChannelOption.MAX_BYTES_PER_SEND));
    }
}
