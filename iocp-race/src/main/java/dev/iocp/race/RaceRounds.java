package dev.iocp.race;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The race repeated in rounds until it has stressed the race window enough to mean something.
 *
 * <p>Rounds alternate: odd rounds (1, 3, ...) are the base configuration — by default race.py's exchange,
 * 2000 x 16 KiB with the client paused and resumed every 100 ms — and even rounds are the same exchange with the
 * pause interval random in 1..{@code jitterIntervalMs} ms (default 5). Each round is a fresh server and client, and
 * its own seed ({@code seed + round - 1}). One 100 ms round can end before its first pause on a fast machine; the
 * jittered rounds pause dozens of times per round anywhere.
 *
 * <p>With {@code rounds = 0} (the default) it runs at least one round of each kind, then goes on until the window
 * was hit ({@link RaceResult#held()}) at least {@code minHeld} times, or until {@code maxSeconds} have passed (no
 * round starts after that; the one running finishes). With {@code rounds = N} it runs exactly N rounds:
 * {@code rounds=1} is race.py's run, exactly. It stops early at the first round that is not clean.
 *
 * <p>The combined result's {@code elapsed} is the exchanges' time added up (for one round: race.py's figure, as
 * before rounds existed); {@link #wallSeconds()} adds each round's set-up and tear-down.
 */
public final class RaceRounds {
    /** Exit code: every byte came back in order, but the window was hit fewer than {@code minHeld} times. */
    public static final int NOT_STRESSED = 3;

    int rounds = 0;
    long minHeld = 100;
    long maxSeconds = 40;
    long jitterIntervalMs = 5;
    private long wallNanos;

    public RaceRounds rounds(int n) { this.rounds = n; return this; }
    public RaceRounds minHeld(long n) { this.minHeld = n; return this; }
    public RaceRounds maxSeconds(long s) { this.maxSeconds = s; return this; }
    /** The jittered rounds' longest interval; 0: no jittered rounds. */
    public RaceRounds jitterIntervalMs(long ms) { this.jitterIntervalMs = ms; return this; }

    public int rounds() { return rounds; }
    public long minHeld() { return minHeld; }
    public long maxSeconds() { return maxSeconds; }
    public long jitterIntervalMs() { return jitterIntervalMs; }

    /** Round {@code i} (from 0) of {@code base}. */
    public RaceConfig round(RaceConfig base, int i) {
        RaceConfig c = base.copy().seed(base.seed() + i);
        if (i % 2 == 1 && jitterIntervalMs > 0) {
            c.pauseIntervalMs(jitterIntervalMs).jitter(true);
        }
        return c;
    }

    /** How many rounds auto mode runs at the least: one plain, one jittered (if any). */
    private int minimumRounds() {
        return jitterIntervalMs > 0 ? 2 : 1;
    }

    /** One round: a whole race of {@code cfg}. */
    @FunctionalInterface
    public interface Round {
        RaceResult run(RaceConfig cfg) throws Exception;
    }

    /** Server and clients in this process, as {@link RaceHarness#run}. */
    public RaceResult run(RaceConfig base, Consumer<String> progress) throws Exception {
        return run(base, cfg -> RaceHarness.run(cfg, progress), progress);
    }

    public RaceResult run(RaceConfig base, Round oneRound, Consumer<String> progress) throws Exception {
        List<RaceResult> done = new ArrayList<>();
        long start = System.nanoTime();
        long held = 0;
        for (int i = 0; ; i++) {
            if (rounds > 0 && i == rounds) {
                break;
            }
            if (rounds == 0 && i >= minimumRounds()) {
                long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                if (held >= minHeld) {
                    break;
                }
                if (elapsedMs >= maxSeconds * 1000) {
                    if (progress != null) {
                        progress.accept("race: time bound reached (" + maxSeconds + " s): no new round");
                    }
                    break;
                }
            }
            RaceConfig cfg = round(base, i);
            RaceResult r = oneRound.run(cfg);
            done.add(r);
            held += r.held();
            if (progress != null) {
                progress.accept(String.format(Locale.ROOT,
                        "race: round %d (pause-interval %s%d ms): %s held=%d (client %d, server %d), %d so far; %.3f s",
                        i + 1, cfg.jitter() ? "1.." : "", cfg.pauseIntervalMs(), r.ok() ? "clean" : "NOT CLEAN",
                        r.held(), r.client().held(), r.server().held(), held, r.elapsedSeconds()));
            }
            if (!r.ok()) {
                break;
            }
        }
        wallNanos = System.nanoTime() - start;
        long exchange = 0;
        for (RaceResult r : done) {
            exchange += r.elapsedNanos();
        }
        return RaceResult.combine(done, exchange);
    }

    /** The wall time of the last {@link #run}: every round with its set-up and tear-down. */
    public double wallSeconds() {
        return wallNanos / 1e9;
    }

    /** 0 ok, 1 not clean, {@link #NOT_STRESSED} clean but the window was hit too few times. */
    public int exitCode(RaceResult r) {
        if (!r.ok()) {
            return 1;
        }
        return r.held() >= minHeld ? 0 : NOT_STRESSED;
    }

    /** One plain sentence on what the run showed. */
    public String verdict(RaceResult r) {
        if (!r.ok()) {
            return "race: FAILED: bytes were lost, duplicated, reordered or corrupted, or the run had errors"
                    + " (see the detail line).";
        }
        String hits = r.held() == 0 ? "never hit" : "hit " + r.held() + (r.held() == 1 ? " time" : " times");
        String rounds = String.format(Locale.ROOT, "%d round%s, %.1f s", r.rounds(), r.rounds() == 1 ? "" : "s",
                wallSeconds());
        if (r.held() >= minHeld) {
            return "race: ok: every byte came back in order" + (r.serverChecked() ? ", both ways" : "") + " (" + rounds
                    + "); the race window (a receive"
                    + " completing while reading was paused) was " + hits + ", at least the " + minHeld + " asked for.";
        }
        return "race: NOT STRESSED: every byte came back in order (" + rounds + "), but the race window (a receive"
                + " completing while reading was paused) was " + hits + ", fewer than the " + minHeld + " asked for"
                + " (--min-held), so this run proves little; run longer (--max-seconds, --rounds) or pause more"
                + " often (--pause-interval, --jitter-interval).";
    }
}
