package dev.iocp.netty.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.DatagramConnectNotExistsTest;

import java.util.List;

/** Netty's DatagramConnectNotExistsTest against IocpDatagramChannel: a port-unreachable reaches exceptionCaught. */
public class IocpDatagramConnectNotExistsTest extends DatagramConnectNotExistsTest {
    @Override
    protected List<TestsuitePermutation.BootstrapFactory<Bootstrap>> newFactories() {
        return IocpSocketTestPermutation.INSTANCE.datagramSocket();
    }
}
