package dev.iocp.wintests;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.win32.Win32Backend;
import dev.iocp.core.testing.WindowsOnly;

/**
 * The backend contract on Win32 with skip-on-success mode off ({@code -Diocp.win32.skipCompletionPortOnSuccess=false}):
 * every op completes through the port, as before the mode existed. {@link Win32BackendContractTest} runs the same
 * suite in the mode (the default).
 */
@WindowsOnly
class Win32PortOnlyBackendContractTest extends Win32BackendContractTest {
    @Override
    protected Backend newBackend() throws Exception {
        return new Win32Backend(8, false);
    }
}
