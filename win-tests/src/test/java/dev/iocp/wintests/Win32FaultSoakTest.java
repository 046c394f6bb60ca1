package dev.iocp.wintests;

import dev.iocp.core.backend.BackendFactory;
import dev.iocp.core.backend.Backends;
import dev.iocp.core.testing.WindowsOnly;

/** The fault soak on Win32 (under Wine, or on Windows); fewer, shorter streams: Wine is slow. */
@WindowsOnly
class Win32FaultSoakTest extends FaultSoakTest {
    @Override
    protected String backendName() {
        return "win32";
    }

    @Override
    protected BackendFactory backendFactory() {
        return Backends.byName("win32");
    }

    @Override
    protected int streams() {
        return 120;
    }

    @Override
    protected int bytesPerStream() {
        return 64 * 1024;
    }
}
