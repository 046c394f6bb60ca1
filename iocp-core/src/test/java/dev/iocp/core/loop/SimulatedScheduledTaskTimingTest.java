package dev.iocp.core.loop;

import dev.iocp.core.backend.BackendFactory;
import dev.iocp.core.backend.sim.SimulatedBackend;
import dev.iocp.core.backend.sim.SimulatedNetwork;

/** {@link ScheduledTaskTimingTest} on the simulated backend. */
class SimulatedScheduledTaskTimingTest extends ScheduledTaskTimingTest {
    @Override
    protected BackendFactory backendFactory() {
        SimulatedNetwork net = new SimulatedNetwork();
        return () -> new SimulatedBackend(net);
    }
}
