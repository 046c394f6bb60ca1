package dev.iocp.wintests.scenarios;

import dev.iocp.core.backend.BackendFactory;
import dev.iocp.core.backend.Backends;
import dev.iocp.core.testing.WindowsOnly;

/** The seed scenarios on the Win32 backend (under Wine, or on Windows). */
@WindowsOnly
class Win32SeedScenariosTest extends SeedScenariosTest {
    @Override
    protected BackendFactory backendFactory() {
        return Backends.byName("win32");
    }
}
