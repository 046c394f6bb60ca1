package dev.iocp.http.server;

import dev.iocp.http.HttpServerConfig;
import dev.iocp.http.Route;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The requests of one connection, parsed incrementally from whatever chunks the network delivers: a pull parser.
 * The connection calls {@link #next} when it is ready for the next event — a request's {@link Event#HEAD}, a piece
 * of its {@link Event#BODY}, its {@link Event#END} — and simply stops calling while it cannot take one (its peer
 * reads our responses too slowly, or a response is still being produced). That is all back-pressure and pipelining
 * need from a parser: bytes it was not asked to parse stay in the caller's buffer, and requests come out one at a
 * time, in order.
 *
 * <p>One explicit state machine ({@link State}). Each line-shaped state collects one line, however it is split
 * across chunks, up to its limit; the body states hand out slices of the caller's buffer without copying.
 *
 * <pre>
 *  state          on                                   next
 *  REQUEST_LINE   an empty line                        REQUEST_LINE (tolerated before a request, RFC 9112 §2.2)
 *                 the request line                     HEADER_LINE
 *  HEADER_LINE    a field                              HEADER_LINE
 *                 the empty line: emits HEAD           BODY (Content-Length), CHUNK_SIZE (chunked), MESSAGE_END (none)
 *  BODY           bytes: emits BODY                    BODY; MESSAGE_END once the length is read
 *  CHUNK_SIZE     size n &gt; 0                           CHUNK_DATA
 *                 size 0                               TRAILER_LINE
 *  CHUNK_DATA     bytes: emits BODY                    CHUNK_DATA; CHUNK_CRLF once n bytes are read
 *  CHUNK_CRLF     the CRLF after the data              CHUNK_SIZE
 *  TRAILER_LINE   a field (checked, then dropped)      TRAILER_LINE
 *                 the empty line                       MESSAGE_END
 *  MESSAGE_END    (no input): emits END                REQUEST_LINE
 *  any            a violation: throws                  FAILED, for good (the caller answers its status, closes)
 * </pre>
 *
 * <p>What it accepts, strictly (a lenient parser is how request smuggling starts): lines end in CRLF; the request
 * line is {@code method SP target SP HTTP/1.x} with single spaces; field names are tokens with no space before the
 * colon; no obsolete line folding; Content-Length is digits (repeats must agree); a Transfer-Encoding must end in
 * {@code chunked}, and only {@code chunked} alone is implemented (others: 501); Transfer-Encoding with
 * Content-Length, or on HTTP/1.0, is refused; HTTP/1.1 needs exactly one Host. Not thread-safe: one connection's.
 */
public final class HttpRequestParser {

    /** What {@link #next} found. */
    public enum Event {
        /** The input is used up before the next event: call again with more bytes. */
        NEED_MORE,
        /** A request's head is complete: {@link #head()}. */
        HEAD,
        /** A piece of the body: {@link #body()}, a slice of the input valid until the next call. */
        BODY,
        /** The request (head and body) is complete; the next call starts on the next request. */
        END
    }

    enum State { REQUEST_LINE, HEADER_LINE, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_CRLF, TRAILER_LINE, MESSAGE_END, FAILED }

    /** A chunk-size line (hex size and extensions) longer than this is refused: none needs more. */
    static final int MAX_CHUNK_LINE = 1024;
    private static final int MAX_HEX_DIGITS = 15; // 2^60 - 1: past any body limit, and cannot overflow a long

    private final HttpServerConfig limits;
    private State state = State.REQUEST_LINE;

    /** The line being collected (CR included, LF not); reused from line to line. */
    private byte[] line = new byte[256];
    private int lineLength;
    /** The line in {@code line} was complete and has been used: the next byte starts a new one. */
    private boolean lineUsed;

    // The request being parsed.
    private String method;
    private String target;
    private int minorVersion;
    private List<RequestHead.Header> headers = new ArrayList<>();
    private int headerBytesLeft;
    private long bodyLeft;
    private long chunkedBodyBytes;
    private RequestHead head;
    private ByteBuffer body;

    public HttpRequestParser(HttpServerConfig limits) {
        this.limits = limits;
    }

    /**
     * Parses from {@code in} (moving its position past what it used) up to the next event.
     *
     * @throws HttpParseException if the bytes break the protocol or a limit; the parser is then {@code FAILED}
     */
    public Event next(ByteBuffer in) {
        try {
            return step(in);
        } catch (HttpParseException e) {
            state = State.FAILED;
            throw e;
        }
    }

    /** The head of the request being parsed (after {@link Event#HEAD}). */
    public RequestHead head() {
        return head;
    }

    /** The body piece of the last {@link Event#BODY}: a slice of the input, valid until the next call. */
    public ByteBuffer body() {
        return body;
    }

    /** True between requests with nothing of the next one received yet (a keep-alive connection at rest). */
    public boolean idle() {
        return state == State.REQUEST_LINE && (lineUsed || lineLength == 0);
    }

    /** True while a request head is incomplete but begun (what a slow sender of headers leaves). */
    public boolean inHead() {
        return (state == State.REQUEST_LINE && !lineUsed && lineLength > 0) || state == State.HEADER_LINE;
    }

    private Event step(ByteBuffer in) {
        for (;;) {
            switch (state) {
                case REQUEST_LINE -> {
                    if (!collectLine(in, limits.maxRequestLineBytes(), 431, "request line")) {
                        return Event.NEED_MORE;
                    }
                    if (lineLength == 0) {
                        continue; // an empty line before a request is tolerated (RFC 9112 §2.2)
                    }
                    parseRequestLine();
                    headerBytesLeft = limits.maxHeaderBytes();
                    state = State.HEADER_LINE;
                }
                case HEADER_LINE -> {
                    if (!collectLine(in, headerLineLimit(), 431, "header fields")) {
                        return Event.NEED_MORE;
                    }
                    if (lineLength > 0) {
                        headers.add(parseField());
                        continue;
                    }
                    head = completeHead();
                    if (head.chunked()) {
                        chunkedBodyBytes = 0;
                        state = State.CHUNK_SIZE;
                    } else if (head.bodyLength() > 0) {
                        bodyLeft = head.bodyLength();
                        state = State.BODY;
                    } else {
                        state = State.MESSAGE_END;
                    }
                    return Event.HEAD;
                }
                case BODY, CHUNK_DATA -> {
                    if (!in.hasRemaining()) {
                        return Event.NEED_MORE;
                    }
                    int n = (int) Math.min(bodyLeft, in.remaining());
                    body = in.slice(in.position(), n);
                    in.position(in.position() + n);
                    bodyLeft -= n;
                    if (bodyLeft == 0) {
                        state = state == State.BODY ? State.MESSAGE_END : State.CHUNK_CRLF;
                    }
                    return Event.BODY;
                }
                case CHUNK_SIZE -> {
                    if (!collectLine(in, MAX_CHUNK_LINE, 400, "chunk size line")) {
                        return Event.NEED_MORE;
                    }
                    long size = parseChunkSize();
                    if (size == 0) {
                        state = State.TRAILER_LINE;
                        continue;
                    }
                    chunkedBodyBytes += size;
                    if (chunkedBodyBytes > limits.maxBodyBytes()) {
                        throw new HttpParseException(413, "chunked body larger than " + limits.maxBodyBytes() + " bytes");
                    }
                    bodyLeft = size;
                    state = State.CHUNK_DATA;
                }
                case CHUNK_CRLF -> {
                    if (!collectLine(in, 0, 400, "chunk data (longer than its size)")) {
                        return Event.NEED_MORE;
                    }
                    state = State.CHUNK_SIZE;
                }
                case TRAILER_LINE -> {
                    if (!collectLine(in, headerLineLimit(), 431, "trailer fields")) {
                        return Event.NEED_MORE;
                    }
                    if (lineLength == 0) {
                        state = State.MESSAGE_END;
                    } else {
                        parseField(); // validated like a header, then dropped: no route reads trailers
                    }
                }
                case MESSAGE_END -> {
                    startNextRequest();
                    return Event.END;
                }
                case FAILED -> throw new IllegalStateException("the parser failed on an earlier request");
            }
        }
    }

    private void startNextRequest() {
        state = State.REQUEST_LINE;
        method = null;
        target = null;
        headers = new ArrayList<>(); // the last head keeps its own list
        head = null;
        body = null;
    }

    // ---- lines ----

    /** The most a header or trailer line may hold: what is left of the header budget after its CRLF. */
    private int headerLineLimit() {
        return Math.max(0, headerBytesLeft - 2);
    }

    /**
     * Collects bytes of the current line up to its LF. Returns true with the line (CRLF stripped) in
     * {@code line[0, lineLength)}, or false if {@code in} ran out first (what was read is kept for the next call).
     * A line longer than {@code limit} bytes fails with {@code status}; an LF not preceded by CR fails with 400.
     */
    private boolean collectLine(ByteBuffer in, int limit, int status, String what) {
        if (lineUsed) {
            lineLength = 0;
            lineUsed = false;
        }
        while (in.hasRemaining()) {
            byte b = in.get();
            if (b == '\n') {
                if (lineLength == 0 || line[lineLength - 1] != '\r') {
                    throw new HttpParseException(400, "line not ended by CRLF in " + what);
                }
                lineLength--; // the CR
                lineUsed = true;
                if (state == State.HEADER_LINE || state == State.TRAILER_LINE) {
                    headerBytesLeft -= lineLength == 0 ? 0 : lineLength + 2;
                }
                return true;
            }
            if (lineLength == limit + 1) { // limit bytes and a CR are stored, and the line goes on
                throw new HttpParseException(status, what + " longer than " + limit + " bytes");
            }
            if (lineLength == line.length) {
                line = java.util.Arrays.copyOf(line, Math.min(line.length * 2, limit + 2));
            }
            line[lineLength++] = b;
        }
        return false;
    }

    private String lineText(int from, int to) {
        return new String(line, from, to - from, StandardCharsets.ISO_8859_1);
    }

    // ---- the request line: method SP request-target SP HTTP-version ----

    private void parseRequestLine() {
        int sp1 = indexOf((byte) ' ', 0);
        int sp2 = sp1 < 0 ? -1 : indexOf((byte) ' ', sp1 + 1);
        if (sp1 <= 0 || sp2 < 0 || indexOf((byte) ' ', sp2 + 1) >= 0) {
            throw new HttpParseException(400, "request line is not 'method target version': " + printable(0, lineLength));
        }
        for (int i = 0; i < sp1; i++) {
            if (!isTokenChar(line[i])) {
                throw new HttpParseException(400, "method is not a token: " + printable(0, sp1));
            }
        }
        if (sp2 == sp1 + 1) {
            throw new HttpParseException(400, "empty request target");
        }
        for (int i = sp1 + 1; i < sp2; i++) {
            if (line[i] <= 0x20 || line[i] == 0x7f) { // visible US-ASCII only; bytes >= 0x80 are negative
                throw new HttpParseException(400, "request target holds a control, space or non-ASCII byte");
            }
        }
        method = lineText(0, sp1);
        target = lineText(sp1 + 1, sp2);
        minorVersion = parseVersion(sp2 + 1);
    }

    private int parseVersion(int from) {
        if (lineLength - from != 8 || !lineText(from, from + 5).equals("HTTP/") || line[from + 6] != '.'
                || !isDigit(line[from + 5]) || !isDigit(line[from + 7])) {
            throw new HttpParseException(400, "not an HTTP version: " + printable(from, lineLength));
        }
        int major = line[from + 5] - '0';
        int minor = line[from + 7] - '0';
        if (major != 1) {
            throw new HttpParseException(505, "HTTP/" + major + "." + minor + " is not served here (HTTP/1.0 and 1.1 are)");
        }
        return minor == 0 ? 0 : 1; // HTTP/1.x with x > 1 is answered as 1.1 (RFC 9110 §6.2)
    }

    // ---- header fields: name ":" OWS value OWS ----

    private RequestHead.Header parseField() {
        if (line[0] == ' ' || line[0] == '\t') {
            throw new HttpParseException(400, "obsolete line folding in a header field");
        }
        int colon = indexOf((byte) ':', 0);
        if (colon <= 0) {
            throw new HttpParseException(400, "header field without a name and colon: " + printable(0, lineLength));
        }
        for (int i = 0; i < colon; i++) {
            if (!isTokenChar(line[i])) { // also refuses a space before the colon (RFC 9112 §5.1)
                throw new HttpParseException(400, "header field name is not a token: " + printable(0, colon));
            }
        }
        int from = colon + 1;
        int to = lineLength;
        while (from < to && (line[from] == ' ' || line[from] == '\t')) {
            from++;
        }
        while (to > from && (line[to - 1] == ' ' || line[to - 1] == '\t')) {
            to--;
        }
        for (int i = from; i < to; i++) {
            byte b = line[i];
            if ((b >= 0 && b < 0x20 && b != '\t') || b == 0x7f) { // CTLs but HTAB; obs-text (>= 0x80) passes
                throw new HttpParseException(400, "control byte in the value of " + lineText(0, colon));
            }
        }
        return new RequestHead.Header(lineText(0, colon), lineText(from, to));
    }

    /** The head's fields decide the framing and the connection: validated here, once. */
    private RequestHead completeHead() {
        long contentLength = -1;
        List<String> codings = new ArrayList<>();
        int hosts = 0;
        boolean close = false;
        boolean keepAlive = false;
        boolean expectContinue = false;
        for (RequestHead.Header h : headers) {
            String name = h.name();
            if (name.equalsIgnoreCase("Content-Length")) {
                long n = parseContentLength(h.value());
                if (contentLength >= 0 && contentLength != n) {
                    throw new HttpParseException(400, "Content-Length fields disagree");
                }
                contentLength = n;
            } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
                for (String c : h.value().split(",")) {
                    codings.add(c.trim().toLowerCase(Locale.ROOT));
                }
            } else if (name.equalsIgnoreCase("Host")) {
                hosts++;
            } else if (name.equalsIgnoreCase("Connection")) {
                for (String option : h.value().split(",")) {
                    String o = option.trim();
                    close |= o.equalsIgnoreCase("close");
                    keepAlive |= o.equalsIgnoreCase("keep-alive");
                }
            } else if (name.equalsIgnoreCase("Expect") && minorVersion == 1) { // 1.0 peers' Expect is ignored (RFC 9110 §10.1.1)
                if (!h.value().equalsIgnoreCase("100-continue")) {
                    throw new HttpParseException(417, "unsupported expectation: " + h.value());
                }
                expectContinue = true;
            }
        }
        if (minorVersion == 1 ? hosts != 1 : hosts > 1) {
            throw new HttpParseException(400, hosts == 0 ? "HTTP/1.1 request without Host" : "more than one Host field");
        }
        long bodyLength;
        if (!codings.isEmpty()) {
            if (minorVersion == 0) {
                throw new HttpParseException(400, "Transfer-Encoding on an HTTP/1.0 request");
            }
            if (contentLength >= 0) {
                throw new HttpParseException(400, "both Transfer-Encoding and Content-Length");
            }
            if (!codings.get(codings.size() - 1).equals("chunked")) {
                throw new HttpParseException(400, "Transfer-Encoding does not end in chunked: the body has no length");
            }
            if (codings.size() > 1) {
                throw new HttpParseException(501, "transfer coding not implemented: " + codings);
            }
            bodyLength = RequestHead.CHUNKED;
        } else {
            bodyLength = Math.max(0, contentLength);
            if (bodyLength > limits.maxBodyBytes()) {
                throw new HttpParseException(413, "Content-Length " + bodyLength + " is more than " + limits.maxBodyBytes());
            }
        }
        boolean persistent = minorVersion == 1 ? !close : keepAlive && !close;
        return new RequestHead(method, target, pathOf(target), minorVersion, headers, bodyLength, persistent,
                expectContinue && bodyLength != 0);
    }

    private static long parseContentLength(String value) {
        if (value.isEmpty() || value.length() > 18) { // 18 digits cannot overflow a long
            throw new HttpParseException(400, "Content-Length is not a number of at most 18 digits: " + value);
        }
        long n = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                throw new HttpParseException(400, "Content-Length is not a number: " + value);
            }
            n = n * 10 + (c - '0');
        }
        return n;
    }

    private static String pathOf(String target) {
        String path = Route.pathOf(target);
        if (path == null) {
            throw new HttpParseException(400, "request target is neither a path nor an absolute URI: " + target);
        }
        return path;
    }

    // ---- chunk-size line: hex [ BWS ";" extension ] ----

    private long parseChunkSize() {
        int digits = 0;
        long size = 0;
        while (digits < lineLength && hexValue(line[digits]) >= 0) {
            if (digits == MAX_HEX_DIGITS) {
                throw new HttpParseException(413, "chunk size of more than " + MAX_HEX_DIGITS + " hex digits");
            }
            size = size * 16 + hexValue(line[digits]);
            digits++;
        }
        if (digits == 0) {
            throw new HttpParseException(400, "chunk size is not hexadecimal: " + printable(0, lineLength));
        }
        int i = digits;
        while (i < lineLength && (line[i] == ' ' || line[i] == '\t')) {
            i++;
        }
        if (i < lineLength && line[i] != ';') {
            throw new HttpParseException(400, "junk after the chunk size: " + printable(0, lineLength));
        }
        for (; i < lineLength; i++) { // extensions are ignored, but must not hide control bytes
            if ((line[i] >= 0 && line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f) {
                throw new HttpParseException(400, "control byte in a chunk extension");
            }
        }
        return size;
    }

    // ---- bytes ----

    private int indexOf(byte b, int from) {
        for (int i = from; i < lineLength; i++) {
            if (line[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private String printable(int from, int to) {
        StringBuilder s = new StringBuilder();
        for (int i = from; i < to && s.length() < 80; i++) {
            int b = line[i] & 0xff;
            s.append(b >= 0x20 && b < 0x7f ? (char) b : '?');
        }
        return s.toString();
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    private static int hexValue(byte b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        if (b >= 'a' && b <= 'f') {
            return b - 'a' + 10;
        }
        if (b >= 'A' && b <= 'F') {
            return b - 'A' + 10;
        }
        return -1;
    }

    /** tchar (RFC 9110 §5.6.2). */
    private static boolean isTokenChar(byte b) {
        if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || isDigit(b)) {
            return true;
        }
        return b > 0 && "!#$%&'*+-.^_`|~".indexOf(b) >= 0;
    }
}
