package dev.iocp.transport.sim;

import dev.iocp.transport.testing.SimulatedEnv;
import dev.iocp.transport.testing.TransportEnv;

/**
 * The transport behaviour suite on simulated backends with provided buffers: small ones (4 KiB, 8 a loop), so that
 * large messages take many receives and busy tests empty the pool, which sends receives down the fallback to
 * readiness.
 */
class SimulatedProvidedBuffersTransportTest extends SimulatedTransportTest {
    @Override
    protected TransportEnv newEnv() {
        return new SimulatedEnv(8, 4096);
    }
}
