package dev.iocp.http;

/**
 * The limits both HTTP servers enforce, one record so that the native server and the Netty one are configured
 * alike (and a benchmark configures either the same way).
 *
 * @param maxRequestLineBytes the request line, without its CRLF; longer: 431
 * @param maxHeaderBytes      all header lines together, CRLFs included (trailers of a chunked body count too);
 *                            more: 431
 * @param maxBodyBytes        a request body (its declared Content-Length, or a chunked body's decoded size);
 *                            more: 413
 * @param timeoutMillis       how long the server waits on a peer. A request head must be complete that long after
 *                            the server started waiting for it — bytes trickling in do not extend it, so a slow
 *                            sender of headers cannot hold a connection (408 if part of a head came, a plain close
 *                            for an idle keep-alive connection). Within a request or its response the deadline
 *                            moves with every bit of progress (bytes in, or the peer reading what we sent); a
 *                            stall that long aborts the connection
 */
public record HttpServerConfig(int maxRequestLineBytes, int maxHeaderBytes, long maxBodyBytes, long timeoutMillis) {

    /** 8 KiB request line, 16 KiB of headers, 1 GiB of body, 30 s. */
    public static final HttpServerConfig DEFAULT = new HttpServerConfig(8 * 1024, 16 * 1024, 1L << 30, 30_000);

    public HttpServerConfig {
        if (maxRequestLineBytes < 16) {
            throw new IllegalArgumentException("maxRequestLineBytes must be >= 16, got " + maxRequestLineBytes);
        }
        if (maxHeaderBytes < 16) {
            throw new IllegalArgumentException("maxHeaderBytes must be >= 16, got " + maxHeaderBytes);
        }
        if (maxBodyBytes < 0) {
            throw new IllegalArgumentException("maxBodyBytes must be >= 0, got " + maxBodyBytes);
        }
        if (timeoutMillis <= 0) {
            throw new IllegalArgumentException("timeoutMillis must be > 0, got " + timeoutMillis);
        }
    }

    public HttpServerConfig withTimeoutMillis(long millis) {
        return new HttpServerConfig(maxRequestLineBytes, maxHeaderBytes, maxBodyBytes, millis);
    }

    public HttpServerConfig withMaxBodyBytes(long bytes) {
        return new HttpServerConfig(maxRequestLineBytes, maxHeaderBytes, bytes, timeoutMillis);
    }
}
