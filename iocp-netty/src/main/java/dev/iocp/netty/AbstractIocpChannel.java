package dev.iocp.netty;

import dev.iocp.core.backend.Backend;
import io.netty.channel.AbstractChannel;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.UnresolvedAddressException;

/**
 * What the iocp socket channels share: the socket on the loop's backend, its registration, and close.
 *
 * <p><b>The socket is opened late.</b> A Netty channel is constructed (and configured) before it has a loop, and
 * on Windows a socket must be associated with its loop's completion port; the family (IPv4 or IPv6) is known only
 * at bind or connect. So the socket is opened on the registered loop's backend by the first bind or connect, and
 * options set before then are kept by the config and applied when it opens. An accepted channel gets its socket
 * from the listener and associates it with the loop it is registered with.
 *
 * <p><b>Deregistration.</b> A completion port association is permanent (Windows has no call to undo it), so a
 * socket can never move to another loop's port. {@code deregister()} therefore stops the channel's I/O on its loop
 * — no new op is submitted, the ops in flight still come back to the channel and their results are held, exactly as
 * with auto-read off — and the channel may be registered again with the <em>same</em> loop, which resumes it.
 * Registering it with another loop is refused (Netty's "incompatible event loop" IllegalStateException on the
 * register future; the channel is left as it was). The same rule holds on
 * every backend, so code tested on io_uring behaves the same on Windows.
 */
public abstract class AbstractIocpChannel extends AbstractChannel {
    /** The socket on {@link #homeHandler}'s backend; 0 before it is opened and after it is closed. */
    volatile long socket;
    /** The handler whose port the socket is associated with; set once, for ever (see the class comment). */
    IocpIoHandler homeHandler;
    /** The loop of {@link #homeHandler}. */
    volatile EventLoop homeLoop;
    /** Ours, for typed submits; {@link #nettyRegistration} is the same one as the loop wrapped it (cancel that). */
    IocpIoRegistration registration;
    IoRegistration nettyRegistration;
    volatile boolean open = true;
    volatile InetSocketAddress local;
    volatile InetSocketAddress remote;

    AbstractIocpChannel(Channel parent) {
        super(parent);
    }

    /** An accepted channel: the socket exists, and is associated with the loop the channel is registered with. */
    AbstractIocpChannel(Channel parent, long acceptedSocket) {
        super(parent);
        this.socket = acceptedSocket;
    }

    /**
     * An iocp loop, and once the socket is associated with a port, only that port's loop (see the class comment).
     * Netty refuses an incompatible loop before touching the channel (an IllegalStateException on the register
     * future), so a wrong register leaves the channel as it was.
     */
    @Override
    protected boolean isCompatible(EventLoop loop) {
        return loop instanceof IoEventLoop && ((IoEventLoop) loop).isCompatible(IocpIoHandle.class)
                && (homeLoop == null || homeLoop == loop);
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    protected SocketAddress localAddress0() {
        return local;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return remote;
    }

    Backend backend() {
        return registration.backend();
    }

    /** {@return the registered backend's name, or null before registration} */
    String backendName() {
        IocpIoRegistration r = registration;
        return r == null ? null : r.backend().name();
    }

    /** Whether the socket is open (from any thread; a racy answer is fine for option reads). */
    final boolean hasSocket() {
        return socket != 0 && registration != null;
    }

    /**
     * A socket option for a config, from any thread: the socket's value once it is open, else {@code kept} (what the
     * config holds until the socket opens, see the class comment).
     */
    final int socketOption(dev.iocp.core.backend.SocketOpt option, int kept) {
        if (!hasSocket()) {
            return kept;
        }
        try {
            return onLoopCall(() -> backend().getOption(socket, option));
        } catch (IOException e) {
            throw new io.netty.channel.ChannelException(e);
        }
    }

    /** Sets a socket option now if the socket is open; the config keeps the value for when it opens otherwise. */
    final void setSocketOption(dev.iocp.core.backend.SocketOpt option, int value) {
        if (!hasSocket()) {
            return;
        }
        try {
            onLoopCall(() -> {
                backend().setOption(socket, option, value);
                return null;
            });
        } catch (IOException e) {
            throw new io.netty.channel.ChannelException(e);
        }
    }

    /** A socket call made from any thread: the backend is the loop's only, so other threads wait for the loop. */
    interface SocketCall<T> {
        T call() throws IOException;
    }

    final <T> T onLoopCall(SocketCall<T> call) throws IOException {
        if (eventLoop().inEventLoop()) {
            return call.call();
        }
        try {
            return eventLoop().submit(() -> call.call()).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted waiting for the event loop");
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException) {
                throw (IOException) cause;
            }
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            throw new IOException(cause);
        }
    }

    /** This channel's part of Netty's {@link io.netty.channel.Channel.Unsafe}: an {@link IocpIoHandle}. */
    abstract class IocpUnsafe extends AbstractUnsafe implements IocpIoHandle {
        @Override
        public final void handle(IoRegistration registration, IoEvent event) {
            IocpIoEvent e = (IocpIoEvent) event;
            onPacket(e.op(), e.bytes(), e.error());
        }

        /** The loop's executor has terminated: close the socket now, with no pipeline event. */
        final void closeForDestroy() {
            AbstractIocpChannel.this.closeForDestroy();
        }

        /** Closing for the loop's shutdown. */
        @Override
        public final void close() {
            closeForShutdown();
        }
    }

    void closeForDestroy() {
        unsafe().closeForcibly();
    }

    /** The loop is shutting down: close now, waiting for nothing. */
    void closeForShutdown() {
        unsafe().close(unsafe().voidPromise());
    }

    /** A packet for one of this channel's ops; the op is owned by the channel again. */
    abstract void onPacket(dev.iocp.core.backend.Op op, int bytes, int error);

    @Override
    protected void doRegister(ChannelPromise promise) {
        IoEventLoop loop = (IoEventLoop) eventLoop();
        loop.register((IocpUnsafe) unsafe()).addListener(f -> {
            if (!f.isSuccess()) {
                promise.setFailure(f.cause());
                return;
            }
            IoRegistration wrapper = (IoRegistration) f.getNow();
            IocpIoRegistration ours = wrapper.attachment();
            IocpIoHandler handler = ours.handler();
            if (homeHandler != null && homeHandler != handler) {
                wrapper.cancel();
                promise.setFailure(new ChannelException("an iocp channel cannot move to another event loop: its"
                        + " socket's completion port association is permanent; register it with the loop it"
                        + " was first registered with"));
                return;
            }
            this.registration = ours;
            this.nettyRegistration = wrapper;
            if (homeHandler == null && socket != 0) {
                try {
                    handler.backend().register(socket); // an accepted socket joins this loop's port
                    homeHandler = handler;
                    homeLoop = eventLoop();
                    acceptedSocketRegistered();
                } catch (IOException e) {
                    wrapper.cancel();
                    promise.setFailure(e);
                    return;
                }
            }
            if (socket != 0) {
                homeHandler = handler;
                homeLoop = eventLoop();
            }
            promise.setSuccess();
        });
    }

    @Override
    protected void doDeregister() {
        // Through the loop's wrapper, which counts registrations; ours then waits for the last packet.
        IoRegistration r = nettyRegistration;
        if (r != null) {
            r.cancel();
        }
    }

    /** Opens the socket for {@code address}'s family on this loop's backend and applies the options kept so far. */
    final void openSocket(InetSocketAddress address) throws IOException {
        if (socket != 0) {
            return;
        }
        socket = newSocket(backend(), address.getAddress() instanceof java.net.Inet6Address);
        homeHandler = registration.handler();
        homeLoop = eventLoop();
        try {
            socketOpened();
        } catch (IOException | RuntimeException e) {
            backend().close(socket, false);
            socket = 0;
            throw e;
        }
    }

    /** A new socket of this channel's kind on {@code backend}: TCP unless a subclass says otherwise. */
    long newSocket(Backend backend, boolean ipv6) throws IOException {
        return backend.openTcpSocket(ipv6);
    }

    /** An accepted socket was associated with this loop's port: learn its address, apply the options kept. */
    void acceptedSocketRegistered() throws IOException {}

    /** The socket exists now: apply the options the config kept. */
    abstract void socketOpened() throws IOException;

    static InetSocketAddress checkResolved(SocketAddress address) {
        if (!(address instanceof InetSocketAddress)) {
            throw new UnsupportedOperationException("iocp channels speak TCP over IP; not " + address);
        }
        InetSocketAddress inet = (InetSocketAddress) address;
        if (inet.isUnresolved()) {
            throw new UnresolvedAddressException();
        }
        return inet;
    }

    @Override
    protected void doDisconnect() throws Exception {
        doClose();
    }
}
