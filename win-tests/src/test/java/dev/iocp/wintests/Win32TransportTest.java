package dev.iocp.wintests;

import dev.iocp.core.testing.WindowsOnly;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The transport behaviour suite on the Win32 backend over real loopback sockets, in skip-on-success mode by default
 * (it then also shows that ops completed inline during the suite).
 */
@WindowsOnly
class Win32TransportTest extends RealSocketTransportTest {
    private static SkipModeExercised inline;

    @BeforeAll
    static void countInlineCompletions() {
        inline = SkipModeExercised.start();
    }

    @AfterAll
    static void theSuiteRanWithInlineCompletions() {
        inline.check("the transport suite");
    }
}
