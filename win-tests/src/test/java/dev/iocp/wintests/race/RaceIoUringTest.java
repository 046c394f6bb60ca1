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

/**
 * The same race suite, case for case, natively on Linux's io_uring: a real completion interface whose
 * ASYNC_CANCEL on a finished op answers "not found" while the op's data still arrives — bpo-33694's race again.
 * Skipped, with the reason, where io_uring is unavailable.
 */
@EnabledOnOs(value = OS.LINUX, disabledReason = "io_uring is Linux-only")
class RaceIoUringTest {

    @BeforeAll
    static void requireIoUring() {
        assumeTrue(IoUringBackend.unavailableReason().isEmpty(),
                () -> "io_uring unavailable: " + IoUringBackend.unavailableReason().orElse(""));
    }

    /**
     * The Win32 cases with their pause intervals divided by 20: natively the original 2000 x 16 KiB finishes in
     * ~70 ms, before a 100 ms timer fires once; a 5 ms interval keeps the storm of pause/resume transitions.
     */
    static Stream<Arguments> cases() {
        return RaceWin32Test.cases().map(a -> {
            Object[] args = a.get();
            RaceConfig cfg = (RaceConfig) args[1];
            long interval = Math.max(1, cfg.pauseIntervalMs() / 20);
            return Arguments.of(args[0] + " [pause interval " + interval + " ms]",
                    cfg.backend("io_uring").pauseIntervalMs(interval));
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void noByteLostDuplicatedOrReordered(String name, RaceConfig cfg) throws Exception {
        RaceCases.runAndCheck(name, cfg);
    }
}
