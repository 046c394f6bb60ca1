package dev.iocp.http.server;

import dev.iocp.http.HttpServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpRequestParserTest {
    /** Small limits, so that each is easy to reach exactly. */
    static final HttpServerConfig LIMITS = new HttpServerConfig(64, 128, 1000, 1000);

    /** A pipelined stream touching every state: an empty line first, no body, Content-Length, chunked, HTTP/1.0. */
    static final String STREAM = "\r\n"
            + "GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n"
            + "POST /echo?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
            + "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
            + "3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer-Field: t\r\n\r\n"
            + "GET http://a/bytes/7 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
            + "GET /x HTTP/1.0\r\n\r\n";

    static final List<String> STREAM_EVENTS = List.of(
            "HEAD GET /plaintext path=/plaintext 1.1 length=0 keepAlive=true continue=false", "END",
            "HEAD POST /echo?x=1 path=/echo 1.1 length=5 keepAlive=false continue=false", "BODY hello", "END",
            "HEAD POST /echo path=/echo 1.1 length=chunked keepAlive=true continue=true", "BODY abc0123456789abcdef", "END",
            "HEAD GET http://a/bytes/7 path=/bytes/7 1.0 length=0 keepAlive=true continue=false", "END",
            "HEAD GET /x path=/x 1.0 length=0 keepAlive=false continue=false", "END");

    @Test
    void aWholeStreamParsesIntoItsRequestsInOrder() {
        assertEquals(STREAM_EVENTS, parse(LIMITS, bytes(STREAM)));
    }

    @Test
    void splittingTheStreamAtEveryByteBoundaryChangesNothing() {
        byte[] all = bytes(STREAM);
        for (int i = 0; i <= all.length; i++) {
            byte[] a = java.util.Arrays.copyOfRange(all, 0, i);
            byte[] b = java.util.Arrays.copyOfRange(all, i, all.length);
            assertEquals(STREAM_EVENTS, parse(LIMITS, a, b), "split at " + i);
        }
    }

    @Test
    void feedingTheStreamOneByteAtATimeChangesNothing() {
        byte[] all = bytes(STREAM);
        byte[][] chunks = new byte[all.length][];
        for (int i = 0; i < all.length; i++) {
            chunks[i] = new byte[] {all[i]};
        }
        assertEquals(STREAM_EVENTS, parse(LIMITS, chunks));
    }

    @Test
    void aBodyIsHandedOutAsSlicesOfTheInputAndBytesBeyondTheRequestStayInIt() {
        HttpRequestParser p = new HttpRequestParser(LIMITS);
        ByteBuffer in = ByteBuffer.wrap(bytes("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET"));
        assertEquals(HttpRequestParser.Event.HEAD, p.next(in));
        assertEquals(HttpRequestParser.Event.BODY, p.next(in));
        assertEquals("abc", StandardCharsets.US_ASCII.decode(p.body()).toString());
        assertEquals(HttpRequestParser.Event.END, p.next(in));
        assertTrue(p.idle());
        assertEquals(3, in.remaining(), "the next request's bytes are not consumed until asked for");
        assertEquals(HttpRequestParser.Event.NEED_MORE, p.next(in));
        assertTrue(p.inHead(), "part of a request line is a head begun");
        assertFalse(p.idle());
    }

    // ---- limits ----

    @Test
    void aRequestLineOfExactlyTheLimitPassesAndOneByteMoreIs431() {
        String start = "GET /";
        String version = " HTTP/1.1";
        String atLimit = start + "a".repeat(LIMITS.maxRequestLineBytes() - start.length() - version.length()) + version;
        assertEquals(LIMITS.maxRequestLineBytes(), atLimit.length());
        assertEquals("HEAD", parse(LIMITS, bytes(atLimit + "\r\nHost: a\r\n\r\n")).get(0).substring(0, 4));
        String over = start + "a".repeat(atLimit.length() - start.length() - version.length() + 1) + version;
        assertEquals(List.of("ERROR 431"), parseEachByte(over + "\r\nHost: a\r\n\r\n"));
        assertEquals(List.of("ERROR 431"), parse(LIMITS, bytes(over + "\r\n")));
    }

    @Test
    void headerFieldsOfExactlyTheLimitPassAndOneByteMoreIs431() {
        // Header budget: every field line with its CRLF; the empty line that ends the head is not counted.
        String host = "Host: a\r\n";
        String fill = "X: " + "v".repeat(LIMITS.maxHeaderBytes() - host.length() - "X: \r\n".length()) + "\r\n";
        assertEquals(LIMITS.maxHeaderBytes(), host.length() + fill.length());
        assertEquals("END", parse(LIMITS, bytes("GET / HTTP/1.1\r\n" + host + fill + "\r\n")).get(1));
        String more = "X: " + "v".repeat(fill.length() - "X: \r\n".length() + 1) + "\r\n";
        assertEquals(List.of("ERROR 431"), parseEachByte("GET / HTTP/1.1\r\n" + host + more + "\r\n"));
        // many small fields add up the same way
        assertEquals(List.of("ERROR 431"), parse(LIMITS, bytes("GET / HTTP/1.1\r\n" + host + "A: b\r\n".repeat(40) + "\r\n")));
    }

    @Test
    void trailersCountAgainstTheHeaderLimit() {
        String head = "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
        List<String> events = parse(LIMITS, bytes(head + "1\r\nx\r\n0\r\n" + "T: v\r\n".repeat(30) + "\r\n"));
        assertEquals("ERROR 431", events.get(events.size() - 1));
    }

    @Test
    void aContentLengthOverTheBodyLimitIs413AtTheHeadAndOneAtTheLimitPasses() {
        assertEquals(List.of("ERROR 413"),
                parse(LIMITS, bytes("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n")));
        List<String> ok = parse(LIMITS, bytes("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n" + "b".repeat(1000)));
        assertEquals(List.of("HEAD POST /echo path=/echo 1.1 length=1000 keepAlive=true continue=false",
                "BODY " + "b".repeat(1000), "END"), ok);
    }

    @Test
    void aChunkedBodyGrowingPastTheLimitIs413BeforeTheChunkThatCrossesIt() {
        String head = "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
        String chunk500 = "1f4\r\n" + "c".repeat(500) + "\r\n";
        List<String> ok = parse(LIMITS, bytes(head + chunk500 + chunk500 + "0\r\n\r\n"));
        assertEquals("END", ok.get(ok.size() - 1));
        List<String> over = parse(LIMITS, bytes(head + chunk500 + chunk500 + "1\r\nc\r\n0\r\n\r\n"));
        assertEquals(List.of(STREAM_HEAD_CHUNKED, "BODY " + "c".repeat(1000), "ERROR 413"), over);
        assertEquals(List.of(STREAM_HEAD_CHUNKED, "ERROR 413"),
                parse(LIMITS, bytes(head + "fffffffffffffffff\r\n")), "a size too long to hold is past any limit");
    }

    static final String STREAM_HEAD_CHUNKED = "HEAD POST /echo path=/echo 1.1 length=chunked keepAlive=true continue=false";

    // ---- malformed ----

    static Stream<Arguments> brokenRequests() {
        return Stream.of(
                Arguments.of("bare LF ends a line", 400, "GET / HTTP/1.1\nHost: a\r\n\r\n"),
                Arguments.of("bare LF in a field", 400, "GET / HTTP/1.1\r\nHost: a\n\r\n"),
                Arguments.of("two spaces in the request line", 400, "GET  / HTTP/1.1\r\nHost: a\r\n\r\n"),
                Arguments.of("no version", 400, "GET /\r\nHost: a\r\n\r\n"),
                Arguments.of("not HTTP", 400, "GET / FTP/1.1\r\nHost: a\r\n\r\n"),
                Arguments.of("HTTP/2.0", 505, "GET / HTTP/2.0\r\nHost: a\r\n\r\n"),
                Arguments.of("method not a token", 400, "G(T / HTTP/1.1\r\nHost: a\r\n\r\n"),
                Arguments.of("target neither path nor URI", 400, "GET abc HTTP/1.1\r\nHost: a\r\n\r\n"),
                Arguments.of("control byte in the target", 400, "GET /\u0001 HTTP/1.1\r\nHost: a\r\n\r\n"),
                Arguments.of("space before the colon", 400, "GET / HTTP/1.1\r\nHost : a\r\n\r\n"),
                Arguments.of("no colon", 400, "GET / HTTP/1.1\r\nHost a\r\n\r\n"),
                Arguments.of("obsolete folding", 400, "GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n"),
                Arguments.of("control byte in a value", 400, "GET / HTTP/1.1\r\nHost: a\u0000b\r\n\r\n"),
                Arguments.of("HTTP/1.1 without Host", 400, "GET / HTTP/1.1\r\n\r\n"),
                Arguments.of("two Hosts", 400, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
                Arguments.of("Content-Length not a number", 400, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n"),
                Arguments.of("negative Content-Length", 400, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"),
                Arguments.of("Content-Lengths disagree", 400, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
                Arguments.of("chunked and Content-Length", 400, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"),
                Arguments.of("chunked on HTTP/1.0", 400, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
                Arguments.of("coding not ending in chunked", 400, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"),
                Arguments.of("coding not implemented", 501, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
                Arguments.of("unknown expectation", 417, "POST / HTTP/1.1\r\nHost: a\r\nExpect: tea\r\nContent-Length: 1\r\n\r\n"),
                Arguments.of("chunk size not hex", 400, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
                Arguments.of("junk after the chunk size", 400, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1 x\r\n"),
                Arguments.of("chunk longer than its size", 400, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("brokenRequests")
    void aBrokenRequestFailsWithItsStatusHoweverItIsSplit(String what, int status, String request) {
        List<String> whole = parse(LIMITS, bytes(request));
        assertEquals("ERROR " + status, whole.get(whole.size() - 1), what + ": " + whole);
        assertEquals(whole, parseEachByte(request), what + ", one byte at a time");
    }

    @Test
    void aFailedParserStaysFailed() {
        HttpRequestParser p = new HttpRequestParser(LIMITS);
        HttpParseException e = assertThrows(HttpParseException.class,
                () -> p.next(ByteBuffer.wrap(bytes("GET / HTTP/9.9\r\n"))));
        assertEquals(505, e.status());
        assertThrows(IllegalStateException.class, () -> p.next(ByteBuffer.wrap(bytes("GET / HTTP/1.1\r\n"))));
    }

    @Test
    void anHttp11RequestIsPersistentUnlessClosedAndAnHttp10OneOnlyWhenAskedFor() {
        assertTrue(head("GET / HTTP/1.1\r\nHost: a\r\n\r\n").keepAlive());
        assertFalse(head("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n").keepAlive());
        assertFalse(head("GET / HTTP/1.0\r\n\r\n").keepAlive());
        assertTrue(head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keepAlive());
        assertEquals(1, head("GET / HTTP/1.2\r\nHost: a\r\n\r\n").minorVersion(), "a later 1.x is answered as 1.1");
        assertFalse(head("GET / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n").expectContinue(),
                "a 1.0 peer's Expect is ignored");
        assertFalse(head("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n").expectContinue(),
                "no body, nothing to wait for");
    }

    // ---- helpers ----

    static RequestHead head(String request) {
        HttpRequestParser p = new HttpRequestParser(LIMITS);
        assertEquals(HttpRequestParser.Event.HEAD, p.next(ByteBuffer.wrap(bytes(request))));
        return p.head();
    }

    static List<String> parseEachByte(String stream) {
        byte[] all = bytes(stream);
        byte[][] chunks = new byte[all.length][];
        for (int i = 0; i < all.length; i++) {
            chunks[i] = new byte[] {all[i]};
        }
        return parse(LIMITS, chunks);
    }

    /**
     * The events of a stream fed in the given chunks, as text; consecutive body pieces are joined (where a body is
     * cut depends on the chunks, what it holds must not); a failure ends the list with {@code ERROR status}.
     */
    static List<String> parse(HttpServerConfig limits, byte[]... chunks) {
        HttpRequestParser p = new HttpRequestParser(limits);
        List<String> events = new ArrayList<>();
        StringBuilder body = null;
        try {
            for (byte[] chunk : chunks) {
                // a direct buffer, as the transport delivers, at a non-zero position
                ByteBuffer in = ByteBuffer.allocateDirect(chunk.length + 3);
                in.put(new byte[3]).put(chunk).flip().position(3);
                for (HttpRequestParser.Event e = p.next(in); e != HttpRequestParser.Event.NEED_MORE; e = p.next(in)) {
                    switch (e) {
                        case HEAD -> {
                            RequestHead h = p.head();
                            events.add("HEAD " + h.method() + " " + h.target() + " path=" + h.path() + " 1." + h.minorVersion()
                                    + " length=" + (h.chunked() ? "chunked" : h.bodyLength()) + " keepAlive=" + h.keepAlive()
                                    + " continue=" + h.expectContinue());
                        }
                        case BODY -> {
                            if (body == null) {
                                body = new StringBuilder();
                            }
                            body.append(StandardCharsets.ISO_8859_1.decode(p.body()));
                        }
                        case END -> {
                            if (body != null) {
                                events.add("BODY " + body);
                                body = null;
                            }
                            events.add("END");
                        }
                        default -> throw new AssertionError(e);
                    }
                }
                assertFalse(in.hasRemaining(), "NEED_MORE leaves nothing unread");
            }
        } catch (HttpParseException e) {
            if (body != null) {
                events.add("BODY " + body);
            }
            events.add("ERROR " + e.status());
        }
        return events;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
