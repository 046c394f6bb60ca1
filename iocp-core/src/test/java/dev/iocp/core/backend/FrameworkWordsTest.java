package dev.iocp.core.backend;

import dev.iocp.core.backend.uring.Errno;
import dev.iocp.core.win32.Win32Error;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * "The peer went away" reads, in every vocabulary, in the words code written for the JDK's and Netty's native
 * transports matches, with the native name and number kept. The checks below are what that code does, restated:
 * Reactor Netty's {@code AbortedException.isConnectionReset} (an IOException whose message contains
 * {@code "Broken pipe"} or {@code "Connection reset by peer"}, case-sensitively), Spring's
 * {@code DisconnectedClientHelper} (the most specific cause's message, lower-cased, contains {@code "broken pipe"} or
 * {@code "connection reset by peer"}) and Netty's SocketRstTest (under en-US/en-GB, a reset's message contains
 * {@code "reset"} or {@code "closed"}). The simulated backend speaks the Win32 vocabulary, so the two tables are
 * every backend's.
 */
class FrameworkWordsTest {
    static Stream<Arguments> vocabularies() {
        return Stream.of(Arguments.of(Win32Error.ERRORS), Arguments.of(Errno.ERRORS));
    }

    static boolean reactorNettySeesAReset(Throwable t) {
        String m = t.getMessage();
        return t instanceof IOException && m != null
                && (m.contains("Broken pipe") || m.contains("Connection reset by peer"));
    }

    static boolean springSeesTheClientGone(Throwable t) {
        Throwable cause = t;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        String m = cause.getMessage();
        if (m == null) {
            return false;
        }
        String lower = m.toLowerCase(Locale.ROOT);
        return lower.contains("broken pipe") || lower.contains("connection reset by peer");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vocabularies")
    void everyResetReadsInTheWordsFrameworksMatchAndKeepsItsNativeNameAndNumber(NativeErrors table) {
        int resets = 0;
        for (Map.Entry<Integer, ErrorCode> row : table.codes().entrySet()) {
            if (row.getValue() != ErrorCode.RESET) {
                continue;
            }
            resets++;
            int n = row.getKey();
            for (String call : new String[] {"receive", "send"}) {
                IoException e = table.exception(call, n);
                assertTrue(reactorNettySeesAReset(e), "Reactor Netty would not see a reset in: " + e.getMessage());
                assertTrue(springSeesTheClientGone(new IllegalStateException("wrapped", e)),
                        "Spring would not see the client gone in: " + e.getMessage());
                assertTrue(e.getMessage().contains(table.name(n) + " " + n), "native name and number kept: "
                        + e.getMessage());
            }
        }
        assertTrue(resets >= 4, "the table's RESET rows: " + resets);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vocabularies")
    void thePeersResetSaysResetAsNettysRstTestExpects(NativeErrors table) {
        IoException e = table.exception("receive", table.nativeNumberFor(ErrorCode.RESET));
        assertTrue(e.getMessage().startsWith("receive: Connection reset by peer ("), e.getMessage());
        assertTrue(e.getMessage().contains("reset"), e.getMessage());
    }

    /** The words mean the connection is gone and nothing else: other errors do not read as a disconnect. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("vocabularies")
    void otherErrorsDoNotReadAsADisconnect(NativeErrors table) {
        for (ErrorCode code : new ErrorCode[] {ErrorCode.ADDRESS_IN_USE, ErrorCode.NO_BUFFERS, ErrorCode.TIMED_OUT,
                ErrorCode.ABORTED, ErrorCode.REFUSED}) {
            IoException e = table.exception("send", table.nativeNumberFor(code));
            assertFalse(reactorNettySeesAReset(e), e.getMessage());
            assertFalse(springSeesTheClientGone(e), e.getMessage());
        }
    }
}
