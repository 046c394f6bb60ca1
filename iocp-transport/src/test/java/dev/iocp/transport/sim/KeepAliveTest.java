package dev.iocp.transport.sim;

import dev.iocp.core.backend.SocketOpt;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.transport.KeepAlive;
import dev.iocp.transport.Transport;
import dev.iocp.transport.TransportConfig;
import dev.iocp.transport.Transports;
import dev.iocp.transport.testing.RecordingProtocol;
import dev.iocp.transport.testing.SimulatedEnv;
import dev.iocp.transport.testing.TransportEnv;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Keep-alive as configured reaches the socket: the default's timing (60 s, 10 s, 6 probes), another one, or none.
 * What the probes then do to a vanished peer is checked for real from outside (scripts/netfault_check.py,
 * black-hole-keepalive).
 */
class KeepAliveTest {
    private static final long T = 20_000;
    private SimulatedEnv env;
    private IocpEventLoopGroup group;
    private IocpEventLoop loop;

    @BeforeEach
    void start() {
        env = new SimulatedEnv();
        group = env.newGroup(1);
        loop = group.next();
    }

    @AfterEach
    void stop() throws Exception {
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(T);
    }

    private Transport connect(TransportEnv.PeerServer ps, TransportConfig config) throws Exception {
        Transport t = Transports.connect(loop, ps.address(), new RecordingProtocol(), config).get(T, TimeUnit.MILLISECONDS);
        ps.accept(T);
        return t;
    }

    @Test
    void theDefaultProbesAfterAMinuteEveryTenSecondsSixTimes() throws Exception {
        try (TransportEnv.PeerServer ps = env.listenPeer()) {
            Transport t = connect(ps, TransportConfig.DEFAULT);
            assertEquals(1, t.getOption(SocketOpt.SO_KEEPALIVE));
            assertEquals(60, t.getOption(SocketOpt.TCP_KEEPIDLE));
            assertEquals(10, t.getOption(SocketOpt.TCP_KEEPINTVL));
            assertEquals(6, t.getOption(SocketOpt.TCP_KEEPCNT));
        }
    }

    @Test
    void anotherTimingOrNoneIsWhatTheSocketGets() throws Exception {
        try (TransportEnv.PeerServer ps = env.listenPeer()) {
            Transport quick = connect(ps, TransportConfig.DEFAULT.withKeepAlive(new KeepAlive(5, 2, 3)));
            assertEquals(1, quick.getOption(SocketOpt.SO_KEEPALIVE));
            assertEquals(5, quick.getOption(SocketOpt.TCP_KEEPIDLE));
            assertEquals(2, quick.getOption(SocketOpt.TCP_KEEPINTVL));
            assertEquals(3, quick.getOption(SocketOpt.TCP_KEEPCNT));
            Transport none = connect(ps, TransportConfig.DEFAULT.withKeepAlive(false));
            assertEquals(0, none.getOption(SocketOpt.SO_KEEPALIVE));
        }
    }

    @Test
    void theSettingReadsOffOrThreeNumbersAndRefusesAnythingElse() {
        assertEquals(KeepAlive.OFF, KeepAlive.parse("off"));
        assertEquals(new KeepAlive(1, 1, 2), KeepAlive.parse(" 1, 1,2 "));
        assertThrows(IllegalArgumentException.class, () -> KeepAlive.parse("60,10"));
        assertThrows(IllegalArgumentException.class, () -> KeepAlive.parse("a,b,c"));
        assertThrows(IllegalArgumentException.class, () -> new KeepAlive(60, 0, 6));
    }
}
