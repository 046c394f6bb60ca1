package dev.iocp.netty;

import dev.iocp.core.backend.Op;
import io.netty.channel.IoOps;

import java.net.InetSocketAddress;

/**
 * An op to submit through Netty's generic {@link io.netty.channel.IoRegistration#submit(IoOps)}: an {@link Op}
 * already prepared (type, socket, buffers) by its owner, plus the remote address for a connect. iocp's own channels
 * submit through a typed path that allocates nothing; this is for other {@link IocpIoHandle}s.
 */
final class IocpIoOps implements IoOps {
    private final Op op;
    private final InetSocketAddress remote;

    private IocpIoOps(Op op, InetSocketAddress remote) {
        this.op = op;
        this.remote = remote;
    }

    /** A receive, send or accept, as prepared in {@code op}. */
    static IocpIoOps of(Op op) {
        return new IocpIoOps(op, null);
    }

    /** A connect of {@code op}'s socket to {@code remote}. */
    static IocpIoOps connect(Op op, InetSocketAddress remote) {
        return new IocpIoOps(op, remote);
    }

    Op op() {
        return op;
    }

    InetSocketAddress remote() {
        return remote;
    }
}
