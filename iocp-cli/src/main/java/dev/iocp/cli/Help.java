package dev.iocp.cli;

import java.io.PrintStream;

/** {@code iocp help}: the list of commands. */
final class Help {
    private Help() {}

    static int run(String[] args) {
        usage(System.out);
        return Main.OK;
    }

    static void usage(PrintStream out) {
        out.println("usage: iocp COMMAND [ARGS...]");
        out.println();
        out.println("commands:");
        out.println("  doctor   (alias: version) the JVM, the OS and the Winsock this process runs on");
        out.println("  race     [--packets N] [--size BYTES] [--pause-interval MS] [--connections C] [--rounds N]");
        out.println("           [--min-held N] [--max-seconds S] [--jitter-interval MS]: the echo race stress test (race.py,");
        out.println("           bpo-33694) in rounds until the race window was hit --min-held times (default 100): exit 0");
        out.println("           only if every byte came back in order and it was; 3 if clean but not stressed enough;");
        out.println("           --tls [--cert FILE --key FILE]: the same through TLS (self-signed certificate if no files)");
        out.println("  race server [--host H] [--port P] [--pause-interval MS] [--tls] | race client --host H --port P [...]");
        out.println("  echo     [--host H] [--port P] [--loops N] [--backend B] [--tls [--cert F --key K]]: an echo server");
        out.println("           with flow control (over TLS with --tls), prints 'listening on HOST:PORT', runs until killed");
        out.println("  http     [--host H] [--port P] [--api native|netty] [--loops N] [--backend B] [--timeout MS]");
        out.println("           [--max-body BYTES]: an HTTP/1.1 server (GET /plaintext, GET /bytes/N, POST /echo) on iocp's");
        out.println("           Transport (native) or Netty's codec on iocp-netty (netty); prints 'listening on HOST:PORT'");
        out.println("  bench    [--quick] [--servers iocp,nio,nio2] [--out DIR]: echo benchmark, iocp vs NIO vs NIO.2 in one");
        out.println("           run; prints a table and ratio_vs_nio / ratio_vs_nio2 per scenario; writes JSON, CSV, PNG");
        out.println("  help     this list");
        out.println();
        out.println("./iocp runs on a Windows JVM under Wine on Linux; IOCP_NATIVE=1 ./iocp runs on the local JVM.");
    }
}
