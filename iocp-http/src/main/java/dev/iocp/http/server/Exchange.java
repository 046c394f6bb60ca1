package dev.iocp.http.server;

import dev.iocp.http.Route;

import java.nio.ByteBuffer;

/**
 * One request and its response, as a route sees them. The connection creates it when the request's head is
 * complete and feeds it the body; the exchange writes its {@link Response} when it likes. The connection moves on
 * to the next request once the request has ended and the response has too — never before, which is what keeps
 * pipelined responses in request order.
 */
public abstract class Exchange {
    protected final RequestHead request;
    protected final Response response;

    protected Exchange(RequestHead request, Response response) {
        this.request = request;
        this.response = response;
    }

    /** Called once, right after construction: the head is known. */
    protected abstract void start();

    /** A piece of the request body, valid only during the call. The default discards it. */
    protected void body(ByteBuffer piece) {}

    /** The whole request has been read. */
    protected void requestEnded() {}

    /** The peer caught up with what we sent: produce more of the response, if there is more. */
    protected void writable() {}

    /** The exchange for a request: the {@link Route} table, served. */
    static Exchange of(RequestHead request, Response response) {
        Route route = Route.of(request.method(), request.path());
        if (route instanceof Route.Plaintext) {
            return new Plaintext(request, response);
        } else if (route instanceof Route.Bytes bytes) {
            return new Bytes(request, response, bytes.count());
        } else if (route instanceof Route.File file) {
            return new Bytes(request, response, file.count()); // the file's content; the Transport has no file API

        } else if (route instanceof Route.Echo) {
            return new Echo(request, response);
        }
        return new Refusal(request, response, (Route.Refusal) route);
    }

    /** {@code GET /plaintext}. */
    static final class Plaintext extends Exchange {
        Plaintext(RequestHead request, Response response) {
            super(request, response);
        }

        @Override
        protected void start() {
            response.complete(200, "text/plain", Route.HELLO);
        }
    }

    /**
     * {@code GET /bytes/N}: N bytes of the pattern, one piece at a time while the peer keeps up. However large N
     * is, no more than the transport's high-water mark plus one piece is ever queued: when a write crosses the mark
     * the loop stops, and {@link #writable()} starts it again.
     */
    static final class Bytes extends Exchange {
        private long left;

        Bytes(RequestHead request, Response response, long count) {
            super(request, response);
            this.left = count;
        }

        @Override
        protected void start() {
            response.head(200, "application/octet-stream", left);
            produce();
        }

        @Override
        protected void writable() {
            produce();
        }

        private void produce() {
            byte[] piece = Route.Pattern.piece(); // every piece starts at a multiple of its length, so at i mod 256 = 0
            while (left > 0 && response.writable()) {
                int n = (int) Math.min(left, piece.length);
                response.body(piece, 0, n);
                left -= n;
            }
            if (left == 0 && !response.ended()) {
                response.end();
            }
        }
    }

    /**
     * {@code POST /echo}: the body goes back as it comes, framed as it came (a Content-Length answered with the
     * same length, a chunked body with a chunked response). Back-pressure is the connection's: while the peer reads
     * slower than it sends, the connection stops reading it, so the body waits in the peer's socket, not here.
     */
    static final class Echo extends Exchange {
        Echo(RequestHead request, Response response) {
            super(request, response);
        }

        @Override
        protected void start() {
            String type = request.header("Content-Type");
            response.head(200, type != null ? type : "application/octet-stream",
                    request.chunked() ? Response.CHUNKED : request.bodyLength());
            if (!request.hasBody()) {
                response.end();
            }
        }

        @Override
        protected void body(ByteBuffer piece) {
            response.body(piece);
        }

        @Override
        protected void requestEnded() {
            if (!response.ended()) {
                response.end();
            }
        }
    }

    /** 404, 405 or 400 for a request the table does not serve; the connection stays usable. */
    static final class Refusal extends Exchange {
        private final Route.Refusal refusal;

        Refusal(RequestHead request, Response response, Route.Refusal refusal) {
            super(request, response);
            this.refusal = refusal;
        }

        @Override
        protected void start() {
            byte[] text = (refusal.message() + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            if (refusal.allow() != null) {
                response.complete(refusal.status(), "text/plain; charset=utf-8", text, "Allow", refusal.allow());
            } else {
                response.complete(refusal.status(), "text/plain; charset=utf-8", text);
            }
        }
    }
}
