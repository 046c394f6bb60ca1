package dev.iocp.transport.sim;

import dev.iocp.transport.TlsBehaviourTest;
import dev.iocp.transport.testing.SimulatedEnv;
import dev.iocp.transport.testing.TransportEnv;

/** The TLS suite on the simulated backend (any JVM, deterministic segments). */
class SimulatedTlsTest extends TlsBehaviourTest {
    @Override
    protected TransportEnv newEnv() {
        return new SimulatedEnv();
    }
}
