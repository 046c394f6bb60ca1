package dev.iocp.wintests;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.BackendContractTest;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.win32.Win32Backend;
import dev.iocp.core.backend.win32.Win32Slot;
import dev.iocp.core.testing.LoopTesting;
import dev.iocp.core.testing.WindowsOnly;
import dev.iocp.core.win32.Kernel32;

import java.lang.invoke.VarHandle;

/**
 * The backend contract on Win32 (a completion port), under Wine or on Windows, in skip-on-success mode (the
 * default: immediate successes complete inline); {@link Win32PortOnlyBackendContractTest} runs it with the mode off.
 */
@WindowsOnly
class Win32BackendContractTest extends BackendContractTest {
    @Override
    protected Backend newBackend() throws Exception {
        return new Win32Backend(8, true);
    }

    /**
     * HasOverlappedIoCompleted: the kernel has written the op's final status into OVERLAPPED.Internal, while its
     * packet waits in the port (nothing is dequeued to see it).
     */
    @Override
    protected void awaitCompletedInKernel(Op recv, long ourSocket) {
        LoopTesting.await("the WSARecv has completed in the kernel", () -> {
            VarHandle.fullFence(); // written from outside the JVM: read it fresh every time
            return Win32Slot.status(recv) != Kernel32.STATUS_PENDING;
        });
    }
}
