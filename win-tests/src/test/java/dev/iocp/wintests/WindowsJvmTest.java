package dev.iocp.wintests;

import dev.iocp.core.testing.WindowsOnly;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Wine lane's smoke test: proves the {@code win32}-tagged tests really ran on a Windows JVM (under Wine on
 * Linux, or natively on windows-latest). On a Linux JVM it is reported as skipped.
 */
@WindowsOnly
class WindowsJvmTest {

    @Test
    void runsOnWindows() {
        String os = System.getProperty("os.name");
        assertTrue(os.startsWith("Windows"), "os.name = " + os);
    }

    @Test
    void loadsWindowsLibraryNames() {
        assertEquals("ws2_32.dll", System.mapLibraryName("ws2_32"));
    }
}
