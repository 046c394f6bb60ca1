/**
 * The event loop and the backend SPI under iocp's transports.
 *
 * <p>Exported: {@link dev.iocp.core.loop} (the loop and its group: what an application creates),
 * {@link dev.iocp.core.backend} (the backend SPI — {@code Backend}, {@code Op}, {@code OpSlab}, the error vocabulary
 * {@code ErrorCode} / {@code IoError} / {@code IoException} — exported as an SPI: the contract the transports program
 * against and a test or a new backend may implement) and {@link dev.iocp.core.backend.sim} (the deterministic
 * simulated backend, for testing protocols without sockets).
 *
 * <p>Not exported: the Win32 and io_uring backends and the JNA bindings under them. They are reached only through
 * {@link dev.iocp.core.backend.Backends} ({@code -Diocp.backend}), so they can change without breaking a user.
 */
module dev.iocp.core {
    // IocpEventLoop and IocpEventLoopGroup extend netty-common's executors: a user of the loop sees those types.
    requires transitive io.netty.common;
    // JNA ships no module descriptor but a stable Automatic-Module-Name (com.sun.jna); it stays out of the API.
    requires com.sun.jna;

    exports dev.iocp.core.backend;
    exports dev.iocp.core.backend.sim;
    exports dev.iocp.core.loop;
}
