package dev.iocp.netty.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.DatagramUnicastInetTest;

import java.util.List;

/** Netty's DatagramUnicastInetTest against IocpDatagramChannel: iocp × iocp, iocp × NIO, NIO × iocp. */
public class IocpDatagramUnicastIPv4Test extends DatagramUnicastInetTest {
    @Override
    protected List<TestsuitePermutation.BootstrapComboFactory<Bootstrap, Bootstrap>> newFactories() {
        return IocpSocketTestPermutation.INSTANCE.datagram(socketInternetProtocalFamily());
    }
}
