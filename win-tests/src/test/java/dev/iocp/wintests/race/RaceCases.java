package dev.iocp.wintests.race;

import dev.iocp.race.RaceConfig;
import dev.iocp.race.RaceHarness;
import dev.iocp.race.RaceResult;
import dev.iocp.race.ReadCounts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs one race and asserts the whole contract: every byte verified both ways, nothing lost, ops drained — and that
 * it hit the race window (a receive completing while reading was paused, held, delivered on resume), with the
 * transports' own counters ({@link dev.iocp.transport.TransportCounters}).
 *
 * <p>What is asserted about the window, and why each is certain rather than likely:
 * <ul>
 *   <li><b>The client hit it</b>, at least once per connection, when the case sets
 *       {@link RaceConfig#firstPauseUntilHeld}: each client's first pause leaves a receive in flight with the rest of
 *       the stream still to come, and lasts until that receive completed — a condition, not a timer. Every case of
 *       the suite sets it: without it, whether a 100 ms timer fires before a fast machine has finished the whole
 *       exchange is luck (natively the original case takes ~70 ms).</li>
 *   <li><b>Only that first pause opened the window</b> when the client pauses inside {@code dataReceived}: there
 *       the receive has just completed and is not re-armed, so nothing is in flight to be held.</li>
 *   <li><b>The server's flow-control pauses never open it</b> (without {@code pauseServer}): they come from
 *       {@code pauseWriting}, which its own {@code write} calls inside {@code dataReceived}. With
 *       {@code pauseServer}, the server's timer pauses can hit the window; how often is reported, not asserted
 *       (on a fast machine its timer may first fire after the stream ended).</li>
 *   <li>For both sides: {@code held <= pausesWithReceiveInFlight} (a pause can hold at most its one receive),
 *       every held result was delivered (the race never closes while holding), and every pause was resumed
 *       (each side's EOF is delivered while reading).</li>
 * </ul>
 * Timer pauses beyond the first may or may not hit (that is timing): their hits are counted and printed.
 */
final class RaceCases {
    private RaceCases() {}

    /**
     * A race configuration for the suite: race.py's defaults plus {@link RaceConfig#firstPauseUntilHeld}, so that
     * every case is certain to hit the window at least once per client connection.
     */
    static RaceConfig race() {
        return new RaceConfig().firstPauseUntilHeld(true);
    }

    /** -Diocp.race.scale=0.1 shrinks the packet counts of the heavy cases (never below the given minimum). */
    static int scaled(int packets, int min) {
        double scale = Double.parseDouble(System.getProperty("iocp.race.scale", "1"));
        return (int) Math.max(min, Math.round(packets * scale));
    }

    /** The window's counters: printed (one line, {@code race window:}) and asserted as the class comment says. */
    static void checkWindow(String name, RaceConfig cfg, RaceResult r, String all) {
        ReadCounts c = r.client();
        ReadCounts s = r.server();
        System.out.printf("  race window: case '%s': held=%d (client %d, server %d); delivered on resume: data=%d"
                        + " eof=%d error=%d; client pauses=%d (with a receive in flight %d) resumes=%d;"
                        + " server pauses=%d (with a receive in flight %d) resumes=%d; echoed in place %d of %d%n",
                name, r.held(), c.held(), s.held(), r.counts().heldData(), r.counts().heldEof(),
                r.counts().heldError(), c.pauses(), c.pausesWithReceiveInFlight(), c.resumes(), s.pauses(),
                s.pausesWithReceiveInFlight(), s.resumes(), r.echoedInPlace(), r.echoed());
        String counts = "\nclient " + c + "\nserver " + s + "\n" + all;
        assertTrue(r.echoedInPlace() <= r.echoed(), "bytes echoed in place are some of the bytes echoed" + counts);
        if (cfg.firstPauseUntilHeld()) {
            assertTrue(c.held() >= cfg.connections(),
                    "each client's first pause holds the receive it left in flight" + counts);
        }
        if (cfg.pauseInCallback()) {
            assertEquals(cfg.firstPauseUntilHeld() ? cfg.connections() : 0, c.pausesWithReceiveInFlight(),
                    "a pause inside dataReceived leaves no receive in flight" + counts);
        }
        if (!cfg.pauseServer()) {
            assertEquals(0, s.pausesWithReceiveInFlight(),
                    "the server's flow-control pauses come from inside dataReceived: nothing in flight" + counts);
            assertEquals(0, s.held(), "the server held nothing" + counts);
        }
        for (ReadCounts side : new ReadCounts[] {c, s}) {
            assertTrue(side.held() <= side.pausesWithReceiveInFlight(), "held <= pauses with a receive in flight"
                    + counts);
            assertEquals(side.held(), side.heldDelivered(), "every held result was delivered on resume" + counts);
            assertEquals(side.pauses(), side.resumes(), "every pause was resumed" + counts);
            assertTrue(side.pausesWithReceiveInFlight() <= side.pauses(), counts);
        }
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
        checkWindow(name, cfg, r, all);
        return r;
    }
}
