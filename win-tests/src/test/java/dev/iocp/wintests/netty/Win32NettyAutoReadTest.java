package dev.iocp.wintests.netty;

import dev.iocp.core.testing.WindowsOnly;
import dev.iocp.netty.testsuite.IocpSocketTestPermutation;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.SocketAutoReadTest;

import java.util.List;

/** Netty's {@link SocketAutoReadTest} on the Win32 backend, iocp × iocp (see the package comment). */
@WindowsOnly
class Win32NettyAutoReadTest extends SocketAutoReadTest {
    @Override
    protected List<TestsuitePermutation.BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return IocpSocketTestPermutation.INSTANCE.iocpOnly();
    }
}
