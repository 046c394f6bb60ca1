package dev.iocp.wintests;

import dev.iocp.core.backend.BackendFactory;
import dev.iocp.core.backend.Backends;
import dev.iocp.core.loop.ScheduledTaskTimingTest;
import dev.iocp.core.testing.WindowsOnly;

/**
 * {@link ScheduledTaskTimingTest} on the Win32 backend: GetQueuedCompletionStatusEx's millisecond timeouts,
 * rounded up from the loop's nanoseconds, under Wine and natively (where the clock tick makes short timers late,
 * never early).
 */
@WindowsOnly
class Win32ScheduledTaskTimingTest extends ScheduledTaskTimingTest {
    @Override
    protected BackendFactory backendFactory() {
        return Backends.byName("win32");
    }
}
