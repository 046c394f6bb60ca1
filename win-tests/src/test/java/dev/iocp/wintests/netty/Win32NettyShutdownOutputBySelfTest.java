package dev.iocp.wintests.netty;

import dev.iocp.core.testing.WindowsOnly;
import dev.iocp.netty.testsuite.IocpSocketTestPermutation;
import io.netty.bootstrap.Bootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.SocketShutdownOutputBySelfTest;

import java.util.List;

/** Netty's {@link SocketShutdownOutputBySelfTest} on the Win32 backend (see the package comment). */
@WindowsOnly
class Win32NettyShutdownOutputBySelfTest extends SocketShutdownOutputBySelfTest {
    @Override
    protected List<TestsuitePermutation.BootstrapFactory<Bootstrap>> newFactories() {
        return IocpSocketTestPermutation.INSTANCE.clientSocket();
    }
}
