package dev.iocp.wintests;

import dev.iocp.transport.testing.Peer;
import dev.iocp.transport.testing.SocketPeer;
import dev.iocp.transport.testing.TransportBehaviourTest;
import dev.iocp.transport.testing.TransportEnv;

/**
 * The transport behaviour suite on real loopback sockets, whatever the platform's backend; the peers are plain
 * blocking {@code java.net.Socket}s. Subclasses only say where they run.
 */
abstract class RealSocketTransportTest extends TransportBehaviourTest {
    @Override
    protected TransportEnv newEnv() {
        return new RealSocketEnv();
    }

    @Override
    protected void stopReading(Peer peer) {
        // A blocking socket that nobody reads from: the kernel buffers fill, then our sends stay pending.
    }

    @Override
    protected Peer.Drained drainWhileOpen(Accepted a, long expected) throws Exception {
        SocketPeer p = (SocketPeer) a.peer();
        byte[] got = p.readExactly((int) expected, T);
        return new Peer.Drained(got.length, Peer.Ending.NONE);
    }
}
