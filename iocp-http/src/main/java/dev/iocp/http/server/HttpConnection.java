package dev.iocp.http.server;

import dev.iocp.http.HttpServerConfig;
import dev.iocp.http.Route;
import dev.iocp.transport.Protocol;
import dev.iocp.transport.Transport;
import io.netty.util.concurrent.ScheduledFuture;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * HTTP/1.1 over one connection: a {@link Protocol} on iocp's {@link Transport}, built the way asyncio servers are
 * built on asyncio's protocols. Every callback runs on the connection's loop thread, so there is no locking here.
 *
 * <h2>One rule: parse only what can be answered now</h2>
 * The connection pulls events from its {@link HttpRequestParser} only while it {@link #canProceed can proceed}:
 * <ul>
 *   <li>the peer keeps up with our writes (no {@link #pauseWriting} outstanding), and</li>
 *   <li>no response is still being produced for a request that has already been read (a large {@code /bytes/N}).</li>
 * </ul>
 * When it cannot, the unparsed rest of the chunk in hand is kept ({@link #held}: at most one receive's worth) and
 * reading is paused, so the rest of the peer's requests wait in its own socket buffer. Everything follows from that:
 * <ul>
 *   <li><b>pipelining</b> — requests are taken one at a time, so responses go out in request order;</li>
 *   <li><b>back-pressure</b> — a peer that does not read what we send stops being read (the transport's water
 *       marks raise {@link #pauseWriting}); an echoed body waits in the peer's socket, and {@code /bytes/N} holds at
 *       most the high-water mark plus one piece, for any N;</li>
 *   <li><b>{@code Connection: close}</b> — after that response the connection stops parsing and closes gracefully:
 *       the transport flushes the response, sends FIN, and drains (discards) what the peer pipelined behind it
 *       rather than reset it, so the peer gets the whole response (the transport's lingering close).</li>
 * </ul>
 *
 * <h2>Errors</h2>
 * A request that breaks the protocol or a limit ({@link HttpParseException}) is answered with its status and
 * {@code Connection: close} if its response has not started; one that breaks inside a body whose response is under
 * way (a chunked body past the limit, a bad chunk) cannot be answered any more, and the connection just closes,
 * cutting that response short. Either way nothing after it is read.
 *
 * <h2>Time</h2>
 * One deadline, {@link HttpServerConfig#timeoutMillis()}: see there. Kept lazily: progress moves the deadline, and
 * the single timer re-arms itself for the rest when it fires early.
 */
public final class HttpConnection implements Protocol {
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final ByteBuffer NOTHING = ByteBuffer.allocate(0);

    private final HttpServerConfig config;
    private final HttpRequestParser parser;
    private Transport transport;

    /** The exchange of the request being read or answered; null between requests. */
    private Exchange exchange;
    private Response response;
    private boolean requestEnded;

    /** pauseWriting came and resumeWriting has not yet. */
    private boolean writePaused;
    /** We paused the transport's reading (and have not resumed it). */
    private boolean readingPaused;
    /** Received bytes not parsed yet: the rest of a chunk that came while we could not proceed. */
    private ByteBuffer held = NOTHING;
    /** Closing or closed: nothing more is parsed or written. */
    private boolean closing;

    /** Waiting for a request head (the deadline is fixed), or inside an exchange (progress moves it). */
    private boolean awaitingHead;
    private long deadlineNanos;
    private ScheduledFuture<?> timer;

    public HttpConnection(HttpServerConfig config) {
        this.config = config;
        this.parser = new HttpRequestParser(config);
    }

    // ---- Protocol ----

    @Override
    public void connectionMade(Transport t) {
        transport = t;
        awaitHead();
    }

    @Override
    public void dataReceived(ByteBuffer data) {
        if (held.hasRemaining()) {
            // Reading is paused whenever bytes are held (updateReading), and the transport delivers nothing while paused.
            throw new IllegalStateException("data delivered while earlier bytes were still held");
        }
        progress();
        proceed(data);
        if (data.hasRemaining() && !closing) {
            held = ByteBuffer.allocate(data.remaining()).put(data).flip();
        }
        updateReading();
    }

    @Override
    public boolean eofReceived() {
        // Reading stops whenever a request cannot be answered at once, so the peer's FIN (which comes in order,
        // after its data) arrives only once everything it sent before has been answered or is being received.
        // A request cut short by it cannot be answered: either way, flush what is queued and close.
        closing = true;
        return false;
    }

    @Override
    public void pauseWriting() {
        writePaused = true;
        updateReading();
    }

    @Override
    public void resumeWriting() {
        writePaused = false;
        if (closing) {
            return;
        }
        progress();
        if (exchange != null) {
            exchange.writable();
            finishIfDone();
        }
        if (held.hasRemaining()) {
            proceed(held);
            if (!held.hasRemaining()) {
                held = NOTHING;
            }
        }
        updateReading();
    }

    @Override
    public void connectionLost(Throwable cause) {
        closing = true;
        if (timer != null) {
            timer.cancel(false);
        }
    }

    // ---- the rule ----

    private boolean canProceed() {
        return !closing && !writePaused && !(requestEnded && exchange != null);
    }

    /** Pulls parser events from {@code in} while the connection can proceed. */
    private void proceed(ByteBuffer in) {
        while (canProceed()) {
            HttpRequestParser.Event event;
            try {
                event = parser.next(in);
            } catch (HttpParseException e) {
                refuse(e);
                return;
            }
            switch (event) {
                case NEED_MORE -> {
                    return;
                }
                case HEAD -> startExchange(parser.head());
                case BODY -> exchange.body(parser.body());
                case END -> {
                    requestEnded = true;
                    exchange.requestEnded();
                    finishIfDone();
                }
            }
        }
    }

    private void updateReading() {
        boolean read = canProceed() && !held.hasRemaining();
        if (closing || read == !readingPaused) {
            return; // closing: the transport stops delivering by itself
        }
        readingPaused = !read;
        if (read) {
            transport.resumeReading();
        } else {
            transport.pauseReading();
        }
    }

    // ---- exchanges ----

    private void startExchange(RequestHead head) {
        awaitingHead = false;
        progress();
        requestEnded = false;
        if (head.expectContinue()) {
            send(CONTINUE, 0, CONTINUE.length); // the limits passed: let the peer send its body
        }
        response = new Response(this, head);
        exchange = Exchange.of(head, response);
        exchange.start();
    }

    /** After the request ended and its response too: close if asked, else await the next request. */
    private void finishIfDone() {
        if (exchange == null || !requestEnded || !response.ended()) {
            return;
        }
        boolean keepAlive = exchange.request.keepAlive();
        exchange = null;
        response = null;
        requestEnded = false;
        if (keepAlive) {
            awaitHead();
        } else {
            close();
        }
    }

    private void refuse(HttpParseException e) {
        if (exchange == null || !response.started()) {
            byte[] text = (e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
            String head = "HTTP/1.1 " + e.status() + " " + Route.reason(e.status()) + "\r\nDate: " + Response.HttpDate.now()
                    + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " + text.length
                    + "\r\nConnection: close\r\n\r\n";
            send(head.getBytes(StandardCharsets.ISO_8859_1), 0, head.length());
            send(text, 0, text.length);
        }
        close();
    }

    private void close() {
        closing = true;
        transport.close();
    }

    // ---- writing, for Response ----

    void send(byte[] data, int offset, int length) {
        if (!closing) {
            transport.write(data, offset, length);
        }
    }

    void send(ByteBuffer data) {
        if (!closing) {
            transport.write(data);
        }
    }

    boolean writable() {
        return !writePaused && !closing;
    }

    // ---- the deadline ----

    private void awaitHead() {
        awaitingHead = true;
        setDeadline();
    }

    /** Inside an exchange, progress (bytes in, the peer reading) moves the deadline; a head's deadline stays put. */
    private void progress() {
        if (!awaitingHead) {
            setDeadline();
        }
    }

    private void setDeadline() {
        deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.timeoutMillis());
        if (timer == null) {
            timer = transport.loop().schedule(this::onTimer, config.timeoutMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void onTimer() {
        timer = null;
        if (closing) {
            return;
        }
        long left = deadlineNanos - System.nanoTime();
        if (left > 0) {
            timer = transport.loop().schedule(this::onTimer, left, TimeUnit.NANOSECONDS);
            return;
        }
        if (awaitingHead && parser.inHead()) {
            refuse(new HttpParseException(408, "the request head did not arrive within " + config.timeoutMillis() + " ms"));
        } else if (awaitingHead) {
            close(); // an idle keep-alive connection: nothing to answer
        } else {
            closing = true;
            transport.abort(); // a request or response stalled mid-way: nothing can be finished cleanly
        }
    }

    // ---- for tests ----

    /** The transport (tests read its write buffer and reading state). */
    Transport transport() {
        return transport;
    }
}
