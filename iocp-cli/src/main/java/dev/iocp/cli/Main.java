package dev.iocp.cli;

import java.util.Arrays;

/**
 * The {@code iocp} command line: {@code ./iocp COMMAND [ARGS...]} (or {@code iocp.cmd} on Windows).
 *
 * <p>One line per command in {@link #dispatch}: a command is a class with {@code static int run(String[] args)}
 * that gets the arguments after its name and returns the exit code. To add one, add its case and a line to
 * {@link Help}. The commands of this module drive the product and its correctness harness (iocp-race); {@code bench}
 * is the bench module's, which is the only reason the jar carries JMH, HdrHistogram and Netty's transports.
 *
 * <p>Exit codes: {@value #OK} success, {@value #FAILED} the command ran and failed, {@value #USAGE} usage error;
 * {@code race} adds {@value dev.iocp.race.RaceRounds#NOT_STRESSED}: clean, but the race window was hit fewer
 * times than asked ({@code --min-held}).
 */
public final class Main {
    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;

    private Main() {}

    public static void main(String[] args) {
        System.exit(dispatch(args));
    }

    /** A command's body; a failure it throws is reported on one line (its type and message) with exit code 1. */
    interface Command {
        int run() throws Exception;
    }

    static int run(Command command) {
        try {
            return command.run();
        } catch (IllegalArgumentException e) {
            System.err.println("iocp: " + e.getMessage());
            return USAGE;
        } catch (Exception e) {
            System.err.println("iocp: " + e);
            return FAILED;
        }
    }

    static int dispatch(String[] args) {
        if (args.length == 0) {
            Help.usage(System.err);
            return USAGE;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        return switch (args[0]) {
            case "doctor", "version", "--version" -> Doctor.run(rest);
            case "help", "-h", "--help" -> Help.run(rest);
            case "race" -> run(() -> RaceCommand.run(rest));
            case "echo" -> run(() -> EchoCommand.run(rest));
            case "http" -> run(() -> HttpCommand.run(rest));
            case "bench" -> run(() -> dev.iocp.bench.echo.BenchCommand.run(rest));
            default -> {
                System.err.println("iocp: unknown command '" + args[0] + "'");
                Help.usage(System.err);
                yield USAGE;
            }
        };
    }
}
