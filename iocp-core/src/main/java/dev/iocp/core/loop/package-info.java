/**
 * The event loop: one thread that owns one backend (on Windows one I/O completion port, on Linux one io_uring) and
 * runs netty-common's task queue and timers beside it.
 *
 * <p>Start with {@link dev.iocp.core.loop.IocpEventLoopGroup}: one {@link dev.iocp.core.loop.IocpEventLoop} per
 * core by default, each on the platform's backend ({@link dev.iocp.core.backend.Backends}). Give the group to
 * {@code dev.iocp.transport.Transports} to listen and connect. The loop <em>is</em> a netty-common
 * {@code EventExecutor}: {@code execute}, {@code schedule}, promises and graceful shutdown work as in Netty.
 *
 * <p>What a loop guarantees:
 * <ul>
 *   <li><b>One thread.</b> Every completion is dispatched, and every task run, on the loop thread. Work submitted
 *       from another thread is queued as a task, and the loop posts at most one wake-up per sleep.</li>
 *   <li><b>No wormholes.</b> A completion's op goes back to its owner before the owner's handler runs. A handler
 *       that throws (an {@code Error} included) is logged, its owner is told, and the rest of the batch still
 *       reaches its handlers: the loop thread never dies of what a handler throws.</li>
 *   <li><b>Native memory outlives the kernel's use of it.</b> A loop shuts down only after every op in flight has
 *       had its packet. If it has to give up waiting, it leaks its op slab rather than free memory the kernel may
 *       still write.</li>
 *   <li><b>Resources close with the loop.</b> Connections and listeners register as a
 *       {@link dev.iocp.core.loop.LoopResource}; at shutdown each is closed, and their last packets are still
 *       dispatched.</li>
 * </ul>
 *
 * <p>These are invariants 2 and 4 of the project's {@code ARCHITECTURE.md}; {@code docs/reliability.md} says what
 * the loop survives.
 */
package dev.iocp.core.loop;
