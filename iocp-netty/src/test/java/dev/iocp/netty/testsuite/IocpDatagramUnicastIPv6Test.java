package dev.iocp.netty.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.DatagramUnicastIPv6Test;

import java.util.List;

/** Netty's DatagramUnicastIPv6Test against IocpDatagramChannel: iocp × iocp, iocp × NIO, NIO × iocp. */
public class IocpDatagramUnicastIPv6Test extends DatagramUnicastIPv6Test {
    @Override
    protected List<TestsuitePermutation.BootstrapComboFactory<Bootstrap, Bootstrap>> newFactories() {
        return IocpSocketTestPermutation.INSTANCE.datagram(socketInternetProtocalFamily());
    }
}
