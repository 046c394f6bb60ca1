package dev.iocp.transport.sim;

import dev.iocp.transport.testing.SimulatedEnv;
import dev.iocp.transport.testing.TransportEnv;

/**
 * The transport behaviour suite on the simulated backend in skip-on-success mode: sends with window, receives whose
 * bytes are there and accepts with a connection waiting complete inline, and the transport sees the same contract.
 */
class SimulatedSkipModeTransportTest extends SimulatedTransportTest {
    @Override
    protected TransportEnv newEnv() {
        return new SimulatedEnv(true);
    }
}
