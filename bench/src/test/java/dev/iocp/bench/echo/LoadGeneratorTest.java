package dev.iocp.bench.echo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class LoadGeneratorTest {
    private static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private static LoadGenerator.Result run(EchoServer server, LoadGenerator.Mode mode, int messageSize) throws Exception {
        try (server) {
            InetSocketAddress addr = server.start(ANY_LOOPBACK, 1);
            LoadGenerator.Config cfg = new LoadGenerator.Config()
                    .mode(mode).connections(2).messageSize(messageSize).warmupMillis(50).measureMillis(200);
            return LoadGenerator.run(addr, cfg, server.serverThreads());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "nio2"})
    void pingPongIsEchoedAndVerified(String name) throws Exception {
        LoadGenerator.Result r = run(Servers.create(name), LoadGenerator.Mode.PING_PONG, 16);
        assertEquals(0, r.verifyErrors, r.firstError);
        assertEquals(0, r.ioErrors, r.firstError);
        assertTrue(r.messages > 10, "messages echoed: " + r.messages);
        assertEquals(r.messages, r.latencyNanos.getTotalCount());
        assertEquals(r.messages * 16, r.bytes);
        assertTrue(r.serverCpuNanos > 0, "server CPU time must be attributed");
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "nio2"})
    void streamingIsEchoedAndVerified(String name) throws Exception {
        LoadGenerator.Result r = run(Servers.create(name), LoadGenerator.Mode.STREAM, 16 * 1024);
        assertEquals(0, r.verifyErrors, r.firstError);
        assertEquals(0, r.ioErrors, r.firstError);
        assertTrue(r.bytes > 1 << 20, "bytes echoed: " + r.bytes);
        assertTrue(r.serverCpuNanos > 0, "server CPU time must be attributed");
    }

    /**
     * The allocation column tells a server that makes garbage per message from one that makes none: the iocp echo
     * server allocates nothing per message (a few bytes per message of slack for the loop's occasional bookkeeping),
     * and the control, 4 KiB per read, is seen at about 4 KiB per ping-pong message.
     */
    @Test
    void heapAllocationPerMessageIsMeasured() throws Exception {
        LoadGenerator.Result lean = run(Servers.create(Servers.IOCP), LoadGenerator.Mode.PING_PONG, 16);
        assertTrue(lean.messages > 10, "messages echoed: " + lean.messages);
        assertTrue(lean.serverAllocatedBytesPerMessage() < 64,
                "iocp echo allocates nothing per message: " + lean.serverAllocatedBytesPerMessage() + " B/msg");
        LoadGenerator.Result garbage = run(new AllocatingEchoServer(4096), LoadGenerator.Mode.PING_PONG, 16);
        assertTrue(garbage.messages > 10, "messages echoed: " + garbage.messages);
        // About 4 KiB, not exactly: a message counted whose read is not yet attributed puts it a little under
        // (measured 4091 B/msg once); half of it is still 32 times the lean server's bound.
        assertTrue(garbage.serverAllocatedBytesPerMessage() >= 2048,
                "4 KiB per read must be seen: " + garbage.serverAllocatedBytesPerMessage() + " B/msg");
    }

    /** Negative control: one flipped bit per connection must be caught, in both modes. */
    @ParameterizedTest
    @ValueSource(strings = {"PING_PONG", "STREAM"})
    void corruptingServerIsCaught(String mode) throws Exception {
        LoadGenerator.Mode m = LoadGenerator.Mode.valueOf(mode);
        int size = m == LoadGenerator.Mode.PING_PONG ? 16 : 16 * 1024;
        // offset 1003: inside message 62 (ping-pong, i.e. during warm-up) / the first message (stream)
        LoadGenerator.Result r = run(new CorruptingEchoServer(1003), m, size);
        assertFalse(r.verified(), "a corrupting server must fail verification");
        assertEquals(2, r.verifyErrors, "one error per connection, then the connection is dropped");
        assertNotNull(r.firstError);
        assertTrue(r.firstError.contains("offset 1000"), r.firstError);
        assertEquals(0, r.messages, "nothing is counted after the corruption (it happened during warm-up)");
    }

    @Test
    void benchCommandMarksBrokenServerFailedAndWritesFiles(@TempDir Path dir) throws Exception {
        Servers.register("corrupting", () -> new CorruptingEchoServer(1003));
        int rc = BenchCommand.run(new String[] {"--servers", "corrupting,nio,nio2", "--out", dir.toString(),
                "--warmup-ms", "100", "--measure-ms", "200", "--scenarios", "pingpong-16B-c1,stream-16KiB-c1"});
        assertEquals(1, rc, "a server failing verification must make the run fail");
        String json = Files.readString(dir.resolve("results.json"));
        assertTrue(json.contains("\"ratios_for\": \"corrupting\""), json);
        assertTrue(json.contains("\"verified\": false"), json);
        assertTrue(Files.size(dir.resolve("results.png")) > 1000);
        assertTrue(Files.readString(dir.resolve("results.csv")).lines().count() == 1 + 2 * 3);
    }

    /** --server-process: the server runs in a child JVM that reports its threads' CPU time over the pipe. */
    @Test
    void serverProcessModeMeasuresAChildServer(@TempDir Path dir) throws Exception {
        int rc = BenchCommand.run(new String[] {"--servers", "nio", "--server-process", "--server-cpus", "none",
                "--generator-cpus", "none", "--out", dir.toString(), "--reps", "1",
                "--warmup-ms", "100", "--measure-ms", "300", "--scenarios", "pingpong-16B-c1"});
        assertEquals(0, rc);
        String json = Files.readString(dir.resolve("results.json"));
        assertTrue(json.contains("\"verified\": true"), json);
        assertTrue(json.contains("child JVM"), json);
        assertFalse(json.contains("\"server_cpu_ms\": 0.0,"), "the child's server CPU time must arrive: " + json);
    }
}
