package dev.iocp.netty.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.WriteBeforeRegisteredTest;

import java.util.List;

public class IocpWriteBeforeRegisteredTest extends WriteBeforeRegisteredTest {
    @Override
    protected List<TestsuitePermutation.BootstrapFactory<Bootstrap>> newFactories() {
        return IocpSocketTestPermutation.INSTANCE.clientSocket();
    }
}
