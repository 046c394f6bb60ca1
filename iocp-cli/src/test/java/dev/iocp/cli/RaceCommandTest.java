package dev.iocp.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CLI on the simulated backend: exit code and the exact last line. */
class RaceCommandTest {

    private static String[] capture(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            code = RaceCommand.run(args);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        String stdout = o.toString(StandardCharsets.UTF_8);
        System.out.print(stdout);
        return new String[] {String.valueOf(code), stdout, e.toString(StandardCharsets.UTF_8)};
    }

    private static final java.util.regex.Pattern SUMMARY = java.util.regex.Pattern.compile(
            "race: packets=(\\d+) size=(\\d+) sent=(\\d+) echoed=(\\d+) verified=(\\d+) lost=(\\d+)"
                    + " reordered=(\\d+) elapsed=\\d+\\.\\d{1,3}s held=(\\d+) held-data=(\\d+) held-eof=(\\d+)"
                    + " held-error=(\\d+) client-held=(\\d+) server-held=(\\d+) client-pauses=(\\d+)"
                    + " client-resumes=(\\d+) server-pauses=(\\d+) server-resumes=(\\d+) rounds=(\\d+)");

    private static String lastLine(String stdout) {
        String[] lines = stdout.strip().split("\\R");
        return lines[lines.length - 1];
    }

    private static java.util.regex.Matcher summary(String last) {
        java.util.regex.Matcher m = SUMMARY.matcher(last);
        assertTrue(m.matches(), last);
        return m;
    }

    private static long field(java.util.regex.Matcher m, int group) {
        return Long.parseLong(m.group(group));
    }

    /**
     * Automatic rounds go on until the window was hit --min-held times (bounded by --max-seconds): a wait on a
     * condition. The jittered rounds (1..5 ms) pause many times per round on any machine.
     */
    @Test
    void aCleanRaceThatHitTheWindowEnoughExitsZeroAndEndsWithTheSummaryLine() {
        String[] r = capture("--backend", "simulated", "--packets", "300", "--size", "16384", "--pause-interval", "5",
                "--connections", "2", "--min-held", "5", "--max-seconds", "120");
        assertEquals("0", r[0], r[1] + r[2]);
        java.util.regex.Matcher m = summary(lastLine(r[1]));
        long rounds = field(m, 18);
        assertTrue(rounds >= 2, "at least one plain and one jittered round: " + m.group());
        assertEquals(300, field(m, 1));
        long total = 300L * 16384 * 2 * rounds;
        assertEquals(total, field(m, 3), "sent, all rounds");
        assertEquals(total, field(m, 4), "echoed");
        assertEquals(total, field(m, 5), "verified");
        assertEquals(0, field(m, 6), "lost");
        assertEquals(0, field(m, 7), "reordered");
        long held = field(m, 8);
        assertTrue(held >= 5, "held >= --min-held: " + m.group());
        assertEquals(held, field(m, 12) + field(m, 13), "held = client-held + server-held");
        assertEquals(held, field(m, 9) + field(m, 10) + field(m, 11), "every held result delivered, by kind");
        assertTrue(r[1].contains("race: ok: "), r[1]);
    }

    /**
     * The negative control of the window counters and of the exit code: with no timer pauses (and the server's
     * flow-control pauses all inside dataReceived, where nothing is in flight) nothing can be held, so the run is
     * clean but not stressed — exit 3 and a sentence — and the same run asking for no hits exits 0.
     */
    @Test
    void aCleanRaceThatNeverPausedWithAReceiveInFlightSaysItWasNotStressed() {
        String[] base = {"--backend", "simulated", "--packets", "300", "--size", "16384", "--rounds", "1",
                "--pause-interval", "0"};
        String[] r = capture(base);
        assertEquals("3", r[0], r[1] + r[2]);
        java.util.regex.Matcher m = summary(lastLine(r[1]));
        assertEquals(0, field(m, 6), "lost");
        assertEquals(0, field(m, 8), "held");
        assertEquals(0, field(m, 14), "client-pauses");
        assertEquals(1, field(m, 18), "rounds");
        assertTrue(r[1].contains("race: NOT STRESSED: every byte came back in order"), r[1]);
        assertTrue(r[1].contains("the race window (a receive completing while reading was paused) was never hit"), r[1]);

        String[] relaxed = java.util.Arrays.copyOf(base, base.length + 2);
        relaxed[base.length] = "--min-held";
        relaxed[base.length + 1] = "0";
        assertEquals("0", capture(relaxed)[0]);
    }

    @Test
    void badArgumentsExitTwoWithUsage() {
        String[] r = capture("--packets");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("usage: race"), r[2]);
        assertEquals("2", capture("--nope")[0]);
        assertEquals("2", capture("--rounds", "-1")[0]);
        assertEquals("2", capture("--min-held", "x")[0]);
    }
}
