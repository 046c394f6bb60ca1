package dev.iocp.netty.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.DatagramConnectedWriteExceptionTest;

import java.util.List;

/** Netty's DatagramConnectedWriteExceptionTest against IocpDatagramChannel. */
public class IocpDatagramConnectedWriteExceptionTest extends DatagramConnectedWriteExceptionTest {
    @Override
    protected List<TestsuitePermutation.BootstrapFactory<Bootstrap>> newFactories() {
        return IocpSocketTestPermutation.INSTANCE.datagramSocket();
    }
}
