package dev.iocp.cli;

import dev.iocp.core.backend.Backends;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.race.EchoProtocol;
import dev.iocp.transport.Server;
import dev.iocp.transport.TransportConfig;
import dev.iocp.transport.Transports;
import dev.iocp.transport.tls.TlsConfig;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code echo [--host H] [--port P] [--loops N] [--backend B] [--tls [--cert F --key K]]}: an echo server with flow
 * control, until killed; with {@code --tls}, over TLS from the first byte ({@link TlsOption}).
 * Prints {@code listening on HOST:PORT} once it accepts connections; while accepts fail (out of descriptors, ...)
 * it goes on listening and says so on stderr at most once a second ({@link AcceptErrorReporter}).
 */
public final class EchoCommand {
    private EchoCommand() {}

    public static int run(String[] args) throws Exception {
        String host = "127.0.0.1";
        int port = 0;
        int loops = Math.max(1, Runtime.getRuntime().availableProcessors());
        TlsOption tls = new TlsOption();
        for (int i = 0; i < args.length; i++) {
            int consumed = tls.parse(args, i);
            if (consumed >= 0) {
                i = consumed;
                continue;
            }
            switch (args[i]) {
                case "--host" -> host = args[++i];
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--loops" -> loops = Integer.parseInt(args[++i]);
                case "--backend" -> System.setProperty(Backends.PROPERTY, args[++i]);
                default -> {
                    System.err.println("usage: echo [--host H] [--port P] [--loops N] [--backend win32|io_uring|simulated]"
                            + " [--tls [--cert FILE --key FILE]]");
                    return 2;
                }
            }
        }
        // By address, not by name: resolving "localhost" would consult NetworkInterface, which crashes under Wine.
        InetAddress address = InetAddress.getByAddress(host, parseLiteral(host));
        TlsConfig serverTls = tls.on ? tls.pair(System.err).server() : null;
        IocpEventLoopGroup group = new IocpEventLoopGroup(loops);
        Server server = listen(group, new InetSocketAddress(address, port), System.err, serverTls);
        InetSocketAddress bound = server.localAddress();
        System.out.println("listening on " + bound.getAddress().getHostAddress() + ":" + bound.getPort());
        System.out.flush();
        CountDownLatch forever = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            forever.countDown();
        }));
        forever.await();
        return 0;
    }

    /**
     * The echo server as the command runs it: {@link EchoProtocol} on every connection, accept errors reported on
     * {@code err} at most once a second while it keeps listening.
     */
    public static Server listen(IocpEventLoopGroup group, InetSocketAddress address, java.io.PrintStream err)
            throws Exception {
        return listen(group, address, err, null);
    }

    /**
     * The same, with TLS from the first byte when {@code tls} is not null: each connection echoes the decrypted
     * bytes; ending follows the TLS close rules (the peer's close_notify is its EOF; a FIN without it ends the
     * connection as truncated).
     */
    public static Server listen(IocpEventLoopGroup group, InetSocketAddress address, java.io.PrintStream err,
                                TlsConfig tls) throws Exception {
        Server server = (tls == null
                ? Transports.listen(group, address, EchoProtocol::new)
                : Transports.listen(group, address, EchoProtocol::new, TransportConfig.DEFAULT,
                        Transports.DEFAULT_PENDING_ACCEPTS, tls)).get(30, TimeUnit.SECONDS);
        server.onAcceptError(new AcceptErrorReporter(err));
        return server;
    }

    /** Parses an IPv4 or IPv6 literal without any name lookup. */
    static byte[] parseLiteral(String host) {
        if (host.indexOf(':') >= 0) {
            String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
            if (h.equals("::1")) {
                byte[] b = new byte[16];
                b[15] = 1;
                return b;
            }
            if (h.equals("::")) {
                return new byte[16];
            }
            throw new IllegalArgumentException("IPv6 literal not supported here: " + host + " (use ::1 or ::)");
        }
        String[] parts = host.split("\\.");
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 literal: " + host);
        }
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            int v = Integer.parseInt(parts[i]);
            if (v < 0 || v > 255) {
                throw new IllegalArgumentException("not an IPv4 literal: " + host);
            }
            b[i] = (byte) v;
        }
        return b;
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(args));
    }
}
