package dev.iocp.wintests.race;

import dev.iocp.core.testing.WindowsOnly;
import dev.iocp.race.RaceConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

/** The race suite through TLS on the Win32 backend over real loopback (Windows, and under Wine). */
@WindowsOnly
class RaceTlsWin32Test {
    static Stream<Arguments> cases() {
        return RaceTlsCases.cases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void noByteLostDuplicatedOrReorderedThroughTls(String name, RaceConfig cfg) throws Exception {
        RaceCases.runAndCheck(name, cfg);
    }
}
