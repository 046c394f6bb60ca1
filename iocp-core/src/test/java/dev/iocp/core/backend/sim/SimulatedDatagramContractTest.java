package dev.iocp.core.backend.sim;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.DatagramContractTest;

/** The datagram contract on the simulated backend. */
class SimulatedDatagramContractTest extends DatagramContractTest {
    @Override
    protected Backend newBackend() {
        return new SimulatedBackend(new SimulatedNetwork());
    }
}
