package dev.iocp.wintests.race;

import dev.iocp.race.RaceConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

/** The race harness through TLS on the simulated backend, on any JVM. */
class RaceTlsSimulatedTest {
    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("TLS: 2000 x 16 KiB, every 2 ms",
                        RaceTlsCases.race().backend("simulated").packets(2000).size(16384).pauseIntervalMs(2)),
                Arguments.of("TLS: pause in dataReceived, foreign resume, server paused too, jitter 1..5 ms",
                        RaceTlsCases.race().backend("simulated").packets(2000).size(16384).pauseIntervalMs(5)
                                .jitter(true).seed(7).pauseInCallback(true).resumeFromForeignThread(true)
                                .pauseServer(true)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void noByteLostDuplicatedOrReorderedThroughTls(String name, RaceConfig cfg) throws Exception {
        RaceCases.runAndCheck(name, cfg);
    }
}
