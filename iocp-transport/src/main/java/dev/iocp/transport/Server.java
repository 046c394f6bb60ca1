package dev.iocp.transport;

import io.netty.util.concurrent.Future;

import java.net.InetSocketAddress;
import java.util.function.Consumer;

/**
 * A listening socket that hands each accepted connection to a new {@link Protocol}.
 *
 * <h2>Accept errors</h2>
 * A server never stops listening because an accept failed. A client that reset its connection before we accepted
 * it is skipped (the accept is re-armed at once; it is not an error of the server). Any other failure — out of
 * descriptors or buffers ({@link dev.iocp.core.backend.ErrorCode#NO_DESCRIPTORS NO_DESCRIPTORS}: WSAEMFILE, EMFILE,
 * ENFILE; {@link dev.iocp.core.backend.ErrorCode#NO_BUFFERS NO_BUFFERS}: WSAENOBUFS, ENOBUFS, ENOMEM, a full
 * submission ring), an
 * accepted socket that could not be finished or attached to its loop — is an <em>accept error</em>: it is counted
 * ({@link #acceptErrors()}), logged (at most once a second per server, with the number of errors in between), and
 * handed to the {@link #onAcceptError handler}; the failed accept is re-armed after a back-off that starts at 10 ms,
 * doubles while accepts keep failing, is capped at 1 s and resets on the next successful accept (so running out of
 * descriptors costs a few wake-ups a second, not a spinning core). Connections already accepted are not affected.
 * A listener out of descriptors first gives up a spare descriptor it keeps for the purpose, so that the failure can
 * be logged and waiting clients are accepted and closed rather than left hanging (see {@code docs/reliability.md}).
 *
 * <h2>A dead loop is not silent</h2>
 * The listener's loop thread does not die of what handlers, tasks or logging throw. If it is ended anyway (a
 * stopped thread), {@link #loopFailure()} says what ended it and {@link #close()} fails with a
 * {@link LoopShutdownException} naming it, as the group's {@code onLoopFailure} hook is told.
 */
public interface Server {
    /** {@return the bound address (with the real port when 0 was asked for)} */
    InetSocketAddress localAddress();

    /** {@return connections accepted so far} */
    long acceptedCount();

    /**
     * {@return accept errors so far (see the class comment; resets before accept are not counted). Safe from any thread}
     */
    long acceptErrors();

    /**
     * Sets the handler told of each accept error from now on, replacing the previous one ({@code null}: none). It
     * gets the cause — a {@link dev.iocp.core.backend.IoException} naming the call and the error, e.g.
     * {@code accept on /127.0.0.1:8080: WSAEMFILE (10024)} ({@code EMFILE (24)} on Linux), for anything the
     * operating system reported — on the listener's loop thread,
     * one call per error, after the server has already arranged to retry. It must not block; it may close the
     * server. What it throws is logged and ignored. Errors before the handler is set are counted and logged only.
     * Like Netty's {@code exceptionCaught} on a server channel, or asyncio's loop exception handler for accept.
     *
     * @return this server
     * @param handler the handler, or null
     */
    Server onAcceptError(Consumer<? super Throwable> handler);

    /**
     * {@return what ended the listener's loop thread other than a shutdown, or null while it serves. Any thread} A
     * server with a loop failure accepts nothing any more; its listening socket was closed with the loop.
     */
    Throwable loopFailure();

    /**
     * Stops accepting: closes the listening socket. Connections already accepted are left alone. The returned future
     * completes once every pending accept has had its packet (an accept waiting out a back-off is released at once).
     *
     * @return a future that completes once the listener is closed; it fails only if the listener's loop thread
     *     ended abnormally ({@link #loopFailure()}), with a {@link LoopShutdownException} caused by what ended it
     */
    Future<Void> close();
}
