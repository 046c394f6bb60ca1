package dev.iocp.http;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import dev.iocp.http.Route;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What both HTTP servers promise, over real sockets (the platform's backend: io_uring here), seen from a plain
 * socket client that writes exactly the bytes each case needs. Written once; {@code NativeHttpServerTest} and
 * {@code NettyHttpServerTest} run it against each server.
 */
public abstract class HttpServerBehaviourTest {
    /** The server every case uses: a body limit the cases can reach, and a timeout none of them comes near. */
    static final HttpServerConfig CONFIG = HttpServerConfig.DEFAULT.withTimeoutMillis(30_000).withMaxBodyBytes(64 << 20);

    /** A second server for the timeout case: short, so that it ends soon. */
    static final HttpServerConfig SHORT_TIMEOUT = CONFIG.withTimeoutMillis(1000);

    /**
     * The most a server may hold for one connection whose peer does not read: its high-water mark (64 KiB on both)
     * plus what one more receive or one more piece can add, and framing. A server without back-pressure would hold
     * the whole 1 GiB / 64 MiB of these tests.
     */
    static final long QUEUE_BOUND = 256 * 1024;

    protected RunningHttpServer server;

    /** Starts a server of the kind under test on 127.0.0.1, any port, on loops of its own. */
    protected abstract RunningHttpServer start(HttpServerConfig config) throws Exception;

    /** Shuts down the loops of every server {@link #start} started. */
    protected abstract void stopLoops() throws Exception;

    /** Bytes the server has queued for sending, over all its connections (read on their loops). */
    protected abstract long serverQueuedBytes() throws Exception;

    /** Whether some connection of the server waits for its peer to read (above its high-water mark). */
    protected abstract boolean serverWaitsForPeer() throws Exception;

    /** Waits, with iocp's bounded condition wait, for a condition the server must reach (its checks may throw). */
    static void await(String what, java.util.concurrent.Callable<Boolean> condition) {
        dev.iocp.core.testing.LoopTesting.await(what, () -> {
            try {
                return condition.call();
            } catch (Exception e) {
                throw new AssertionError("checking whether " + what + " failed", e);
            }
        });
    }

    @BeforeEach
    void startServer() throws Exception {
        server = start(CONFIG);
    }

    @AfterEach
    void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
        stopLoops();
    }

    protected static InetSocketAddress loopback(int port) {
        try {
            return new InetSocketAddress(java.net.InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), port);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    HttpClientSocket client() throws IOException {
        return new HttpClientSocket(server.localAddress());
    }

    static String get(String path, String... headers) {
        StringBuilder s = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: t\r\n");
        for (String h : headers) {
            s.append(h).append("\r\n");
        }
        return s.append("\r\n").toString();
    }

    static String post(String path, String body, String... headers) {
        StringBuilder s = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: t\r\nContent-Length: " + body.length() + "\r\n");
        for (String h : headers) {
            s.append(h).append("\r\n");
        }
        return s.append("\r\n").append(body).toString();
    }

    // ---- routes ----

    @Test
    void plaintextIsHelloWorld() throws Exception {
        try (HttpClientSocket c = client()) {
            HttpClientSocket.Response r = c.send(get("/plaintext")).read();
            assertEquals(200, r.status());
            assertEquals("text/plain", r.header("Content-Type"));
            assertEquals("Hello, World!", r.text());
            assertNull(r.header("Connection"), "HTTP/1.1 keeps the connection without saying so");
        }
    }

    @Test
    void bytesGivesTheCountedPattern() throws Exception {
        try (HttpClientSocket c = client()) {
            c.send(get("/bytes/0"));
            assertEquals(0, c.read().body().length);
            c.send(get("/bytes/3000000"));
            Map<String, String> head = c.readHead();
            assertEquals("HTTP/1.1 200 OK", head.get(":status"));
            assertEquals("3000000", head.get("content-length"));
            assertEquals(3_000_000, c.readPatternBody(3_000_000));
            assertEquals("Hello, World!", c.send(get("/plaintext")).read().text(), "the connection goes on after it");
        }
    }

    /** The Netty server sends it as a FileRegion, the native one produces it: the same bytes either way. */
    @Test
    void fileGivesTheCountedPatternFromAFile() throws Exception {
        try (HttpClientSocket c = client()) {
            c.send(get("/file/0"));
            assertEquals(0, c.read().body().length);
            for (int n : new int[] {4096, 3_000_001}) {
                c.send(get("/file/" + n));
                Map<String, String> head = c.readHead();
                assertEquals("HTTP/1.1 200 OK", head.get(":status"));
                assertEquals(Integer.toString(n), head.get("content-length"));
                assertEquals(n, c.readPatternBody(n));
            }
            assertEquals(400, c.send(get("/file/x")).read().status());
            assertEquals("Hello, World!", c.send(get("/plaintext")).read().text(), "the connection goes on after it");
        }
    }

    @Test
    void echoReturnsALengthBodyAndAChunkedBodyFramedAsTheyCame() throws Exception {
        try (HttpClientSocket c = client()) {
            HttpClientSocket.Response r = c.send(post("/echo", "some body", "Content-Type: x/y")).read();
            assertEquals(200, r.status());
            assertEquals("some body", r.text());
            assertEquals("x/y", r.header("Content-Type"));
            assertEquals("9", r.header("Content-Length"));
            c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "4\r\nabcd\r\n3;x=y\r\nefg\r\n0\r\nT: 1\r\n\r\n");
            HttpClientSocket.Response chunked = c.read();
            assertEquals("chunked", chunked.header("Transfer-Encoding"));
            assertEquals("abcdefg", chunked.text());
        }
    }

    @Test
    void aBigEchoComesBackWholeWhileTheClientSendsAndReadsAtOnce() throws Exception {
        byte[] body = new byte[1 << 20];
        new java.util.Random(7).nextBytes(body);
        try (HttpClientSocket c = client()) {
            Thread sender = new Thread(() -> {
                try {
                    c.send(("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " + body.length + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    c.send(body);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            sender.start();
            assertArrayEquals(body, c.read().body());
            sender.join(20_000);
        }
    }

    @Test
    void unknownPathsAndMethodsAreRefusedAndTheConnectionStays() throws Exception {
        try (HttpClientSocket c = client()) {
            assertEquals(404, c.send(get("/nothing")).read().status());
            HttpClientSocket.Response r = c.send(post("/plaintext", "x")).read();
            assertEquals(405, r.status());
            assertEquals("GET", r.header("Allow"));
            assertEquals(400, c.send(get("/bytes/1073741825")).read().status());
            assertEquals(400, c.send(get("/bytes/12a")).read().status());
            assertEquals(200, c.send(get("/plaintext")).read().status());
        }
    }

    // ---- back-pressure ----

    @Test
    void aGibibyteToAPeerThatReadsSlowlyAndThenNotAtAllIsNeverBuffered() throws Exception {
        try (HttpClientSocket c = client()) {
            c.send(get("/bytes/" + Route.MAX_BYTES));
            assertEquals("HTTP/1.1 200 OK", c.readHead().get(":status"));
            long most = 0;
            long read = 0;
            for (int i = 0; i < 64; i++) { // 4 MiB in small reads: many pause/resume turns on the server
                read += c.readPatternBody(read, 64 * 1024);
                most = Math.max(most, serverQueuedBytes());
            }
            await("the server waits for the peer", this::serverWaitsForPeer); // we stopped reading
            for (int i = 0; i < 20; i++) {
                most = Math.max(most, serverQueuedBytes());
            }
            assertTrue(most <= QUEUE_BOUND, "the server queued " + most + " bytes for one slow peer");
            assertTrue(most > 0, "the server was seen queuing (else this proves nothing)");
        }
        try (HttpClientSocket c = client()) {
            assertEquals(200, c.send(get("/plaintext")).read().status(), "the server goes on serving");
        }
    }

    @Test
    void anEchoedBodyWaitsInThePeersSocketWhileThePeerDoesNotRead() throws Exception {
        int size = 64 << 20;
        java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
        try (HttpClientSocket c = client()) {
            c.socket.setReceiveBufferSize(64 * 1024);
            Thread sender = new Thread(() -> {
                try {
                    c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " + size + "\r\n\r\n");
                    byte[] block = new byte[64 * 1024];
                    for (long at = 0; at < size; at += block.length) {
                        for (int k = 0; k < block.length; k++) {
                            block[k] = (byte) ((at + k) * 31 >>> 3);
                        }
                        c.send(block);
                        sent.addAndGet(block.length);
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            sender.setDaemon(true);
            sender.start();
            await("the server waits for the peer", this::serverWaitsForPeer);
            long most = serverQueuedBytes();
            assertTrue(sent.get() < size, "the whole body went out although nobody read the echo");
            Map<String, String> head = c.readHead();
            assertEquals(String.valueOf(size), head.get("content-length"));
            byte[] buf = new byte[64 * 1024];
            for (long at = 0; at < size; ) {
                int n = c.read(buf, 0, (int) Math.min(buf.length, size - at));
                assertTrue(n > 0, "EOF at " + at);
                for (int k = 0; k < n; k++, at++) {
                    if (buf[k] != (byte) (at * 31 >>> 3)) {
                        throw new AssertionError("echoed byte " + at + " differs");
                    }
                }
                if ((at & 0xfffff) < n) {
                    most = Math.max(most, serverQueuedBytes());
                }
            }
            sender.join(20_000);
            assertTrue(most <= QUEUE_BOUND, "the server queued " + most + " bytes of an echo nobody read");
        }
    }

    // ---- connections ----

    @Test
    void keepAliveServesRequestsOneAfterAnotherOnOneConnection() throws Exception {
        try (HttpClientSocket c = client()) {
            for (int i = 0; i < 5; i++) {
                assertEquals("Hello, World!", c.send(get("/plaintext")).read().text(), "request " + i);
            }
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (HttpClientSocket c = client()) {
            c.send(get("/bytes/200000") + post("/echo", "first") + get("/plaintext") + get("/nothing")
                    + "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nsecond\r\n0\r\n\r\n"
                    + get("/bytes/10"));
            HttpClientSocket.Response big = c.read();
            assertEquals(200_000, big.body().length);
            for (int i = 0; i < big.body().length; i++) {
                if (big.body()[i] != (byte) i) {
                    throw new AssertionError("byte " + i);
                }
            }
            assertEquals("first", c.read().text());
            assertEquals("Hello, World!", c.read().text());
            assertEquals(404, c.read().status());
            assertEquals("second", c.read().text());
            assertEquals(10, c.read().body().length);
        }
    }

    @Test
    void thousandsOfRequestsPipelinedInOneGoAreAllAnsweredInOrder() throws Exception {
        int n = 5000;
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < n; i++) {
            all.append(i % 2 == 0 ? get("/bytes/" + (i % 7)) : post("/echo", "r" + i));
        }
        try (HttpClientSocket c = client()) {
            Thread sender = new Thread(() -> {
                try {
                    c.send(all.toString()); // ~300 KB: more than one receive, and more than the socket buffers
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            sender.start();
            for (int i = 0; i < n; i++) {
                HttpClientSocket.Response r = c.read();
                assertEquals(200, r.status(), "response " + i);
                if (i % 2 == 0) {
                    assertEquals(i % 7, r.body().length, "response " + i);
                } else {
                    assertEquals("r" + i, r.text(), "response " + i);
                }
            }
            sender.join(20_000);
        }
    }

    @Test
    void connectionCloseEndsAfterThatResponseInFullEvenWithMorePipelinedBehindIt() throws Exception {
        try (HttpClientSocket c = client()) {
            c.send(get("/plaintext") + get("/bytes/500000", "Connection: close") + get("/plaintext") + get("/plaintext"));
            assertEquals("Hello, World!", c.read().text());
            Map<String, String> head = c.readHead();
            assertEquals("close", head.get("connection"));
            assertEquals(500_000, c.readPatternBody(500_000));
            assertTrue(c.endsWithFin(), "a graceful close (FIN after the response), not a reset, and nothing after it");
        }
    }

    @Test
    void http10ClosesUnlessKeepAliveWasAskedFor() throws Exception {
        try (HttpClientSocket c = client()) {
            HttpClientSocket.Response r = c.send("GET /plaintext HTTP/1.0\r\n\r\n").read();
            assertEquals("Hello, World!", r.text());
            assertEquals("close", r.header("Connection"));
            assertTrue(c.endsWithFin());
        }
        try (HttpClientSocket c = client()) {
            HttpClientSocket.Response r = c.send("GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read();
            assertEquals("keep-alive", r.header("Connection"));
            assertEquals(200, c.send("POST /echo HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi").read().status());
        }
    }

    @Test
    void expectContinueGetsA100BeforeTheBodyIsSent() throws Exception {
        try (HttpClientSocket c = client()) {
            c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
            assertEquals(100, c.read().status());
            assertEquals("body", c.send("body").read().text());
        }
    }

    // ---- errors and limits ----

    @Test
    void aMalformedRequestGets400AndAClose() throws Exception {
        assertRefusedAndClosed(400, "GARBAGE\r\n\r\n");
        assertRefusedAndClosed(400, "GET /plaintext HTTP/1.1\r\n\r\n"); // HTTP/1.1 without Host
    }

    @Test
    void aTooLongRequestLineOrHeaderIs431() throws Exception {
        assertRefusedAndClosed(431, get("/" + "a".repeat(CONFIG.maxRequestLineBytes() + 100)));
        assertRefusedAndClosed(431, get("/plaintext", "X-Big: " + "b".repeat(CONFIG.maxHeaderBytes() + 100)));
    }

    @Test
    void aBodyOverTheLimitIs413() throws Exception {
        assertRefusedAndClosed(413, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " + (CONFIG.maxBodyBytes() + 1) + "\r\n\r\n");
    }

    private void assertRefusedAndClosed(int status, String request) throws Exception {
        try (HttpClientSocket c = client()) {
            HttpClientSocket.Response r = c.send(request).read();
            assertEquals(status, r.status(), r.text());
            assertEquals("close", r.header("Connection"));
            assertTrue(c.endsWithFin(), "closed after the answer");
        }
        try (HttpClientSocket c = client()) {
            assertEquals(200, c.send(get("/plaintext")).read().status(), "the server goes on serving");
        }
    }

    @Test
    void aSlowHeadGets408AndAnIdleConnectionIsClosedWithoutAWord() throws Exception {
        try (RunningHttpServer impatient = start(SHORT_TIMEOUT);
             HttpClientSocket slow = new HttpClientSocket(impatient.localAddress());
             HttpClientSocket idle = new HttpClientSocket(impatient.localAddress())) {
            slow.send("GET /plaintext HTTP/1.1\r\nHost:");
            assertEquals(200, idle.send(get("/plaintext")).read().status());
            HttpClientSocket.Response r = slow.read(); // comes when the head's deadline passes
            assertEquals(408, r.status());
            assertTrue(slow.endsWithFin());
            assertEquals(-1, idle.readByte(), "an idle keep-alive connection is closed, with no response");
            try (HttpClientSocket other = new HttpClientSocket(impatient.localAddress())) {
                assertEquals(200, other.send(get("/plaintext")).read().status(), "the server goes on serving");
            }
        }
    }
}
