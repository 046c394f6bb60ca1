package dev.iocp.netty;

import dev.iocp.core.backend.Op;
import io.netty.channel.IoEvent;

/**
 * One op's packet, as handed to an {@link IocpIoHandle}. The handler reuses one instance for every packet, so it is
 * valid only during the {@code handle} call that receives it: read its fields there, do not keep it.
 */
public final class IocpIoEvent implements IoEvent {
    private Op op;
    private int bytes;
    private int error;

    IocpIoEvent set(Op op, int bytes, int error) {
        this.op = op;
        this.bytes = bytes;
        this.error = error;
        return this;
    }

    /** {@return the op whose packet this is, OWNED again by the handle (the kernel has let go of it)} */
    public Op op() {
        return op;
    }

    /** {@return bytes the op moved; 0 with no error on a receive is the peer's FIN} */
    public int bytes() {
        return bytes;
    }

    /** {@return 0 on success, otherwise the backend's error (see {@link dev.iocp.core.backend.CompletionHandler})} */
    public int error() {
        return error;
    }

    @Override
    public String toString() {
        return "IocpIoEvent[" + op + " bytes=" + bytes + " error=" + error + "]";
    }
}
