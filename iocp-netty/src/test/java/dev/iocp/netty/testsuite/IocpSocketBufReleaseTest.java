package dev.iocp.netty.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.SocketBufReleaseTest;

import java.util.List;

public class IocpSocketBufReleaseTest extends SocketBufReleaseTest {
    @Override
    protected List<TestsuitePermutation.BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return IocpSocketTestPermutation.INSTANCE.socket();
    }
}
