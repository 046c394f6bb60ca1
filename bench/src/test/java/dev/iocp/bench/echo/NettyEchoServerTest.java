package dev.iocp.bench.echo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Netty echo servers echo correctly (verified by the load generator) and charge their CPU time. Linux only. */
@EnabledOnOs(value = OS.LINUX, disabledReason = "Netty's epoll/io_uring natives are Linux-only")
class NettyEchoServerTest {

    @ParameterizedTest
    @CsvSource({"netty-epoll,PING_PONG,16", "netty-epoll,STREAM,16384",
                "netty-io_uring,PING_PONG,16", "netty-io_uring,STREAM,16384"})
    void echoesAndIsVerified(String name, String mode, int size) throws Exception {
        String why = Servers.unavailable().get(name);
        assumeTrue(why == null, () -> name + " not available here: " + why);
        assertTrue(Servers.isRegistered(name));
        try (EchoServer server = Servers.create(name)) {
            assertEquals(name, server.name());
            InetSocketAddress addr = server.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
            assertEquals(1, server.serverThreads().size(), "one event-loop thread, recorded for CPU accounting");
            LoadGenerator.Result r = LoadGenerator.run(addr, new LoadGenerator.Config()
                    .mode(LoadGenerator.Mode.valueOf(mode)).connections(2).messageSize(size)
                    .warmupMillis(50).measureMillis(200), server.serverThreads());
            assertNull(r.firstError, r.firstError);
            assertEquals(0, r.verifyErrors);
            assertEquals(0, r.ioErrors);
            assertTrue(r.messages > 10, "messages echoed: " + r.messages);
            assertTrue(r.serverCpuNanos > 0, "server CPU time must be attributed");
        }
    }
}
