package dev.iocp.cli;

import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.backend.sim.SimulatedBackend;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.core.testing.FaultInjectingBackend.Call;
import dev.iocp.core.testing.FaultInjectingBackend.Faults;
import dev.iocp.core.testing.FaultInjectingBackend;
import dev.iocp.race.EchoServer;
import dev.iocp.race.RaceConfig;
import dev.iocp.transport.Server;
import dev.iocp.transport.testing.Peer;
import dev.iocp.transport.testing.SimulatedEnv;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.iocp.core.testing.LoopTesting.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./iocp echo} and {@code ./iocp race server} keep serving while every accept fails, and say so on stderr
 * ({@code accept failing: WSAEMFILE (10024), N errors in the last second; still listening}) — driven through the
 * commands' own server set-up ({@link EchoCommand#listen}, {@link RaceCommand#startServer}) on a fault-injected
 * simulated backend (which simulates Windows, hence Winsock's name for the injected NO_DESCRIPTORS). The once-a-second rate itself is checked exactly, with a fake clock, in
 * AcceptErrorReporterTest.
 */
class CliAcceptErrorsTest {
    private static final long T = 20_000;
    private static final String LINE =
            "accept failing: WSAEMFILE \\(10024\\), \\d+ errors? in the last (second|\\d+ s); still listening";

    private final SimulatedEnv env = new SimulatedEnv();
    private final Faults faults = new Faults(5);
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
    private IocpEventLoopGroup group;

    @BeforeEach
    void setUp() {
        group = new IocpEventLoopGroup(2, FaultInjectingBackend.wrap(() -> new SimulatedBackend(env.network()), faults));
    }

    @AfterEach
    void tearDown() throws Exception {
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(T);
    }

    private List<String> stderrLines() {
        synchronized (errBytes) {
            String s = errBytes.toString(StandardCharsets.UTF_8);
            return s.isEmpty() ? List.of() : List.of(s.split("\n"));
        }
    }

    /** Every accept fails until two stderr lines came (over a second apart); then the waiting client is served. */
    private void keepsServingAndSaysSo(InetSocketAddress address, Server counters) throws Exception {
        try (Peer waiting = env.connectPeer(address)) {
            await("two 'accept failing' lines on stderr", () -> stderrLines().size() >= 2);
            faults.clear();
            byte[] ping = "still listening?".getBytes(StandardCharsets.US_ASCII);
            waiting.write(ping);
            assertArrayEquals(ping, waiting.readExactly(ping.length, T), "served once accepts work again");
        }
        for (String line : stderrLines()) {
            assertTrue(line.matches(LINE), "stderr line: " + line);
        }
        if (counters != null) {
            assertTrue(counters.acceptErrors() >= 8, "accept errors: " + counters.acceptErrors());
        }
    }

    @Test
    void echoKeepsServingWhileAcceptsFailAndSaysSoOnStderr() throws Exception {
        faults.failAlways(Call.SUBMIT_ACCEPT, ErrorCode.NO_DESCRIPTORS);
        Server server = EchoCommand.listen(group, env.bindAddress(), err);
        try {
            keepsServingAndSaysSo(server.localAddress(), server);
        } finally {
            server.close().await(T);
        }
    }

    @Test
    void raceServerKeepsServingWhileAcceptsFailAndSaysSoOnStderr() throws Exception {
        faults.failAlways(Call.SUBMIT_ACCEPT, ErrorCode.NO_DESCRIPTORS);
        EchoServer server = RaceCommand.startServer(group, env.bindAddress(), new RaceConfig(), err);
        keepsServingAndSaysSo(server.address(), null);
    }
}
