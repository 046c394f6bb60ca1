package dev.iocp.transport.sim;

import dev.iocp.transport.testing.SimulatedEnv;

/**
 * Every interleaving of {@link InterleavingTest} again, with receives into provided buffers (the default receive
 * mode on a backend that has them): a receive that completes while paused holds its pool buffer, and the buffer is
 * back in the pool once the connection is gone, on every path (the tear-down's check).
 */
class ProvidedBuffersInterleavingTest extends InterleavingTest {
    @Override
    SimulatedEnv newEnv() {
        return new SimulatedEnv(4, 64);
    }
}
