package dev.iocp.http.server;

import java.util.List;

/**
 * A request's line and header fields, as the parser validated them, and what they decide about the connection.
 *
 * @param method         the method token, case as sent (methods are case-sensitive)
 * @param target         the request target as sent ({@code /bytes/10?x=1})
 * @param path           the target's path ({@code /bytes/10}); {@code *} for an asterisk-form target
 * @param minorVersion   1 for HTTP/1.1, 0 for HTTP/1.0
 * @param headers        every field, in order (names as sent; compare them ignoring case)
 * @param bodyLength     the Content-Length, 0 without a body, or {@link #CHUNKED}
 * @param keepAlive      whether the connection may carry another request after this one (HTTP/1.1 unless
 *                       {@code Connection: close}; HTTP/1.0 only with {@code Connection: keep-alive})
 * @param expectContinue {@code Expect: 100-continue} on an HTTP/1.1 request: the client waits for a 100 before it
 *                       sends the body
 */
public record RequestHead(String method, String target, String path, int minorVersion, List<Header> headers,
                          long bodyLength, boolean keepAlive, boolean expectContinue) {

    /** {@link #bodyLength} of a chunked body. */
    public static final long CHUNKED = -1;

    public record Header(String name, String value) {}

    public boolean chunked() {
        return bodyLength == CHUNKED;
    }

    public boolean hasBody() {
        return bodyLength != 0;
    }

    /** The first field of this name (ignoring case), or null. */
    public String header(String name) {
        for (Header h : headers) {
            if (h.name().equalsIgnoreCase(name)) {
                return h.value();
            }
        }
        return null;
    }
}
