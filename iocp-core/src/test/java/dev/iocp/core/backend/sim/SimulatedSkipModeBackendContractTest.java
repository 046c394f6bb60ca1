package dev.iocp.core.backend.sim;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.BackendContractTest;
import dev.iocp.core.backend.Op;

/**
 * The backend contract on the simulated backend in skip-on-success mode: every op that succeeds inside its submit
 * (a send with window, a receive whose bytes are there, an accept with a connection waiting) completes inline, and
 * the same contract holds — one packet per successful submit, from poll, and a cancel only asks.
 */
class SimulatedSkipModeBackendContractTest extends BackendContractTest {
    @Override
    protected Backend newBackend() {
        return new SimulatedBackend(new SimulatedNetwork(), 64, true);
    }

    @Override
    protected void awaitCompletedInKernel(Op recv, long ourSocket) {
        // The bytes were there at submit: the receive completed inside it, and its result waits in the inline queue.
    }
}
