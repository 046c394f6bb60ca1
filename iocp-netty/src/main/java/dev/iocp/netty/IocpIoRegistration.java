package dev.iocp.netty;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.CompletionHandler;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpType;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;

import java.net.InetSocketAddress;

/**
 * A handle's registration with an {@link IocpIoHandler}: the owner ({@link CompletionHandler}) of every op the
 * handle submits, and the count of those the kernel still holds.
 *
 * <p><b>Cancel waits for the last packet.</b> {@link #cancel()} makes the registration invalid at once (no new
 * submit is accepted), but the handle is told {@link IocpIoHandle#unregistered()} only when the last of its ops has
 * come back: until then the kernel may still write into the buffers those ops name, and their packets must still
 * reach the handle so it can release them. A completion port association cannot be undone, so a cancelled
 * registration does not free the socket for another loop: see {@link AbstractIocpChannel} for what that means for
 * deregistration.
 */
final class IocpIoRegistration implements IoRegistration, CompletionHandler {
    private final IocpIoHandler handler;
    private final IocpIoHandle handle;
    private final IocpIoEvent event = new IocpIoEvent();
    private boolean valid = true;
    private boolean unregistered;
    private int inFlight;

    IocpIoRegistration(IocpIoHandler handler, IocpIoHandle handle) {
        this.handler = handler;
        this.handle = handle;
    }

    IocpIoHandle handle() {
        return handle;
    }

    IocpIoHandler handler() {
        return handler;
    }

    Backend backend() {
        return handler.backend();
    }

    /** Ops of this registration the kernel holds now. */
    int inFlight() {
        return inFlight;
    }

    /**
     * This registration itself: the loop hands channels a wrapper (which counts registrations), and the channel
     * reaches the typed submit path through it.
     */
    @Override
    @SuppressWarnings("unchecked")
    public <T> T attachment() {
        return (T) this;
    }

    /** An op owned by the caller, prepared for {@code type} on {@code socket}, whose packet comes to this handle. */
    Op newOp(OpType type, long socket) {
        return handler.acquireOp().prepare(type, socket, this);
    }

    /**
     * Submits a prepared op (buffers added). Returns 0, and then exactly one packet will come to the handle; or the
     * backend's error, and then none will, and the op is still the caller's.
     */
    int submit(Op op) {
        return submit(op, null);
    }

    /** {@code remote}: a CONNECT's target, or a SEND_TO's (null: the connected peer); ignored by other ops. */
    int submit(Op op, InetSocketAddress remote) {
        if (!valid) {
            throw new IllegalStateException("submit on a cancelled registration: " + handle);
        }
        int error;
        switch (op.type()) {
            case RECV: error = handler.backend().submitRecv(op); break;
            case SEND: error = handler.backend().submitSend(op); break;
            case ACCEPT: error = handler.backend().submitAccept(op); break;
            case CONNECT: error = handler.backend().submitConnect(op, remote); break;
            case RECV_FROM: error = handler.backend().submitReceiveFrom(op); break;
            case SEND_TO: error = handler.backend().submitSendTo(op, remote); break;
            default: throw new IllegalArgumentException("op type " + op.type());
        }
        if (error == 0) {
            inFlight++;
            handler.submitted(op);
        }
        return error;
    }

    /**
     * A submit for a graceful close that outlives the channel's registration (iocp's lingering close): allowed
     * after {@link #cancel()}, since the handle still gets its packets until the last one.
     */
    int submitForClose(Op op) {
        boolean wasValid = valid;
        valid = true;
        try {
            return submit(op, null);
        } finally {
            valid = wasValid;
        }
    }

    /**
     * Netty's generic submit, for an {@link IocpIoOps}. Returns the op's id + 1 when a packet will come, or the
     * negated backend error when the submit failed (the op is then still the caller's).
     */
    @Override
    public long submit(IoOps ops) {
        if (!(ops instanceof IocpIoOps)) {
            throw new IllegalArgumentException("not iocp ops: " + ops);
        }
        IocpIoOps iocpOps = (IocpIoOps) ops;
        int error = submit(iocpOps.op(), iocpOps.remote());
        return error == 0 ? iocpOps.op().id() + 1L : -(long) error;
    }

    @Override
    public void onCompletion(Op op, int bytesTransferred, int error) {
        inFlight--;
        try {
            handle.handle(this, event.set(op, bytesTransferred, error));
        } finally {
            event.set(null, 0, 0);
            if (!valid && inFlight == 0) {
                finishUnregister();
            }
        }
    }

    @Override
    public boolean isValid() {
        return valid;
    }

    @Override
    public boolean cancel() {
        if (!valid) {
            return false;
        }
        valid = false;
        if (inFlight == 0) {
            finishUnregister();
        }
        return true;
    }

    private void finishUnregister() {
        if (unregistered) {
            return;
        }
        unregistered = true;
        handler.unregistered(this);
        handle.unregistered();
    }
}
