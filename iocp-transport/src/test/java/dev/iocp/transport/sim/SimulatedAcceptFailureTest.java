package dev.iocp.transport.sim;

import dev.iocp.core.backend.BackendFactory;
import dev.iocp.core.backend.sim.SimulatedBackend;
import dev.iocp.transport.testing.AcceptFailureTest;
import dev.iocp.transport.testing.SimulatedEnv;
import dev.iocp.transport.testing.TransportEnv;

/** Accept failures on the simulated backend (any JVM). */
class SimulatedAcceptFailureTest extends AcceptFailureTest {
    @Override
    protected TransportEnv newEnv() {
        return new SimulatedEnv();
    }

    @Override
    protected BackendFactory backendFactory(TransportEnv env) {
        return () -> new SimulatedBackend(((SimulatedEnv) env).network());
    }
}
