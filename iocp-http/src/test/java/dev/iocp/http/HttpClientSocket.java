package dev.iocp.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A deliberately plain HTTP/1.1 client over a blocking socket, for the server tests: it writes exactly the bytes
 * it is given (pipelined, malformed, half-sent) and reads responses one at a time, so that a test sees the wire.
 */
final class HttpClientSocket implements AutoCloseable {
    final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    record Response(int status, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        String text() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    HttpClientSocket(InetSocketAddress server) throws IOException {
        socket = new Socket();
        socket.connect(server, 10_000);
        socket.setSoTimeout(20_000); // a bound for a broken server, not a timing assertion
        socket.setTcpNoDelay(true);
        in = new java.io.BufferedInputStream(socket.getInputStream(), 64 * 1024);
        out = socket.getOutputStream();
    }

    HttpClientSocket send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    HttpClientSocket send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Reads one response (Content-Length or chunked body; a 1xx is returned as it is, without a body). */
    Response read() throws IOException {
        String statusLine = line();
        if (statusLine == null) {
            throw new java.io.EOFException("EOF before a status line");
        }
        if (!statusLine.startsWith("HTTP/1.1 ")) {
            throw new IOException("not a status line: " + statusLine);
        }
        int status = Integer.parseInt(statusLine.substring(9, 12));
        Map<String, String> headers = new LinkedHashMap<>();
        for (String l = line(); !l.isEmpty(); l = line()) {
            int colon = l.indexOf(':');
            headers.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
        }
        if (status / 100 == 1) {
            return new Response(status, headers, new byte[0]);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            for (;;) {
                int size = Integer.parseInt(line().split(";")[0].trim(), 16);
                if (size == 0) {
                    while (!line().isEmpty()) { /* trailers */ }
                    break;
                }
                body.write(in.readNBytes(size));
                if (!line().isEmpty()) {
                    throw new IOException("chunk not followed by CRLF");
                }
            }
        } else {
            long length = Long.parseLong(headers.getOrDefault("content-length", "0"));
            byte[] b = in.readNBytes((int) length);
            if (b.length != length) {
                throw new java.io.EOFException("body cut at " + b.length + " of " + length);
            }
            body.write(b);
        }
        return new Response(status, headers, body.toByteArray());
    }

    /** Reads a response whose body is N bytes of the /bytes pattern, checking each byte without keeping them. */
    long readPatternBody(long n) throws IOException {
        return readPatternBody(0, n);
    }

    /** Reads n bytes of the /bytes pattern starting at offset {@code from}, checking each; returns n. */
    long readPatternBody(long from, long n) throws IOException {
        long i = from;
        n += from;
        byte[] buf = new byte[64 * 1024];
        while (i < n) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n - i));
            if (r < 0) {
                throw new java.io.EOFException("pattern cut at " + i + " of " + n);
            }
            for (int k = 0; k < r; k++, i++) {
                if (buf[k] != (byte) i) {
                    throw new IOException("byte " + i + " is " + buf[k] + ", not " + (byte) i);
                }
            }
        }
        return i - from;
    }

    /** Reads the head of a response and leaves its body in the stream. */
    Map<String, String> readHead() throws IOException {
        String statusLine = line();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(":status", statusLine);
        for (String l = line(); !l.isEmpty(); l = line()) {
            int colon = l.indexOf(':');
            headers.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
        }
        return headers;
    }

    /** True if the server closed cleanly (FIN) with nothing more to read; false if it reset. */
    boolean endsWithFin() throws IOException {
        try {
            return in.read() < 0;
        } catch (java.net.SocketException e) {
            return false;
        }
    }

    /** Raw bytes of the stream (after whatever was read before), as InputStream.read. */
    int read(byte[] b, int off, int len) throws IOException {
        return in.read(b, off, len);
    }

    /** The next byte, or -1 at EOF; throws SocketTimeoutException if none comes within the socket's timeout. */
    int readByte() throws IOException {
        return in.read();
    }


    private String line() throws IOException {
        StringBuilder s = new StringBuilder();
        for (;;) {
            int b = in.read();
            if (b < 0) {
                return s.length() == 0 ? null : s.toString();
            }
            if (b == '\n') {
                int n = s.length();
                if (n == 0 || s.charAt(n - 1) != '\r') {
                    throw new IOException("line not ended by CRLF: " + s);
                }
                return s.substring(0, n - 1);
            }
            s.append((char) b);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
