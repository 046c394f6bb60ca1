/**
 * An asyncio-style transport over iocp's event loop: you implement a {@link dev.iocp.transport.Protocol}, whose
 * callbacks hear one connection's events, and call its {@link dev.iocp.transport.Transport} to read, write and end
 * it.
 *
 * <p>Start with {@link dev.iocp.transport.Transports}: {@link dev.iocp.transport.Transports#listen listen} gives a
 * {@link dev.iocp.transport.Server} that makes a protocol per accepted connection, and
 * {@link dev.iocp.transport.Transports#connect connect} connects one. Per-connection settings are a
 * {@link dev.iocp.transport.TransportConfig}. TLS is a layer over this API: {@link dev.iocp.transport.tls}.
 *
 * <p>What a user can rely on (the full text, with the reasons: {@code docs/transport.md}):
 * <ul>
 *   <li><b>No byte is lost or reordered.</b> One receive is in flight per connection, and
 *       {@link dev.iocp.transport.Transport#pauseReading()} never cancels it: a receive that completes while
 *       paused is held as it is, and {@link dev.iocp.transport.Transport#resumeReading()} delivers it — data, EOF
 *       or error, in arrival order. This is the rule CPython's ProactorEventLoop broke (bpo-33694).</li>
 *   <li><b>Threads.</b> Every callback runs on the connection's loop thread, one at a time.
 *       {@code dataReceived}, {@code eofReceived} and {@code connectionLost} never run inside another callback.
 *       Every transport method is safe from any thread, and hops onto the loop in call order.</li>
 *   <li><b>Ending.</b> {@link dev.iocp.transport.Protocol#connectionLost connectionLost} is called exactly once,
 *       last, after every operation of the socket has completed, with a typed cause: {@code null} (clean),
 *       {@link dev.iocp.transport.ConnectionResetException}, {@link dev.iocp.transport.CloseTimeoutException},
 *       {@link dev.iocp.transport.LoopShutdownException}, the exception a callback threw, or an
 *       {@link dev.iocp.core.backend.IoException} naming the OS error.</li>
 *   <li><b>Close is not abort.</b> {@link dev.iocp.transport.Transport#close()} flushes, sends FIN and lingers
 *       until the peer's FIN, so unread bytes cannot turn it into a reset; one deadline bounds it
 *       ({@link dev.iocp.transport.TransportConfig#closeTimeoutMillis()}). {@link dev.iocp.transport.Transport#abort()}
 *       resets.</li>
 *   <li><b>Writes.</b> {@link dev.iocp.transport.Transport#write(java.nio.ByteBuffer) write} copies the bytes at
 *       call time, all or nothing. Water marks drive {@code pauseWriting} / {@code resumeWriting}.
 *       {@link dev.iocp.transport.Transport#writeOwned writeOwned}, {@link dev.iocp.transport.Transport#retainReceived()
 *       retainReceived} and {@link dev.iocp.transport.Transport#writeReceived() writeReceived} avoid the copy.</li>
 *   <li><b>Every future completes</b>, on every path; a failed connect names its error and closes its socket.</li>
 *   <li><b>Servers and loops survive.</b> An accept error never stops a {@link dev.iocp.transport.Server}; an
 *       exception a callback throws aborts its own connection only.</li>
 * </ul>
 *
 * <p>A caller's own mistake (a write after its own close, a null argument) throws at once, for example
 * {@link dev.iocp.transport.TransportClosedException}. A race with the peer is not a mistake: it is reported
 * through {@code connectionLost}.
 *
 * <p>How a connection waits for data is its {@link dev.iocp.transport.ReceiveMode}; pausing cancels nothing in any
 * mode. {@link dev.iocp.transport.Transport#counters()} counts how often a receive was held while paused.
 */
package dev.iocp.transport;
