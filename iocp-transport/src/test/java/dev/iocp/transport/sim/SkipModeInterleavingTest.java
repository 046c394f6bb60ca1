package dev.iocp.transport.sim;

import dev.iocp.transport.testing.SimulatedEnv;

/**
 * Every held-packet interleaving again, with the simulated backend in skip-on-success mode: the receive each case
 * holds waited for its bytes, so it still completes through the port and is held; what completes inside its submit
 * (sends with window, receives whose bytes were already there) comes from the inline queue around it.
 */
class SkipModeInterleavingTest extends InterleavingTest {
    @Override
    SimulatedEnv newEnv() {
        return new SimulatedEnv(true);
    }
}
