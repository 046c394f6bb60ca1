package dev.iocp.core.backend.sim;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.BackendContractTest;
import dev.iocp.core.backend.Op;

/** The backend contract on the simulated backend. */
class SimulatedBackendContractTest extends BackendContractTest {
    @Override
    protected Backend newBackend() {
        return new SimulatedBackend(new SimulatedNetwork());
    }

    @Override
    protected void awaitCompletedInKernel(Op recv, long ourSocket) {
        // The bytes were there at submit: the simulated kernel completed the receive and queued its packet then.
    }
}
