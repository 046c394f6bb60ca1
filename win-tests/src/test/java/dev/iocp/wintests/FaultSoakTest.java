package dev.iocp.wintests;

import dev.iocp.core.backend.BackendFactory;
import dev.iocp.core.backend.ErrorCode;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.core.loop.IocpEventLoopGroup;
import dev.iocp.core.testing.FaultInjectingBackend.Call;
import dev.iocp.core.testing.FaultInjectingBackend.Faults;
import dev.iocp.core.testing.FaultInjectingBackend;
import dev.iocp.core.testing.LoopTesting;
import dev.iocp.transport.DirectMemoryPressure;
import dev.iocp.transport.Protocol;
import dev.iocp.transport.Server;
import dev.iocp.transport.Transport;
import dev.iocp.transport.TransportConfig;
import dev.iocp.transport.Transports;
import dev.iocp.transport.testing.CheckedProtocol;
import dev.iocp.transport.testing.ProtocolContract;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The soak under faults (every failure path at once): hundreds of verified echo streams over a real backend while
 * faults are injected
 * at random — receive/send submits failing (NO_BUFFERS), accepts failing (NO_DESCRIPTORS), receive packets turned
 * into resets, write-queue chunks failing for want of direct memory (a chunk is allocated only when a loop's pool is
 * empty, so the rate is high). Every stream must either come back intact (every
 * byte, in order, then a clean EOF) or end with a typed error on both sides: the client sees the connection
 * broken, and our side's connectionLost names a cause. Never a silent truncation (a clean end on our side for a
 * stream that did not complete), never a corrupted byte. Afterwards every op has drained and, on Linux, no
 * descriptor leaked.
 */
public abstract class FaultSoakTest {
    private static final long T = 30_000;
    private static final int CHUNK = 16 * 1024;

    protected abstract BackendFactory backendFactory();

    protected abstract String backendName();

    /** Streams in the soak, and bytes per stream: fewer under Wine, which is slow. */
    protected int streams() {
        return 300;
    }

    protected int bytesPerStream() {
        return 128 * 1024;
    }

    /** How our side ended each connection, by the client's port. */
    private record ServerEnd(long echoed, boolean sawEof, Throwable cause) {}

    private enum ClientEnd { INTACT, BROKEN, EARLY_EOF }

    private record ClientResult(int port, ClientEnd end, long verified, String detail) {}

    /** Echoes with flow control, recording how it ended. */
    private static final class SoakEcho implements Protocol {
        private final Map<Integer, ServerEnd> ends;
        private final long truncateAfter;
        private Transport t;
        private long echoed;
        private boolean eof;

        /** {@code truncateAfter}: a deliberately wrong server that closes cleanly after that many bytes (the
         *  negative control); Long.MAX_VALUE for the real echo. */
        SoakEcho(Map<Integer, ServerEnd> ends, long truncateAfter) {
            this.ends = ends;
            this.truncateAfter = truncateAfter;
        }

        @Override
        public void connectionMade(Transport transport) {
            t = transport;
        }

        @Override
        public void dataReceived(ByteBuffer data) {
            echoed += data.remaining();
            t.write(data);
            if (echoed >= truncateAfter) {
                t.close(); // a clean end in the middle of the stream: what the soak must catch
            }
        }

        @Override
        public void pauseWriting() {
            t.pauseReading();
        }

        @Override
        public void resumeWriting() {
            t.resumeReading();
        }

        @Override
        public boolean eofReceived() {
            eof = true;
            return false;
        }

        @Override
        public void connectionLost(Throwable cause) {
            InetSocketAddress remote = t == null ? null : t.remoteAddress();
            ends.put(remote == null ? -1 : remote.getPort(), new ServerEnd(echoed, eof, cause));
        }
    }

    private static byte patternByte(int stream, long offset) {
        return (byte) (offset * 31 + stream * 7 + (offset >>> 11));
    }

    private ClientResult runStream(InetSocketAddress address, int stream) {
        int total = bytesPerStream();
        int port = -1;
        long verified = 0;
        try (Socket s = new Socket()) {
            s.connect(address, (int) T);
            port = s.getLocalPort();
            s.setSoTimeout((int) T);
            OutputStream out = s.getOutputStream();
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] chunk = new byte[CHUNK];
            byte[] back = new byte[CHUNK];
            for (int off = 0; off < total; off += CHUNK) {
                int n = Math.min(CHUNK, total - off);
                for (int i = 0; i < n; i++) {
                    chunk[i] = patternByte(stream, off + i);
                }
                out.write(chunk, 0, n);
                in.readFully(back, 0, n);
                for (int i = 0; i < n; i++) {
                    if (back[i] != chunk[i]) {
                        return new ClientResult(port, null, verified, "corrupt byte at offset " + (off + i));
                    }
                }
                verified += n;
            }
            s.shutdownOutput();
            int r = in.read();
            if (r != -1) {
                return new ClientResult(port, null, verified, "a byte after the whole echo: " + r);
            }
            return new ClientResult(port, ClientEnd.INTACT, verified, "");
        } catch (EOFException e) {
            return new ClientResult(port, ClientEnd.EARLY_EOF, verified, e.toString());
        } catch (IOException e) {
            return new ClientResult(port, ClientEnd.BROKEN, verified, e.toString());
        }
    }

    private static long openDescriptors() throws IOException {
        Path fds = Path.of("/proc/self/fd");
        if (!Files.isDirectory(fds)) {
            return -1; // not Linux (or a Windows JVM under Wine): no such count
        }
        try (Stream<Path> list = Files.list(fds)) {
            return list.count();
        }
    }

    @Test
    void hundredsOfVerifiedStreamsUnderRandomFaultsEndIntactOrWithATypedError() throws Exception {
        soak(streams(), Long.MAX_VALUE, true);
    }

    /** Negative control: a server that silently truncates a few streams (a clean close mid-stream) is caught. */
    @Test
    void theSoakCatchesASilentTruncation() throws Exception {
        AssertionError caught = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
                () -> soak(8, bytesPerStream() / 2, false));
        assertTrue(caught.getMessage().contains("silently truncated")
                        || caught.getMessage().contains("reported a clean end"), caught.getMessage());
    }

    private void soak(int streamCount, long truncateAfter, boolean faultsOn) throws Exception {
        ProtocolContract.clearViolations();
        long fdsBefore = openDescriptors();
        Faults faults = new Faults(20261201L);
        if (faultsOn) {
            faults.failWithProbability(Call.SUBMIT_RECV, ErrorCode.NO_BUFFERS, 0.003)
                .failWithProbability(Call.SUBMIT_SEND, ErrorCode.NO_BUFFERS, 0.003)
                .failWithProbability(Call.SUBMIT_ACCEPT, ErrorCode.NO_DESCRIPTORS, 0.05)
                .failWithProbability(Call.RECV_PACKET, ErrorCode.RESET, 0.002);
        }
        IocpEventLoopGroup group = new IocpEventLoopGroup(2, FaultInjectingBackend.wrap(backendFactory(), faults));
        Map<Integer, ServerEnd> serverEnds = new ConcurrentHashMap<>();
        List<ClientResult> results = new ArrayList<>();
        long chunkFailures;
        try {
            Server server = Transports.listen(group, new InetSocketAddress(LoopTesting.LOOPBACK_V4, 0),
                    () -> new CheckedProtocol(new SoakEcho(serverEnds, truncateAfter)), TransportConfig.DEFAULT, 8)
                    .get(T, TimeUnit.MILLISECONDS);
            try (DirectMemoryPressure.Handle pressure =
                         DirectMemoryPressure.failChunksWithProbability(faultsOn ? 0.25 : 0, 7)) {
                ExecutorService clients = Executors.newFixedThreadPool(16);
                try {
                    List<Future<ClientResult>> futures = new ArrayList<>();
                    for (int i = 0; i < streamCount; i++) {
                        int stream = i;
                        futures.add(clients.submit(() -> runStream(server.localAddress(), stream)));
                    }
                    for (Future<ClientResult> f : futures) {
                        results.add(f.get(5 * T, TimeUnit.MILLISECONDS));
                    }
                } finally {
                    clients.shutdownNow();
                }
                chunkFailures = pressure.injected();
            }
            faults.clear();
            LoopTesting.await("every connection of ours ended", T, TimeUnit.MILLISECONDS,
                    () -> serverEnds.size() >= results.stream().filter(r -> r.port() > 0).count());
            server.close().await(T);
            for (var e : group) {
                LoopTesting.assertOpsDrained((IocpEventLoop) e);
            }
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(T);
        }

        int intact = 0, broken = 0;
        for (ClientResult r : results) {
            if (r.end() == null) {
                fail("stream on port " + r.port() + ": " + r.detail());
            }
            ServerEnd ours = serverEnds.get(r.port());
            if (r.end() == ClientEnd.INTACT) {
                intact++;
                // Our side may still have met a fault after its last echoed byte (a failed receive submit before the
                // peer's FIN: a typed error, while the client, having read everything, may read its EOF). What it
                // must never do is report a clean end without having echoed everything and seen the FIN.
                assertTrue(ours != null, "no end recorded on our side for port " + r.port());
                if (ours.cause() == null) {
                    assertTrue(ours.echoed() == bytesPerStream() && ours.sawEof(),
                            "a clean end on our side for an incomplete stream: " + ours);
                }
                continue;
            }
            broken++;
            // Broken: our side must say why. (A client that saw a clean EOF early would be a silent truncation —
            // unless our side failed, aborted, and the abort reached it as a FIN:
            // Platform.abortMayReachThePeerAsFin; our side's typed error is asserted below either way.)
            if (r.end() == ClientEnd.EARLY_EOF && !(dev.iocp.core.testing.Platform.abortMayReachThePeerAsFin()
                    && ours != null && ours.cause() != null)) {
                fail("stream on port " + r.port() + " silently truncated after " + r.verified() + " bytes: "
                        + r.detail() + "; our side: " + ours);
            }
            assertTrue(ours != null && ours.cause() != null,
                    "stream on port " + r.port() + " broke (" + r.detail() + ") after " + r.verified()
                            + " bytes, but our side reported a clean end: " + ours);
        }
        System.out.println("fault soak on " + backendName() + ": " + results.size() + " streams, " + intact
                + " intact, " + broken + " ended with a typed error; faults injected: recv submit "
                + faults.injected(Call.SUBMIT_RECV) + ", send submit " + faults.injected(Call.SUBMIT_SEND)
                + ", accept submit " + faults.injected(Call.SUBMIT_ACCEPT) + ", recv packet "
                + faults.injected(Call.RECV_PACKET) + ", write-queue chunk " + chunkFailures);
        assertEquals(streamCount, results.size());
        assertTrue(intact > 0, "some streams must survive the faults");
        assertTrue(broken > 0, "the faults must actually have broken some streams (else this checks nothing)");
        assertEquals(List.of(), ProtocolContract.violations());
        if (fdsBefore >= 0) {
            LoopTesting.await("no descriptor leaked", T, TimeUnit.MILLISECONDS, () -> {
                try {
                    return openDescriptors() <= fdsBefore;
                } catch (IOException e) {
                    return false;
                }
            });
        }
    }
}
