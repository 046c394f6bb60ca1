package dev.iocp.transport;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.CompletionHandler;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.backend.SocketOpt;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.LoopResource;
import dev.iocp.core.win32.Win32Error;
import dev.iocp.core.win32.Win32Exception;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.function.Supplier;

/**
 * A listener on one loop keeping several AcceptEx in flight (so a burst of connections doesn't wait for a round trip
 * per accept), spreading accepted connections over the group's loops.
 *
 * <p>Accept op life: submitted → packet → (success) hand the socket to a loop, re-submit; (failure while open, e.g.
 * the client reset before we accepted) close the prepared socket, re-submit; (after close) close the prepared socket
 * and release the op. The server's close future completes when the last accept op is back.
 */
final class IocpServer implements Server, LoopResource, CompletionHandler {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(IocpServer.class);

    /** Where accepted connections go: the group's loops round-robin, or the listener's own loop. */
    private final java.util.function.Supplier<IocpEventLoop> targets;
    private final IocpEventLoop loop;
    private final Backend backend;
    private final Supplier<? extends Protocol> protocolFactory;
    private final TransportConfig config;
    private final Promise<Void> closeFuture;
    private long listener;
    private InetSocketAddress localAddress;
    private boolean closed;
    private int acceptsInFlight;
    private volatile long accepted;

    IocpServer(java.util.function.Supplier<IocpEventLoop> targets, IocpEventLoop loop,
               Supplier<? extends Protocol> protocolFactory, TransportConfig config) {
        this.targets = targets;
        this.loop = loop;
        this.backend = loop.backend();
        this.protocolFactory = protocolFactory;
        this.config = config;
        this.closeFuture = loop.newPromise();
    }

    /** Loop thread. */
    void listen(InetSocketAddress address, int backlog, int pendingAccepts) throws Win32Exception {
        listener = backend.openTcpSocket(address.getAddress() instanceof Inet6Address);
        try {
            backend.bind(listener, address);
            backend.listen(listener, backlog);
            localAddress = backend.localAddress(listener);
        } catch (Throwable t) { // whatever failed, the socket must not leak
            backend.close(listener, false);
            throw t;
        }
        loop.register(this);
        for (int i = 0; i < pendingAccepts; i++) {
            Op op = loop.acquireOp();
            submitAccept(op);
        }
    }

    private void submitAccept(Op op) {
        op.prepare(OpType.ACCEPT, listener, this);
        int error = backend.submitAccept(op);
        if (error != 0) {
            logger.warn("AcceptEx failed: {}", Win32Error.describe(error));
            op.release();
            return;
        }
        acceptsInFlight++;
    }

    @Override
    public void onCompletion(Op op, int bytes, int error) {
        acceptsInFlight--;
        long socket = op.acceptSocket();
        if (error != 0 || closed) {
            if (socket != 0) {
                backend.close(socket, true);
            }
            if (closed) {
                op.release();
                maybeClosed();
            } else {
                logger.debug("accept failed: {}", Win32Error.describe(error));
                submitAccept(op);
            }
            return;
        }
        long newSocket;
        try {
            newSocket = backend.finishAccept(op);
        } catch (Win32Exception e) {
            logger.debug("finishing an accepted socket failed", e);
            backend.close(socket, true);
            submitAccept(op);
            return;
        }
        accepted++;
        submitAccept(op);
        IocpEventLoop target = targets.get();
        Protocol protocol;
        try {
            protocol = protocolFactory.get();
        } catch (Throwable t) {
            logger.warn("protocol factory threw; closing the accepted connection", t);
            backend.close(newSocket, true);
            return;
        }
        if (target == loop) {
            adopt(target, newSocket, protocol);
        } else {
            target.execute(() -> adopt(target, newSocket, protocol));
        }
    }

    private void adopt(IocpEventLoop target, long socket, Protocol protocol) {
        try {
            target.backend().register(socket);
        } catch (Win32Exception e) {
            logger.warn("could not register an accepted socket with its loop", e);
            target.backend().close(socket, true);
            return;
        }
        new IocpConnection(target, socket, protocol, config).start();
    }

    @Override
    public void onDispatchFailure(Op op, Throwable cause) {
        if (op.state() == Op.State.OWNED && !closed) {
            submitAccept(op);
        } else if (op.state() == Op.State.OWNED) {
            op.release();
            maybeClosed();
        }
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public long acceptedCount() {
        return accepted;
    }

    @Override
    public Future<Void> close() {
        if (!loop.inEventLoop()) {
            loop.execute(this::close);
            return closeFuture;
        }
        if (!closed) {
            closed = true;
            loop.deregister(this);
            backend.close(listener, false); // pending AcceptEx complete with ERROR_OPERATION_ABORTED
            maybeClosed();
        }
        return closeFuture;
    }

    private void maybeClosed() {
        if (closed && acceptsInFlight == 0) {
            closeFuture.trySuccess(null);
        }
    }

    @Override
    public void closeForShutdown() {
        close();
    }

    @Override
    public String toString() {
        return "IocpServer[" + localAddress + "]";
    }
}
