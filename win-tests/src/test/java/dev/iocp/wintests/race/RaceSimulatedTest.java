package dev.iocp.wintests.race;

import dev.iocp.race.RaceConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

/** The same race harness on the simulated backend, on any JVM. */
class RaceSimulatedTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("original 2000 x 16 KiB, every 2 ms (the simulated run is ~100x faster than 100 ms would pause)",
                        RaceCases.race().backend("simulated").packets(2000).size(16384).pauseIntervalMs(2)),
                Arguments.of("jitter 1..10 ms, server paused too",
                        RaceCases.race().backend("simulated").packets(2000).size(16384).pauseIntervalMs(10)
                                .jitter(true).seed(7).pauseServer(true)),
                Arguments.of("pause in dataReceived, resume from a foreign thread, every 5 ms",
                        RaceCases.race().backend("simulated").packets(2000).size(16384).pauseIntervalMs(5)
                                .pauseInCallback(true).resumeFromForeignThread(true)),
                Arguments.of("8 connections x 20000 x 64 B, jitter 1..5 ms",
                        RaceCases.race().backend("simulated").packets(20000).size(64).pauseIntervalMs(5)
                                .connections(8).jitter(true).seed(11)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void noByteLostDuplicatedOrReordered(String name, RaceConfig cfg) throws Exception {
        RaceCases.runAndCheck(name, cfg);
    }
}
