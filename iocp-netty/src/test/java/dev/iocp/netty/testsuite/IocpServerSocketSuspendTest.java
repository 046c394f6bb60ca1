package dev.iocp.netty.testsuite;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.ServerSocketSuspendTest;

import java.util.List;

public class IocpServerSocketSuspendTest extends ServerSocketSuspendTest {
    @Override
    protected List<TestsuitePermutation.BootstrapFactory<ServerBootstrap>> newFactories() {
        return IocpSocketTestPermutation.INSTANCE.serverSocket();
    }
}
