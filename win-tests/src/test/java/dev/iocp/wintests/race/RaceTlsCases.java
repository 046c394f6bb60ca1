package dev.iocp.wintests.race;

import dev.iocp.race.RaceConfig;
import dev.iocp.race.RaceTls;
import org.junit.jupiter.params.provider.Arguments;

import java.util.stream.Stream;

/**
 * The race suite through TLS: the same harness and checks ({@link RaceCases#runAndCheck}), the server listening
 * and the clients connecting with TLS from the first byte (a self-signed certificate made for the run). What is
 * paused is the TLS transport; it pauses its plain transport, whose receive in flight is held — the race window is
 * counted there, so the window assertions hold as they are.
 */
final class RaceTlsCases {
    private static RaceTls tls;

    private RaceTlsCases() {}

    static synchronized RaceTls tls() {
        if (tls == null) {
            try {
                tls = RaceTls.selfSigned();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return tls;
    }

    static RaceConfig race() {
        return RaceCases.race().tls(tls().server(), tls().client());
    }

    /** The cases, pause intervals as on Win32 (io_uring divides them, as its plain race suite does). */
    static Stream<Arguments> cases() {
        long seed = Long.getLong("iocp.race.seed", 20180528L);
        return Stream.of(
                Arguments.of("TLS: original 2000 x 16 KiB, client paused/resumed every 100 ms",
                        race().packets(2000).size(16384).pauseIntervalMs(100)),
                Arguments.of("TLS: 5000 x 16 KiB, every 100 ms",
                        race().packets(RaceCases.scaled(5000, 100)).size(16384).pauseIntervalMs(100)),
                Arguments.of("TLS: jitter 1..3 ms, pause in dataReceived, foreign resume, server paused too",
                        race().packets(RaceCases.scaled(2000, 100)).size(16384).pauseIntervalMs(3).jitter(true)
                                .seed(seed).pauseInCallback(true).resumeFromForeignThread(true).pauseServer(true)),
                Arguments.of("TLS: 4 connections x 20000 x 64 B, jitter 1..5 ms",
                        race().packets(RaceCases.scaled(20000, 2000)).size(64).pauseIntervalMs(5).jitter(true)
                                .seed(seed).connections(4)));
    }
}
