package dev.iocp.http.server;

/**
 * A request the server will not read further: its status is the answer to send (400 malformed, 413 body too large,
 * 417 unknown expectation, 431 request line or headers too large, 501 unknown transfer coding, 505 version), after
 * which the connection closes — the bytes behind a broken request cannot be trusted to start the next one.
 */
public final class HttpParseException extends RuntimeException {
    private final int status;

    public HttpParseException(int status, String message) {
        super(message, null, false, false); // an answer to a peer, not a bug: no stack trace to fill
        this.status = status;
    }

    public int status() {
        return status;
    }

    @Override
    public String toString() {
        return "HttpParseException(" + status + "): " + getMessage();
    }
}
