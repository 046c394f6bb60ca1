package dev.iocp.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code iocp http}'s arguments: a mistake is a usage error (exit 2) before anything is started. */
class HttpCommandTest {
    @Test
    void anUnknownOptionAMissingValueOrAnUnknownApiIsAUsageError() {
        assertEquals(Main.USAGE, Main.dispatch(new String[] {"http", "--verbose"}));
        assertEquals(Main.USAGE, Main.dispatch(new String[] {"http", "--port"}));
        assertEquals(Main.USAGE, Main.dispatch(new String[] {"http", "--api", "tomcat"}));
        assertEquals(Main.USAGE, Main.dispatch(new String[] {"http", "--host", "localhost"}), "names are not resolved");
        assertEquals(Main.USAGE, Main.dispatch(new String[] {"http", "--timeout", "0"}));
        assertEquals(Main.USAGE, Main.dispatch(new String[] {"http", "--loops", "0"}));
    }
}
