package dev.iocp.wintests;

import dev.iocp.core.backend.win32.Win32Backend;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shows that a Win32 suite really ran with inline completions (skip-on-success mode): counts the ops that completed
 * inline in the Win32 backends that closed between {@link #start} and {@link #check}, prints them
 * ({@code skip-on-success:} lines), and, when the mode is on, asserts there were some — otherwise a suite run "in the
 * mode" would prove nothing about it.
 */
public final class SkipModeExercised {
    private final long inlineBefore = Win32Backend.closedBackendsInlineCompletions();
    private final long portReadsBefore = Win32Backend.closedBackendsPortReads();

    public static SkipModeExercised start() {
        return new SkipModeExercised();
    }

    public void check(String what) {
        long inline = Win32Backend.closedBackendsInlineCompletions() - inlineBefore;
        long reads = Win32Backend.closedBackendsPortReads() - portReadsBefore;
        boolean on = Win32Backend.skipCompletionPortOnSuccessByDefault();
        System.out.printf("  skip-on-success: %s: mode %s, %d ops completed inline, %d port reads%n", what,
                on ? "on" : "off", inline, reads);
        if (on) {
            assertTrue(inline > 0, what + ": no op completed inline, so the mode was not exercised");
        } else {
            assertTrue(inline == 0, what + ": ops completed inline with the mode off");
        }
    }
}
