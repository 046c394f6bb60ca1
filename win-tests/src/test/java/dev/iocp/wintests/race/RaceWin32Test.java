package dev.iocp.wintests.race;

import dev.iocp.core.testing.WindowsOnly;
import dev.iocp.wintests.SkipModeExercised;
import dev.iocp.race.RaceConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

/**
 * The race suite (bpo-33694's race.py) on the Win32 backend over real loopback: echo clients and server in one
 * process, the client's reading paused and resumed while both directions stream, every byte checked both ways.
 * {@code -Diocp.race.scale} shrinks the heavy cases for a quick run; the default is the full suite. In
 * skip-on-success mode (the default; {@code -Diocp.win32.skipCompletionPortOnSuccess=false} turns it off) each case
 * also shows that ops completed inline during it.
 */
@WindowsOnly
class RaceWin32Test {

    static Stream<Arguments> cases() {
        long seed = Long.getLong("iocp.race.seed", 20180528L);
        return Stream.of(
                Arguments.of("original 2000 x 16 KiB, client paused/resumed every 100 ms",
                        RaceCases.race().packets(2000).size(16384).pauseIntervalMs(100)),
                Arguments.of("5000 x 16 KiB, every 100 ms",
                        RaceCases.race().packets(RaceCases.scaled(5000, 100)).size(16384).pauseIntervalMs(100)),
                Arguments.of("50 x 16 MiB, every 100 ms",
                        RaceCases.race().packets(RaceCases.scaled(50, 2)).size(16 * 1024 * 1024).pauseIntervalMs(100)),
                Arguments.of("jitter 1..100 ms (seed " + seed + ")",
                        RaceCases.race().packets(2000).size(16384).pauseIntervalMs(100).jitter(true).seed(seed)),
                Arguments.of("server side paused too",
                        RaceCases.race().packets(2000).size(16384).pauseIntervalMs(100).pauseServer(true)),
                Arguments.of("pause from inside dataReceived",
                        RaceCases.race().packets(2000).size(16384).pauseIntervalMs(100).pauseInCallback(true)),
                Arguments.of("resume from a foreign thread",
                        RaceCases.race().packets(2000).size(16384).pauseIntervalMs(100).resumeFromForeignThread(true)),
                Arguments.of("8 connections at once, jitter, server paused too",
                        RaceCases.race().packets(RaceCases.scaled(500, 50)).size(16384).pauseIntervalMs(100)
                                .connections(8).jitter(true).seed(seed).pauseServer(true)),
                Arguments.of("many transitions: 5000 x 16 KiB, jitter 1..3 ms, both sides paused",
                        RaceCases.race().packets(RaceCases.scaled(5000, 100)).size(16384).pauseIntervalMs(3)
                                .jitter(true).seed(seed).pauseServer(true)),
                Arguments.of("many transitions: pause in dataReceived, foreign resume, jitter 1..3 ms",
                        RaceCases.race().packets(RaceCases.scaled(5000, 100)).size(16384).pauseIntervalMs(3)
                                .jitter(true).seed(seed).pauseInCallback(true).resumeFromForeignThread(true)),
                Arguments.of("200000 x 64 B (one write each), jitter 1..5 ms",
                        RaceCases.race().packets(RaceCases.scaled(200_000, 20_000)).size(64).pauseIntervalMs(5)
                                .jitter(true).seed(seed)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void noByteLostDuplicatedOrReordered(String name, RaceConfig cfg) throws Exception {
        SkipModeExercised inline = SkipModeExercised.start();
        RaceCases.runAndCheck(name, cfg);
        inline.check("race case '" + name + "'"); // with the mode on (the default), the invariants held inline too
    }
}
