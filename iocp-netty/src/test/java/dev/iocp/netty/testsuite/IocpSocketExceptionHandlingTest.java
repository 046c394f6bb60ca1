package dev.iocp.netty.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.SocketExceptionHandlingTest;

import java.util.List;

public class IocpSocketExceptionHandlingTest extends SocketExceptionHandlingTest {
    @Override
    protected List<TestsuitePermutation.BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return IocpSocketTestPermutation.INSTANCE.socket();
    }
}
