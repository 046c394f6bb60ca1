package dev.iocp.cli;

import dev.iocp.core.backend.IoException;
import dev.iocp.core.win32.Win32Error;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The CLI's accept-error line: at most one a second, with the count in between; driven by a fake clock. */
class AcceptErrorReporterTest {
    private long now = 1_000_000_000L;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final AcceptErrorReporter reporter =
            new AcceptErrorReporter(new PrintStream(bytes, true, StandardCharsets.UTF_8), () -> now);

    private List<String> lines() {
        String s = bytes.toString(StandardCharsets.UTF_8);
        return s.isEmpty() ? List.of() : List.of(s.split("\n"));
    }

    private void advanceMillis(long ms) {
        now += TimeUnit.MILLISECONDS.toNanos(ms);
    }

    private static IoException emfile() {
        return Win32Error.ERRORS.exception("accept on /127.0.0.1:5000", Win32Error.WSAEMFILE);
    }

    @Test
    void theFirstErrorIsReportedAtOnceThenAtMostOnceASecondWithTheCountInBetween() {
        reporter.accept(emfile());
        assertEquals(List.of("accept failing: WSAEMFILE (10024), 1 error in the last second; still listening"), lines());
        for (int i = 0; i < 36; i++) {
            advanceMillis(20); // 36 errors within 720 ms: nothing printed
            reporter.accept(emfile());
        }
        assertEquals(1, lines().size(), "at most one line a second: " + lines());
        advanceMillis(280); // one second after the first line
        reporter.accept(emfile());
        assertEquals("accept failing: WSAEMFILE (10024), 37 errors in the last second; still listening",
                lines().get(1));
        advanceMillis(5_000);
        reporter.accept(Win32Error.ERRORS.exception("accept", Win32Error.WSAENOBUFS));
        assertEquals("accept failing: WSAENOBUFS (10055), 1 error in the last 5 s; still listening", lines().get(2));
        assertEquals(3, lines().size());
    }

    @Test
    void aCauseThatIsNotAnOsErrorIsNamedAsItIs() {
        reporter.accept(new IllegalStateException("boom"));
        assertEquals("accept failing: java.lang.IllegalStateException: boom, 1 error in the last second; still listening",
                lines().get(0));
    }
}
