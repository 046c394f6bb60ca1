package dev.iocp.cli;

import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.race.EchoServer;
import dev.iocp.race.RaceConfig;
import dev.iocp.race.RaceHarness;
import dev.iocp.race.RaceResult;
import dev.iocp.race.RaceRounds;
import dev.iocp.race.StreamPattern;

import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code race} — the bpo-33694 race over loopback, checking every byte both ways.
 * <pre>
 * race [--packets N] [--size BYTES] [--pause-interval MS] [--connections C] [--backend win32|simulated|io_uring]
 *      [--jitter] [--seed S] [--pause-server] [--pause-in-callback] [--foreign-resume] [--timeout MS]
 *      [--rounds N] [--min-held N] [--max-seconds S] [--jitter-interval MS] [--tls [--cert FILE --key FILE]]
 * race server [--host H] [--port P] [--pause-interval MS] [--backend ...] [--tls [--cert FILE --key FILE]]
 * race client --host H --port P [same options as race] [--tls --cert SERVER-CERT]
 * </pre>
 * {@code --tls}: the same race through TLS from the first byte ({@link TlsOption}): the echo server listens with
 * TLS and the clients connect with it; the summary line is the same.
 * Rounds ({@link RaceRounds}): {@code --rounds N} (default 0: automatic — a 100 ms round and a jittered round, then
 * more until the race window was hit {@code --min-held} times, default 100, or {@code --max-seconds} passed, default
 * 40); {@code --jitter-interval MS} (default 5; 0: no jittered rounds). {@code --rounds 1 --pause-interval 100} is
 * race.py's run exactly.
 * <p>The last line is the summary. Exit 0 only if every byte was verified and none lost, duplicated or reordered,
 * and the window was hit at least {@code --min-held} times; {@value RaceRounds#NOT_STRESSED} if the run was clean
 * but hit the window fewer times (a sentence says so); 1 if not clean; 2 for bad arguments.
 */
public final class RaceCommand {
    private RaceCommand() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String[] args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        try {
            String mode = "race";
            int i = 0;
            if (args.length > 0 && (args[0].equals("server") || args[0].equals("client"))) {
                mode = args[0];
                i = 1;
            }
            RaceConfig cfg = new RaceConfig().progressEveryMs(1000);
            RaceRounds rounds = new RaceRounds();
            String host = null;
            int port = -1;
            TlsOption tls = new TlsOption();
            for (; i < args.length; i++) {
                String a = args[i];
                int consumed = tls.parse(args, i);
                if (consumed >= 0) {
                    i = consumed;
                    continue;
                }
                switch (a) {
                    case "--packets" -> cfg.packets(Integer.parseInt(args[++i]));
                    case "--size" -> cfg.size(Integer.parseInt(args[++i]));
                    case "--pause-interval" -> cfg.pauseIntervalMs(Long.parseLong(args[++i]));
                    case "--connections" -> cfg.connections(Integer.parseInt(args[++i]));
                    case "--backend" -> cfg.backend(args[++i]);
                    case "--jitter" -> cfg.jitter(true);
                    case "--seed" -> cfg.seed(Long.parseLong(args[++i]));
                    case "--pause-server" -> cfg.pauseServer(true);
                    case "--pause-in-callback" -> cfg.pauseInCallback(true);
                    case "--foreign-resume" -> cfg.resumeFromForeignThread(true);
                    case "--timeout" -> cfg.timeoutMs(Long.parseLong(args[++i]));
                    case "--rounds" -> rounds.rounds(Integer.parseInt(args[++i]));
                    case "--min-held" -> rounds.minHeld(Long.parseLong(args[++i]));
                    case "--max-seconds" -> rounds.maxSeconds(Long.parseLong(args[++i]));
                    case "--jitter-interval" -> rounds.jitterIntervalMs(Long.parseLong(args[++i]));
                    case "--host" -> host = args[++i];
                    case "--port" -> port = Integer.parseInt(args[++i]);
                    case "-h", "--help" -> {
                        out.println(usage());
                        return 0;
                    }
                    default -> {
                        err.println("race: unknown option " + a);
                        err.println(usage());
                        return 2;
                    }
                }
            }
            if (cfg.size() < StreamPattern.HEADER + 1 || cfg.packets() < 1 || cfg.connections() < 1) {
                err.println("race: need --packets >= 1, --size >= " + (StreamPattern.HEADER + 1) + ", --connections >= 1");
                return 2;
            }
            if (rounds.rounds() < 0 || rounds.minHeld() < 0 || rounds.maxSeconds() < 0 || rounds.jitterIntervalMs() < 0
                    || cfg.pauseIntervalMs() < 0) {
                err.println("race: --rounds, --min-held, --max-seconds, --jitter-interval and --pause-interval must be >= 0");
                return 2;
            }
            if (tls.on) {
                if (mode.equals("client")) {
                    cfg.tls(null, tls.clientTrustingCert().client());
                } else {
                    dev.iocp.race.RaceTls pair = tls.pair(err);
                    cfg.tls(pair.server(), pair.client());
                }
            } else if (tls.cert != null || tls.key != null) {
                err.println("race: --cert / --key need --tls");
                return 2;
            }
            switch (mode) {
                case "server":
                    return server(cfg, host == null ? "127.0.0.1" : host, port < 0 ? 0 : port, out);
                case "client":
                    if (host == null || port < 0) {
                        err.println("race client: --host and --port are required");
                        return 2;
                    }
                    return client(cfg, rounds, host, port, out, err);
                default:
                    out.println("race: config " + cfg + " " + describe(rounds));
                    RaceResult r = rounds.run(cfg, err::println);
                    return report(r, rounds, out);
            }
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            err.println("race: bad arguments: " + e.getMessage());
            err.println(usage());
            return 2;
        } catch (Exception e) {
            err.println("race: failed: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    private static String describe(RaceRounds rounds) {
        return (rounds.rounds() > 0 ? "rounds=" + rounds.rounds()
                : "rounds=auto(min-held=" + rounds.minHeld() + ", max-seconds=" + rounds.maxSeconds() + ")")
                + (rounds.jitterIntervalMs() > 0 ? " jitter-interval=1.." + rounds.jitterIntervalMs() + "ms"
                : " jitter-interval=none");
    }

    /** The detail line, the verdict sentence, then the summary line, last. */
    private static int report(RaceResult r, RaceRounds rounds, PrintStream out) {
        out.println(r.toDetailLine());
        out.println(rounds.verdict(r));
        out.println(r.toSummaryLine());
        out.flush();
        return rounds.exitCode(r);
    }

    private static InetAddress resolve(String host) throws Exception {
        if (host.equals("127.0.0.1") || host.equals("localhost")) {
            return RaceHarness.LOOPBACK_V4; // no resolver, no NetworkInterface (Wine)
        }
        return InetAddress.getByName(host);
    }

    private static int server(RaceConfig cfg, String host, int port, PrintStream out) throws Exception {
        IocpEventLoopGroup group = new IocpEventLoopGroup(1, RaceHarness.factory(cfg.backend()));
        EchoServer server = startServer(group, new InetSocketAddress(resolve(host), port), cfg, System.err);
        out.println("listening on " + host + ":" + server.address().getPort());
        out.flush();
        new CountDownLatch(1).await(); // until killed
        return 0;
    }

    /** {@code race server}'s echo server: accept errors reported on {@code err} at most once a second. */
    public static EchoServer startServer(IocpEventLoopGroup group, InetSocketAddress bind, RaceConfig cfg,
                                         PrintStream err) throws Exception {
        EchoServer server = EchoServer.start(group, bind, cfg, false);
        server.onAcceptError(new AcceptErrorReporter(err));
        return server;
    }

    private static int client(RaceConfig cfg, RaceRounds rounds, String host, int port, PrintStream out,
                              PrintStream err) throws Exception {
        IocpEventLoopGroup group = new IocpEventLoopGroup(1, RaceHarness.factory(cfg.backend()));
        try {
            InetSocketAddress address = new InetSocketAddress(resolve(host), port);
            out.println("race: config " + cfg + " " + describe(rounds) + " (server in another process: only the"
                    + " client side's window counts)");
            RaceResult r = rounds.run(cfg, c -> RaceHarness.runClients(c, group, address, null, err::println),
                    err::println);
            return report(r, rounds, out);
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS);
        }
    }

    static String usage() {
        return "usage: race [--packets N] [--size BYTES] [--pause-interval MS] [--connections C]"
                + " [--backend win32|simulated|io_uring] [--jitter] [--seed S] [--pause-server] [--pause-in-callback]"
                + " [--foreign-resume] [--timeout MS] [--rounds N] [--min-held N] [--max-seconds S]"
                + " [--jitter-interval MS] [--tls [--cert FILE --key FILE]]\n"
                + "       race server [--host H] [--port P] [--pause-interval MS] [--backend ...] [--tls [--cert F --key K]]\n"
                + "       race client --host H --port P [race options] [--tls --cert SERVER-CERT]";
    }
}
