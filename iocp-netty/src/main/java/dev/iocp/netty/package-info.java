/**
 * A Netty 4.2 transport over iocp's backends: on Windows a completion port per event loop, on Linux an io_uring,
 * in tests the simulated backend.
 *
 * <p>Two lines make a Netty application use it: the loop group's factory,
 * {@code new MultiThreadIoEventLoopGroup(}{@link dev.iocp.netty.IocpIoHandler#newFactory()}{@code )}, and the channel
 * class, {@link dev.iocp.netty.IocpServerSocketChannel} for servers or {@link dev.iocp.netty.IocpSocketChannel} for
 * clients, {@link dev.iocp.netty.IocpDatagramChannel} for UDP (unicast; multicast is refused by name). Everything
 * else is Netty's. {@link dev.iocp.netty.IocpChannelOption} adds two options to Netty's own.
 *
 * <p>What differs from Netty's NIO and native transports, and why:
 * <ul>
 *   <li><b>Auto-read off never cancels a read.</b> One receive stays in flight while the connection is up; with
 *       auto-read off, one that completes is held and delivered by the next {@code read()}, in order. This is the
 *       bpo-33694 rule of iocp's own transport, kept for Netty.</li>
 *   <li><b>A graceful close cannot turn into a reset.</b> After FIN the channel discards what the peer still sends
 *       until the peer's FIN (bounded by {@code -Diocp.netty.closeLingerMillis}), because closing a socket with
 *       unread bytes sends RST and the peer would lose what it had not read. {@code SO_LINGER} 0 still resets.</li>
 *   <li><b>Every buffer an operation names is retained until its completion packet</b>, whatever the channel does
 *       meanwhile; a close waits for the send in flight, so a write's promise says what was sent.</li>
 *   <li><b>Errors</b> are {@link dev.iocp.core.backend.IoException}s naming the call and the native error.</li>
 *   <li><b>A channel stays with its first event loop</b>: a completion port association cannot be undone, so
 *       registering with another loop is refused, on every backend alike.</li>
 * </ul>
 *
 * <p>Dispatch keeps iocp's loop rules: an op goes back to its owner before the owner's handler runs, a handler that
 * throws does not stop the loop, and destroying the handler waits for every op's last packet. The module's
 * {@code README.md} has the details and the measurements.
 */
package dev.iocp.netty;
