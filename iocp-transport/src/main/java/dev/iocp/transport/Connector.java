package dev.iocp.transport;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.CompletionHandler;
import dev.iocp.core.backend.IoException;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.LoopResource;
import io.netty.util.concurrent.Promise;

import java.net.Inet6Address;
import java.net.InetSocketAddress;

/**
 * One outgoing connection attempt: a socket with a connect in flight. It is a loop resource, so a loop that shuts
 * down mid-connect closes the socket (the connect's packet then comes, aborted) instead of waiting for it, and the
 * future fails at once with a {@link LoopShutdownException}.
 *
 * <p>Who owns what, at each step — so that every path completes the future once and releases the socket and the
 * op once: before submit, this object (a failure closes and releases here); from a successful submit until the
 * packet, the kernel (only the packet releases the op); after a successful packet, the new {@link IocpConnection}
 * takes the socket.
 */
final class Connector implements LoopResource, CompletionHandler {
    private final IocpEventLoop loop;
    private final Backend backend;
    private final InetSocketAddress remote;
    private final Protocol protocol;
    private final TransportConfig config;
    private final Promise<Transport> promise;
    private long socket;
    private Op op;
    /** Set when the loop shut down, or the user cancelled the future, while the connect was in flight. */
    private Throwable abandoned;
    private boolean socketClosed;

    Connector(IocpEventLoop loop, InetSocketAddress remote, Protocol protocol, TransportConfig config,
              Promise<Transport> promise) {
        this.loop = loop;
        this.backend = loop.backend();
        this.remote = remote;
        this.protocol = protocol;
        this.config = config;
        this.promise = promise;
    }

    /** Loop thread. */
    void start() {
        if (loop.isShuttingDown()) {
            promise.tryFailure(new LoopShutdownException("the event loop is shutting down; connect to " + remote
                    + " not started"));
            return;
        }
        try {
            socket = backend.openTcpSocket(remote.getAddress() instanceof Inet6Address);
        } catch (Throwable t) {
            promise.tryFailure(t);
            return;
        }
        op = loop.acquireOp();
        op.prepare(OpType.CONNECT, socket, this);
        int error;
        try {
            error = backend.submitConnect(op, remote);
        } catch (Throwable t) {
            finishFailed(t);
            return;
        }
        if (error != 0) {
            finishFailed(new IoException("connect to " + remote, error));
            return;
        }
        loop.register(this);
        // Listeners of a loop promise run on the loop: a cancel from any thread lands here, on the loop thread.
        promise.addListener(f -> {
            if (f.isCancelled()) {
                abandon(null);
            }
        });
    }

    @Override
    public void onCompletion(Op done, int bytes, int error) {
        loop.deregister(this);
        if (abandoned != null || promise.isCancelled()) {
            finishFailed(abandoned);
            return;
        }
        if (error != 0) {
            finishFailed(new IoException("connect to " + remote, error));
            return;
        }
        try {
            backend.finishConnect(done);
        } catch (Throwable t) {
            finishFailed(t);
            return;
        }
        done.release();
        IocpConnection connection = new IocpConnection(loop, socket, protocol, config);
        Throwable notMade = connection.start();
        if (notMade != null) {
            promise.tryFailure(notMade);
        } else if (!promise.trySuccess(connection)) {
            connection.abort(); // cancelled meanwhile (only possible from another thread)
        }
    }

    private void finishFailed(Throwable cause) {
        op.release();
        closeSocketOnce();
        if (cause != null) {
            promise.tryFailure(cause);
        }
    }

    /** Closes the socket exactly once: a second closesocket could hit another socket that reused the handle. */
    private void closeSocketOnce() {
        if (!socketClosed) {
            socketClosed = true;
            backend.close(socket, true);
        }
    }

    @Override
    public void onDispatchFailure(Op done, Throwable cause) {
        // onCompletion threw after the op came back: whatever it reached, the future must complete and the socket
        // must not leak. The socket belongs to the connection if one was made (its own failure path closes it).
        if (done.state() == Op.State.OWNED) {
            finishFailed(cause);
        } else {
            promise.tryFailure(cause);
        }
    }

    /** The attempt is given up while in flight: closing the socket makes its packet come now. */
    private void abandon(Throwable cause) {
        if (abandoned == null && op != null && op.state() == Op.State.IN_FLIGHT) {
            abandoned = cause != null ? cause : new java.util.concurrent.CancellationException();
            closeSocketOnce();
        }
    }

    @Override
    public void closeForShutdown() {
        LoopShutdownException e = new LoopShutdownException("the event loop shut down during connect to " + remote);
        abandon(e);
        promise.tryFailure(e); // at once: the packet still comes, and only returns the op
    }
}
