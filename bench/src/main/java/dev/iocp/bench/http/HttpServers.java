package dev.iocp.bench.http;

import dev.iocp.bench.echo.BenchServer;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.http.HttpServerConfig;
import dev.iocp.http.RunningHttpServer;
import dev.iocp.http.netty.NettyHttpServer;
import dev.iocp.http.server.NativeHttpServer;
import dev.iocp.netty.IocpIoHandler;
import dev.iocp.netty.IocpServerSocketChannel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The HTTP servers of {@code bench --http}: iocp-http's two servers, unchanged, each on its event loops.
 * <ul>
 *   <li>{@code http-native}: the HTTP/1.1 Protocol on iocp's own Transport ({@link NativeHttpServer}).</li>
 *   <li>{@code http-netty-<transport>}: one Netty server ({@link NettyHttpServer}: HttpServerCodec, flow control, the
 *       same routes) on iocp-netty ({@code http-netty-iocp}), NIO, and natively on Linux epoll and io_uring.</li>
 * </ul>
 * Every loop thread is started before the server listens and charged to the server's CPU time.
 */
public final class HttpServers {
    public static final String PREFIX = "http-";
    public static final String NATIVE = "http-native";
    public static final String NETTY_IOCP = "http-netty-iocp";
    public static final String NETTY_NIO = "http-netty-nio";
    public static final String NETTY_EPOLL = "http-netty-epoll";
    public static final String NETTY_IO_URING = "http-netty-io_uring";

    private static final Map<String, Supplier<BenchServer>> SERVERS = new LinkedHashMap<>();
    private static final Map<String, String> UNAVAILABLE = new LinkedHashMap<>();

    static {
        SERVERS.put(NATIVE, NativeServer::new);
        SERVERS.put(NETTY_IOCP, () -> new NettyServer(NETTY_IOCP, IocpIoHandler::newFactory, IocpServerSocketChannel.class));
        SERVERS.put(NETTY_NIO, () -> new NettyServer(NETTY_NIO, NioIoHandler::newFactory, NioServerSocketChannel.class));
        String epoll = reason(() -> Epoll.isAvailable() ? null : String.valueOf(Epoll.unavailabilityCause()));
        if (epoll == null) {
            SERVERS.put(NETTY_EPOLL, () -> new NettyServer(NETTY_EPOLL, EpollIoHandler::newFactory, EpollServerSocketChannel.class));
        } else {
            UNAVAILABLE.put(NETTY_EPOLL, epoll);
        }
        String uring = reason(() -> IoUring.isAvailable() ? null : String.valueOf(IoUring.unavailabilityCause()));
        if (uring == null) {
            SERVERS.put(NETTY_IO_URING, () -> new NettyServer(NETTY_IO_URING, IoUringIoHandler::newFactory, IoUringServerSocketChannel.class));
        } else {
            UNAVAILABLE.put(NETTY_IO_URING, uring);
        }
    }

    private HttpServers() {}

    private static String reason(Supplier<String> check) {
        try {
            return check.get();
        } catch (Throwable t) { // a native transport's classes may not even load here (Windows)
            return t.toString();
        }
    }

    /** Whether {@code name} names an HTTP bench server (registered here or not available here). */
    public static boolean isHttp(String name) {
        return name.startsWith(PREFIX);
    }

    public static List<String> names() {
        return new ArrayList<>(SERVERS.keySet());
    }

    /** Servers that cannot run on this machine, with the reason. */
    public static Map<String, String> unavailable() {
        return UNAVAILABLE;
    }

    public static BenchServer create(String name) {
        Supplier<BenchServer> s = SERVERS.get(name);
        if (s == null) {
            String why = UNAVAILABLE.get(name);
            throw new IllegalArgumentException(why != null ? name + " is not available here: " + why
                    : "unknown HTTP server " + name + ", registered: " + names());
        }
        return s.get();
    }

    /**
     * What both kinds share: the loops (an event executor group this server owns), the listener, the threads
     * charged to the server, and the order of the close (the listener, then the loops).
     */
    private abstract static class LoopsAndListener implements BenchServer {
        final List<Thread> threads = new CopyOnWriteArrayList<>();
        private final String name;
        private EventExecutorGroup group;
        private RunningHttpServer server;

        LoopsAndListener(String name) {
            this.name = name;
        }

        /** Makes the loops, recording every thread that runs them in {@link #threads}, all started. */
        abstract EventExecutorGroup newLoops(int nThreads) throws Exception;

        abstract RunningHttpServer listen(EventExecutorGroup loops, InetSocketAddress bind) throws Exception;

        @Override
        public final InetSocketAddress start(InetSocketAddress bind, int nThreads) throws IOException {
            try {
                group = newLoops(nThreads);
                server = listen(group, bind);
            } catch (Exception e) {
                close();
                throw new IOException(name + " failed to start: " + e, e);
            }
            return server.localAddress();
        }

        @Override
        public final void close() {
            if (server != null) {
                server.close();
                server = null;
            }
            if (group != null) {
                group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(20, TimeUnit.SECONDS);
                group = null;
            }
        }

        @Override
        public final String name() {
            return name;
        }

        @Override
        public final List<Thread> serverThreads() {
            return threads;
        }
    }

    /** The native-API server on an {@link IocpEventLoopGroup}. */
    private static final class NativeServer extends LoopsAndListener {
        NativeServer() {
            super(NATIVE);
        }

        @Override
        EventExecutorGroup newLoops(int nThreads) throws Exception {
            IocpEventLoopGroup loops = new IocpEventLoopGroup(nThreads);
            for (EventExecutor loop : loops) {
                threads.add(loop.submit(Thread::currentThread).get(10, TimeUnit.SECONDS));
            }
            return loops;
        }

        @Override
        RunningHttpServer listen(EventExecutorGroup loops, InetSocketAddress bind) throws Exception {
            return NativeHttpServer.start((IocpEventLoopGroup) loops, bind, HttpServerConfig.DEFAULT);
        }
    }

    /** The Netty server on one transport: one group accepts and serves, as in the echo bench. */
    private static final class NettyServer extends LoopsAndListener {
        private final Supplier<IoHandlerFactory> handlers;
        private final Class<? extends ServerChannel> channelClass;

        NettyServer(String name, Supplier<IoHandlerFactory> handlers, Class<? extends ServerChannel> channelClass) {
            super(name);
            this.handlers = handlers;
            this.channelClass = channelClass;
        }

        @Override
        EventExecutorGroup newLoops(int nThreads) throws Exception {
            DefaultThreadFactory base = new DefaultThreadFactory(name(), true);
            ThreadFactory recording = r -> {
                Thread t = base.newThread(r);
                threads.add(t);
                return t;
            };
            EventLoopGroup loops = new MultiThreadIoEventLoopGroup(nThreads, recording, handlers.get());
            for (EventExecutor loop : loops) loop.submit(() -> { }).get(10, TimeUnit.SECONDS); // start every thread now
            return loops;
        }

        @Override
        RunningHttpServer listen(EventExecutorGroup loops, InetSocketAddress bind) throws Exception {
            return NettyHttpServer.start((EventLoopGroup) loops, channelClass, bind, HttpServerConfig.DEFAULT);
        }
    }
}
