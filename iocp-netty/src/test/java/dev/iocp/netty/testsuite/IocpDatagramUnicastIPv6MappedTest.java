package dev.iocp.netty.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.DatagramUnicastIPv6MappedTest;

import java.util.List;

/** Netty's DatagramUnicastIPv6MappedTest against IocpDatagramChannel: iocp × iocp, iocp × NIO, NIO × iocp. */
public class IocpDatagramUnicastIPv6MappedTest extends DatagramUnicastIPv6MappedTest {
    @Override
    protected List<TestsuitePermutation.BootstrapComboFactory<Bootstrap, Bootstrap>> newFactories() {
        return IocpSocketTestPermutation.INSTANCE.datagram(socketInternetProtocalFamily());
    }
}
