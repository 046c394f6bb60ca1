package dev.iocp.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelProgressiveFuture;
import io.netty.channel.ChannelProgressiveFutureListener;
import io.netty.channel.ChannelProgressivePromise;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FileRegion;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.AbstractReferenceCounted;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * FileRegion writes on iocp-netty beyond Netty's own SocketFileRegionTest: progress as Netty's NIO reports it, the
 * staging buffer given back on every path, and a file that shrinks under the transfer or a region that fails
 * reported through the write's future, never a hang. The peer is a plain blocking socket.
 */
class IocpFileRegionTest {
    private EventLoopGroup group;
    private ServerSocket peerListener;
    private final RecordingAllocator allocator = new RecordingAllocator();

    @TempDir
    Path dir;

    @BeforeEach
    void setUp() throws IOException {
        group = new MultiThreadIoEventLoopGroup(1, IocpIoHandler.newFactory());
        peerListener = new ServerSocket(0, 8, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
    }

    @AfterEach
    void tearDown() throws Exception {
        peerListener.close();
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS);
    }

    private Channel connect() throws InterruptedException {
        return new Bootstrap().group(group).channel(IocpSocketChannel.class)
                .option(ChannelOption.ALLOCATOR, allocator)
                .handler(new ChannelInboundHandlerAdapter())
                .connect(peerListener.getLocalSocketAddress()).sync().channel();
    }

    private static CompletableFuture<byte[]> readAll(Socket peer) {
        return CompletableFuture.supplyAsync(() -> {
            try (InputStream in = peer.getInputStream()) {
                return in.readAllBytes();
            } catch (IOException e) {
                return new byte[0];
            }
        });
    }

    private Path fileOf(int size) throws IOException {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (i * 31 + (i >>> 11));
        }
        return Files.write(dir.resolve("f-" + size), bytes);
    }

    @Test
    void aRegionIsSentFromItsPositionWithProgressAndTheStagingBufferGivenBack() throws Exception {
        Path file = fileOf(3 * IocpSocketChannel.REGION_STAGING_BYTES + 12345);
        long position = 777;
        long count = Files.size(file) - position - 100;
        Channel ch = connect();
        Socket peer = peerListener.accept();
        CompletableFuture<byte[]> received = readAll(peer);
        AtomicLong progressed = new AtomicLong();
        List<Long> totals = new CopyOnWriteArrayList<>();
        // The listener is on the promise before the write starts: a fast write may finish before writeAndFlush returns.
        ChannelProgressivePromise write = ch.newProgressivePromise();
        write.addListener(new ChannelProgressiveFutureListener() {
            @Override
            public void operationProgressed(ChannelProgressiveFuture f, long progress, long total) {
                progressed.set(progress);
                totals.add(total);
            }

            @Override
            public void operationComplete(ChannelProgressiveFuture f) {
            }
        });
        ch.writeAndFlush(new DefaultFileRegion(file.toFile(), position, count), write);
        assertTrue(write.await(30, TimeUnit.SECONDS), "the write completed");
        assertTrue(write.isSuccess(), () -> "the write succeeded: " + write.cause());
        assertEquals(count, progressed.get(), "progress reached the region's count");
        assertTrue(totals.stream().allMatch(t -> t == count), "every progress event named the count as total");
        ch.close().sync();
        byte[] expected = new byte[(int) count];
        System.arraycopy(Files.readAllBytes(file), (int) position, expected, 0, (int) count);
        assertArrayEquals(expected, received.get(30, TimeUnit.SECONDS), "the peer read exactly the region");
        allocator.assertAllReleased();
    }

    @Test
    void aFileTruncatedUnderTheTransferFailsTheWriteAndClosesTheChannel() throws Exception {
        Path file = fileOf(64 * IocpSocketChannel.REGION_STAGING_BYTES);
        long count = Files.size(file);
        Channel ch = connect();
        Socket peer = peerListener.accept();
        CompletableFuture<byte[]> received = readAll(peer);
        FileChannel shrinking = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        // The region reads through its own channel; the test truncates the same file through this one at the
        // first progress event, so the region runs out of file before its count.
        ChannelProgressivePromise write = ch.newProgressivePromise();
        write.addListener(new ChannelProgressiveFutureListener() {
            @Override
            public void operationProgressed(ChannelProgressiveFuture f, long progress, long total) throws IOException {
                if (shrinking.isOpen()) {
                    shrinking.truncate(IocpSocketChannel.REGION_STAGING_BYTES * 2L);
                    shrinking.close();
                }
            }

            @Override
            public void operationComplete(ChannelProgressiveFuture f) {
            }
        });
        ch.writeAndFlush(new DefaultFileRegion(FileChannel.open(file), 0, count), write);
        assertTrue(write.await(30, TimeUnit.SECONDS), "the write completed: no hang");
        assertFalse(write.isSuccess(), "a region cut short is not a successful write");
        assertInstanceOf(IOException.class, write.cause(), "the cause names the I/O failure");
        assertTrue(ch.closeFuture().await(30, TimeUnit.SECONDS), "the channel closed (auto-close on an IOException)");
        byte[] got = received.get(30, TimeUnit.SECONDS);
        assertTrue(got.length < count, "the peer saw the stream end early, not a full file: " + got.length);
        allocator.assertAllReleased();
    }

    @Test
    void aRegionWhoseTransferThrowsFailsItsWriteWithThatCause() throws Exception {
        Channel ch = connect();
        Socket peer = peerListener.accept();
        readAll(peer);
        IOException broken = new IOException("disk gone");
        ChannelFuture write = ch.writeAndFlush(new FailingRegion(broken));
        assertTrue(write.await(30, TimeUnit.SECONDS), "the write completed");
        assertEquals(broken, write.cause());
        assertTrue(ch.closeFuture().await(30, TimeUnit.SECONDS), "the channel closed");
        allocator.assertAllReleased();
    }

    /** A region of 10 bytes whose transfer fails. */
    private static final class FailingRegion extends AbstractReferenceCounted implements FileRegion {
        private final IOException failure;

        FailingRegion(IOException failure) {
            this.failure = failure;
        }

        @Override public long position() { return 0; }
        @Override @Deprecated public long transfered() { return 0; }
        @Override public long transferred() { return 0; }
        @Override public long count() { return 10; }
        @Override public long transferTo(WritableByteChannel target, long position) throws IOException {
            throw failure;
        }
        @Override public FileRegion retain() { super.retain(); return this; }
        @Override public FileRegion retain(int increment) { super.retain(increment); return this; }
        @Override public FileRegion touch() { return this; }
        @Override public FileRegion touch(Object hint) { return this; }
        @Override protected void deallocate() { }
    }

    /** Direct buffers with memory addresses, every one remembered so that a test can check all came back. */
    private static final class RecordingAllocator extends AbstractByteBufAllocator {
        private final List<ByteBuf> handedOut = new CopyOnWriteArrayList<>();

        RecordingAllocator() {
            super(true);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return UnpooledByteBufAllocator.DEFAULT.heapBuffer(initialCapacity, maxCapacity);
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            ByteBuf buf = UnpooledByteBufAllocator.DEFAULT.directBuffer(initialCapacity, maxCapacity);
            handedOut.add(buf);
            return buf;
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }

        void assertAllReleased() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (handedOut.stream().anyMatch(b -> b.refCnt() != 0) && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(5);
            }
            assertTrue(handedOut.stream().allMatch(b -> b.refCnt() == 0),
                    () -> "every direct buffer the channel took was released: " + handedOut);
        }
    }
}
