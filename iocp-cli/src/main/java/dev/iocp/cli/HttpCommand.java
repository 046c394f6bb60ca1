package dev.iocp.cli;

import dev.iocp.core.backend.Backends;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.http.HttpServerConfig;
import dev.iocp.http.RunningHttpServer;
import dev.iocp.http.netty.NettyHttpServer;
import dev.iocp.http.server.NativeHttpServer;
import io.netty.channel.EventLoopGroup;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code http [--host H] [--port P] [--api native|netty] [--loops N] [--backend B] [--timeout MS] [--max-body BYTES]}:
 * the HTTP/1.1 server of iocp-http, until killed. {@code --api native} serves it as a Protocol on iocp's Transport,
 * {@code --api netty} with Netty's HTTP codec on iocp-netty's channels; both on the same backend. Prints
 * {@code listening on HOST:PORT} once it accepts connections.
 */
public final class HttpCommand {
    static final String USAGE = "usage: http [--host H] [--port P] [--api native|netty] [--loops N] "
            + "[--backend win32|io_uring|simulated] [--timeout MS] [--max-body BYTES]";

    private HttpCommand() {}

    public static int run(String[] args) throws Exception {
        String host = "127.0.0.1";
        int port = 0;
        String api = "native";
        int loops = Math.max(1, Runtime.getRuntime().availableProcessors());
        HttpServerConfig parsed = HttpServerConfig.DEFAULT;
        for (int i = 0; i < args.length; i++) {
            if (i + 1 >= args.length) {
                System.err.println(USAGE);
                return Main.USAGE;
            }
            switch (args[i]) {
                case "--host" -> host = args[++i];
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--api" -> api = args[++i];
                case "--loops" -> loops = Integer.parseInt(args[++i]);
                case "--backend" -> System.setProperty(Backends.PROPERTY, args[++i]);
                case "--timeout" -> parsed = parsed.withTimeoutMillis(Long.parseLong(args[++i]));
                case "--max-body" -> parsed = parsed.withMaxBodyBytes(Long.parseLong(args[++i]));
                default -> {
                    System.err.println(USAGE);
                    return Main.USAGE;
                }
            }
        }
        HttpServerConfig config = parsed;
        if (loops < 1) {
            throw new IllegalArgumentException("--loops must be >= 1, got " + loops);
        }
        // By address, not by name: resolving a name would consult NetworkInterface, which crashes under Wine.
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByAddress(host, EchoCommand.parseLiteral(host)), port);
        RunningHttpServer server;
        Runnable shutdownLoops;
        switch (api) {
            case "native" -> {
                IocpEventLoopGroup group = new IocpEventLoopGroup(loops);
                server = startOrShutDown(() -> NativeHttpServer.start(group, address, config),
                        () -> group.shutdownGracefully(0, 2, TimeUnit.SECONDS));
                shutdownLoops = () -> group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
            case "netty" -> {
                EventLoopGroup group = NettyHttpServer.newIocpGroup(loops);
                server = startOrShutDown(() -> NettyHttpServer.start(group, address, config),
                        () -> group.shutdownGracefully(0, 2, TimeUnit.SECONDS));
                shutdownLoops = () -> group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
            default -> throw new IllegalArgumentException("--api must be native or netty, got " + api);
        }
        InetSocketAddress bound = server.localAddress();
        System.out.println("listening on " + bound.getAddress().getHostAddress() + ":" + bound.getPort() + " (api " + api + ")");
        System.out.flush();
        CountDownLatch forever = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            shutdownLoops.run();
            forever.countDown();
        }));
        forever.await();
        return Main.OK;
    }

    interface Start {
        RunningHttpServer start() throws Exception;
    }

    /** Starts the server; if that fails, the loops are shut down before the failure is reported. */
    private static RunningHttpServer startOrShutDown(Start start, Runnable shutdown) throws Exception {
        try {
            return start.start();
        } catch (Exception | Error e) {
            shutdown.run();
            throw e;
        }
    }
}
