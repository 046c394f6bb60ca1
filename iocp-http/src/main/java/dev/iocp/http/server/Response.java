package dev.iocp.http.server;

import dev.iocp.http.Route;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The response to one request, written straight to the connection's transport as it is produced: a head, then
 * body bytes (with a Content-Length, or in chunks when the length is not known up front), then its end. Nothing is
 * buffered here: {@link #writable()} says whether the peer keeps up, and a producer that finds it false stops until
 * its exchange hears {@link Exchange#writable()} again.
 */
public final class Response {
    /** The length to pass to {@link #head} when it is not known: the body goes out chunked (HTTP/1.1 only). */
    public static final long CHUNKED = -1;

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final HttpConnection connection;
    private final RequestHead request;
    private boolean started;
    private boolean ended;
    private long length;
    private long written;

    Response(HttpConnection connection, RequestHead request) {
        this.connection = connection;
        this.request = request;
    }

    /** Writes the status line and headers. {@code length} is the body's length, or {@link #CHUNKED}. */
    public void head(int status, String contentType, long length, String... extraHeaders) {
        byte[] head = encodeHead(status, contentType, length, extraHeaders);
        connection.send(head, 0, head.length);
    }

    /** The status line and headers as bytes, the response now started. */
    private byte[] encodeHead(int status, String contentType, long length, String... extraHeaders) {
        if (started) {
            throw new IllegalStateException("the head is already written");
        }
        if (length == CHUNKED && request.minorVersion() == 0) {
            throw new IllegalStateException("an HTTP/1.0 peer cannot read a chunked body");
        }
        started = true;
        this.length = length;
        StringBuilder h = new StringBuilder(160);
        h.append("HTTP/1.1 ").append(status).append(' ').append(Route.reason(status)).append("\r\n");
        h.append("Date: ").append(HttpDate.now()).append("\r\n");
        if (contentType != null) {
            h.append("Content-Type: ").append(contentType).append("\r\n");
        }
        if (length == CHUNKED) {
            h.append("Transfer-Encoding: chunked\r\n");
        } else {
            h.append("Content-Length: ").append(length).append("\r\n");
        }
        for (int i = 0; i + 1 < extraHeaders.length; i += 2) {
            h.append(extraHeaders[i]).append(": ").append(extraHeaders[i + 1]).append("\r\n");
        }
        if (!request.keepAlive()) {
            h.append("Connection: close\r\n");
        } else if (request.minorVersion() == 0) {
            h.append("Connection: keep-alive\r\n"); // a 1.0 peer asked for it and must hear it was granted
        }
        h.append("\r\n");
        return h.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * A whole response with a small body, in one go: head and body in one write. The transport sends a write at
     * once when no send is in flight, so a head and a body written apart would go as two sends, two TCP segments,
     * the second after the first's completion: measured with wrk at 100 keep-alive connections, 10.4–10.9 µs of
     * kernel time per request that way against 6.1–6.5 in one write (bench/RESULTS.md section 6).
     */
    public void complete(int status, String contentType, byte[] body, String... extraHeaders) {
        byte[] head = encodeHead(status, contentType, body.length, extraHeaders);
        checkBody(body.length);
        byte[] whole = Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, whole, head.length, body.length);
        connection.send(whole, 0, whole.length);
        written += body.length;
        end();
    }

    public void body(byte[] data, int offset, int count) {
        checkBody(count);
        if (count == 0) {
            return; // an empty chunk would read as the last one
        }
        if (length == CHUNKED) {
            byte[] size = (Integer.toHexString(count) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            connection.send(size, 0, size.length);
            connection.send(data, offset, count);
            connection.send(CRLF, 0, 2);
        } else {
            connection.send(data, offset, count);
        }
        written += count;
    }

    /** Body bytes from a buffer (its position is not moved); the bytes are copied before this returns. */
    public void body(ByteBuffer data) {
        int count = data.remaining();
        checkBody(count);
        if (count == 0) {
            return;
        }
        if (length == CHUNKED) {
            byte[] size = (Integer.toHexString(count) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            connection.send(size, 0, size.length);
            connection.send(data);
            connection.send(CRLF, 0, 2);
        } else {
            connection.send(data);
        }
        written += count;
    }

    /** The response is complete: the chunked terminator, if chunked. A body shorter than its length is a bug. */
    public void end() {
        if (!started || ended) {
            throw new IllegalStateException(started ? "the response already ended" : "no head was written");
        }
        if (length == CHUNKED) {
            connection.send(LAST_CHUNK, 0, LAST_CHUNK.length);
        } else if (written != length) {
            throw new IllegalStateException("body of " + written + " bytes, Content-Length " + length);
        }
        ended = true;
    }

    /** False while the peer reads slower than we write (the transport's buffer is above its high-water mark). */
    public boolean writable() {
        return connection.writable();
    }

    public boolean ended() {
        return ended;
    }

    boolean started() {
        return started;
    }

    private void checkBody(int count) {
        if (!started || ended) {
            throw new IllegalStateException(started ? "the response already ended" : "no head was written");
        }
        if (length != CHUNKED && written + count > length) {
            throw new IllegalStateException("body longer than its Content-Length " + length);
        }
    }

    /** The Date field (RFC 9110 §6.6.1), formatted once a second at most. */
    static final class HttpDate {
        private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
        private static volatile Stamp last = new Stamp(Long.MIN_VALUE, "");

        private record Stamp(long second, String text) {}

        private HttpDate() {}

        static String now() {
            long second = System.currentTimeMillis() / 1000;
            Stamp s = last;
            if (s.second != second) {
                s = new Stamp(second, FORMAT.format(Instant.ofEpochSecond(second)));
                last = s; // racing formatters write equal values
            }
            return s.text;
        }
    }
}
