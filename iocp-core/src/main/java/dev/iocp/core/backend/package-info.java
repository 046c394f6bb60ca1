/**
 * The backend SPI: the one seam between the loop and the operating system, and the error vocabulary every layer
 * above it speaks.
 *
 * <p>A {@link dev.iocp.core.backend.Backend} submits operations (receive, send, accept, connect), cancels them,
 * closes sockets, and polls for completions ("packets"). Each operation is an {@link dev.iocp.core.backend.Op}: a
 * record with its native memory in an {@link dev.iocp.core.backend.OpSlab}, found again from its packet by
 * arithmetic, with no map and no allocation per completion. Its owner hears the result through its
 * {@link dev.iocp.core.backend.CompletionHandler}. {@link dev.iocp.core.backend.Backends} picks the backend by
 * platform or by {@code -Diocp.backend}; the Win32 and io_uring backends themselves are not exported.
 *
 * <p>The contract every backend keeps:
 * <ul>
 *   <li><b>The packet is the only truth about an op.</b> A submit either returns 0, and then exactly one packet
 *       will come, or returns an error, and then none will. A cancel is only a request
 *       ({@link dev.iocp.core.backend.CancelResult}): a packet that reports success delivers its data even after a
 *       cancel. Dropping such a packet lost CPython's data in bpo-33694.</li>
 *   <li><b>One completion path.</b> A success always comes as a packet, also where the OS posts none (Win32's
 *       skip-on-success mode: the backend queues it, {@link dev.iocp.core.backend.InlineCompletions}).</li>
 *   <li><b>Native memory belongs to the kernel from submit until the packet.</b> An op in flight is never released
 *       or reused; closing a socket does not free it, its packet does.</li>
 *   <li><b>Everything but {@link dev.iocp.core.backend.Backend#wakeup()} runs on the loop thread.</b></li>
 * </ul>
 *
 * <p>Errors cross the SPI as one {@code int} ({@link dev.iocp.core.backend.IoError}): the library's
 * {@link dev.iocp.core.backend.ErrorCode}, the native vocabulary and number. Decide by the code; it is the same on
 * every OS. A synchronous failure is an {@link dev.iocp.core.backend.IoException} whose message names the call and
 * the OS's own error name and number ({@link dev.iocp.core.backend.IoError#describe(int)}). Each backend translates
 * native numbers at the one point where they enter the SPI ({@link dev.iocp.core.backend.NativeErrors}).
 *
 * <p>Applications rarely use this package directly: the transports program against it, and tests wrap it (the
 * test jar's fault-injecting backend). The design and each invariant's proof: {@code ARCHITECTURE.md}.
 */
package dev.iocp.core.backend;
