package dev.iocp.wintests.race;

import dev.iocp.core.backend.uring.IoUringBackend;
import dev.iocp.race.RaceConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The race suite through TLS natively on io_uring; pause intervals divided by 20, as in {@link RaceIoUringTest}. */
@EnabledOnOs(value = OS.LINUX, disabledReason = "io_uring is Linux-only")
class RaceTlsIoUringTest {
    @BeforeAll
    static void requireIoUring() {
        assumeTrue(IoUringBackend.unavailableReason().isEmpty(),
                () -> "io_uring unavailable: " + IoUringBackend.unavailableReason().orElse(""));
    }

    static Stream<Arguments> cases() {
        return RaceTlsCases.cases().map(a -> {
            Object[] args = a.get();
            RaceConfig cfg = (RaceConfig) args[1];
            long interval = Math.max(1, cfg.pauseIntervalMs() / 20);
            return Arguments.of(args[0] + " [pause interval " + interval + " ms]",
                    cfg.backend("io_uring").pauseIntervalMs(interval));
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void noByteLostDuplicatedOrReorderedThroughTls(String name, RaceConfig cfg) throws Exception {
        RaceCases.runAndCheck(name, cfg);
    }
}
