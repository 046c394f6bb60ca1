package dev.iocp.netty.testsuite;

import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.IoException;
import dev.iocp.netty.IocpSocketChannel;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.testsuite.transport.TestsuitePermutation;
import io.netty.testsuite.transport.socket.SocketRstTest;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

public class IocpSocketRstTest extends SocketRstTest {
    @Override
    protected List<TestsuitePermutation.BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return IocpSocketTestPermutation.INSTANCE.socket();
    }

    /**
     * Netty's own check looks for "reset" or "closed" only under an en-US/en-GB default locale (the JDK's messages
     * are localised on Windows); ours are not, so an iocp client is held to its words under any locale, as Netty's
     * epoll and io_uring tests hold theirs to ECONNRESET: a reset (code RESET) that reads as Reactor Netty and
     * Spring expect a disconnect to read.
     */
    @Override
    protected void assertRstOnCloseException(IOException cause, Channel clientChannel) {
        if (clientChannel instanceof IocpSocketChannel) {
            IoException e = assertInstanceOf(IoException.class, cause, "actual: " + cause);
            assertEquals(ErrorCode.RESET, e.code(), e.getMessage());
            assertTrue(e.getMessage().startsWith("receive: Connection reset by peer ("), e.getMessage());
        }
        super.assertRstOnCloseException(cause, clientChannel);
    }
}
