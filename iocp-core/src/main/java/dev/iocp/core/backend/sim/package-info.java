/**
 * A deterministic, scriptable backend for tests: sockets in memory, no operating system.
 *
 * <p>{@link dev.iocp.core.backend.sim.SimulatedBackend} implements the same SPI as the Win32 and io_uring backends,
 * so the loop and the transports run on it unchanged. A test decides what real sockets leave to chance: when each
 * op completes and with what, what a cancel answers ({@code REQUESTED} or {@code NOT_FOUND}), and the order packets
 * leave the port ({@link dev.iocp.core.backend.sim.SimulatedBackend#holdPackets(boolean)},
 * {@link dev.iocp.core.backend.sim.SimulatedBackend#releasePackets(java.util.List)}). That is how every interleaving
 * of a receive completing around a pause, the bpo-33694 window, is forced rather than hoped for.
 *
 * <p>Start with {@link dev.iocp.core.backend.sim.SimulatedNetwork}, the in-memory TCP network that the backends of
 * every loop share, and {@link dev.iocp.core.backend.sim.SimPeer}, an endpoint a test drives by hand (made by
 * {@link dev.iocp.core.backend.sim.SimulatedNetwork#connectPeer connectPeer} or
 * {@link dev.iocp.core.backend.sim.SimulatedNetwork#listenPeer listenPeer}): it writes bytes, FIN or RST, and a peer
 * that stops reading makes the other side's sends stay pending. Give a loop group the backend with
 * {@code Backends.byName("simulated")}, or {@code -Diocp.backend=simulated}. It simulates Windows: it speaks Win32
 * error numbers inside, and models skip-on-success mode on request.
 *
 * <p>Test your own protocols with it: a protocol that keeps the transport's contract on the simulated backend keeps
 * it on every backend.
 */
package dev.iocp.core.backend.sim;
