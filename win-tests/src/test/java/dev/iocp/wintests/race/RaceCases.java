package dev.iocp.wintests.race;

import dev.iocp.bench.race.RaceConfig;
import dev.iocp.bench.race.RaceHarness;
import dev.iocp.bench.race.RaceResult;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs one race and asserts the whole contract: every byte verified both ways, nothing lost, ops drained. */
final class RaceCases {
    private RaceCases() {}

    /** -Diocp.race.scale=0.1 shrinks the packet counts of the heavy cases (never below the given minimum). */
    static int scaled(int packets, int min) {
        double scale = Double.parseDouble(System.getProperty("iocp.race.scale", "1"));
        return (int) Math.max(min, Math.round(packets * scale));
    }

    static RaceResult runAndCheck(String name, RaceConfig cfg) throws Exception {
        System.out.println("race case '" + name + "': " + cfg);
        long t0 = System.nanoTime();
        RaceResult r = RaceHarness.run(cfg, null);
        System.out.println("  " + r.toDetailLine());
        System.out.println("  " + r.toSummaryLine());
        System.out.printf("  case '%s' took %.2f s (wall, including setup)%n", name, (System.nanoTime() - t0) / 1e9);
        String all = r.toDetailLine() + "\n" + r.toSummaryLine();
        long expected = (long) cfg.packets() * cfg.size() * cfg.connections();
        assertNull(r.firstBad(), all);
        assertEquals(0, r.lost(), "lost bytes\n" + all);
        assertEquals(0, r.duplicated(), "duplicated bytes\n" + all);
        assertEquals(0, r.reordered(), "reordered bytes\n" + all);
        assertEquals(0, r.corrupt(), "corrupt bytes\n" + all);
        assertEquals(expected, r.sent(), "sent\n" + all);
        assertEquals(expected, r.echoed(), "echoed\n" + all);
        assertEquals(expected, r.verified(), "verified by the clients (echo)\n" + all);
        assertEquals(expected, r.serverVerified(), "verified by the server (client's stream)\n" + all);
        assertTrue(r.errors().isEmpty(), "callback errors / timeouts\n" + all);
        assertTrue(r.lostCauses().isEmpty(), "every connectionLost cause null\n" + all);
        assertEquals(0, r.opsInFlight(), "ops in flight after the run\n" + all);
        if (cfg.pauseIntervalMs() > 0) {
            assertTrue(r.pauses() > 0, "the run paused at least once\n" + all);
        }
        assertTrue(r.ok(), all);
        return r;
    }
}
