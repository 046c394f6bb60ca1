package dev.iocp.wintests.race;

import dev.iocp.bench.race.RaceCommand;
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

    @Test
    void aCleanRaceExitsZeroAndEndsWithTheSummaryLine() {
        String[] r = capture("--backend", "simulated", "--packets", "300", "--size", "16384", "--pause-interval", "5",
                "--connections", "2");
        assertEquals("0", r[0], r[1] + r[2]);
        String[] lines = r[1].strip().split("\\R");
        String last = lines[lines.length - 1];
        assertTrue(last.matches("race: packets=300 size=16384 sent=9830400 echoed=9830400 verified=9830400 lost=0"
                + " reordered=0 elapsed=\\d+\\.\\d{1,3}s"), last);
    }

    @Test
    void badArgumentsExitTwoWithUsage() {
        String[] r = capture("--packets");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("usage: race"), r[2]);
        assertEquals("2", capture("--nope")[0]);
    }
}
