package dev.iocp.transport.sim;

import dev.iocp.transport.testing.Peer;
import dev.iocp.transport.testing.SimulatedEnv;
import dev.iocp.transport.testing.TransportBehaviourTest;
import dev.iocp.transport.testing.TransportEnv;

/** The transport behaviour suite on the simulated backend (any JVM). */
class SimulatedTransportTest extends TransportBehaviourTest {
    @Override
    protected TransportEnv newEnv() {
        return new SimulatedEnv();
    }

    @Override
    protected void stopReading(Peer peer) {
        ((SimulatedEnv.Sim) peer).receiveWindow(16 * 1024);
    }

    @Override
    protected Peer.Drained drainWhileOpen(Accepted a, long expected) throws Exception {
        SimulatedEnv.Sim sim = (SimulatedEnv.Sim) a.peer();
        sim.receiveWindow(1 << 20);
        byte[] got = sim.readExactly((int) expected, T);
        return new Peer.Drained(got.length, Peer.Ending.NONE);
    }
}
