package dev.iocp.cli;

import dev.iocp.core.backend.IoError;
import dev.iocp.core.backend.IoException;

import java.io.PrintStream;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * What the CLI's servers ({@code echo}, {@code race server}) tell the operator when accepts fail: one line on
 * stderr at most once a second, while the server goes on listening —
 * {@code accept failing: WSAEMFILE (10024), 37 errors in the last second; still listening}. The first error is
 * reported at once; later ones are counted and reported with the next line. Set with
 * {@code server.onAcceptError(new AcceptErrorReporter(System.err))}.
 */
public final class AcceptErrorReporter implements Consumer<Throwable> {
    private static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final PrintStream out;
    private final LongSupplier nanoClock;
    private boolean reported;
    private long lastReportNanos;
    private long sinceLastReport;

    public AcceptErrorReporter(PrintStream out) {
        this(out, System::nanoTime);
    }

    /** With a clock of its own, for tests. */
    public AcceptErrorReporter(PrintStream out, LongSupplier nanoClock) {
        this.out = out;
        this.nanoClock = nanoClock;
    }

    @Override
    public synchronized void accept(Throwable cause) {
        sinceLastReport++;
        long now = nanoClock.getAsLong();
        if (reported && now - lastReportNanos < INTERVAL_NANOS) {
            return;
        }
        long window = reported ? now - lastReportNanos : INTERVAL_NANOS;
        out.println(line(cause, sinceLastReport, window));
        out.flush();
        reported = true;
        lastReportNanos = now;
        sinceLastReport = 0;
    }

    static String line(Throwable cause, long errors, long windowNanos) {
        long seconds = TimeUnit.NANOSECONDS.toSeconds(windowNanos);
        String when = seconds < 2 ? "the last second" : "the last " + seconds + " s";
        return "accept failing: " + describe(cause) + ", " + errors + (errors == 1 ? " error" : " errors") + " in "
                + when + "; still listening";
    }

    /** {@code WSAEMFILE (10024)} (on Linux {@code EMFILE (24)}) for an OS error, else the exception itself. */
    static String describe(Throwable cause) {
        if (cause instanceof IoException e) {
            return IoError.describe(e.error());
        }
        return String.valueOf(cause);
    }
}
