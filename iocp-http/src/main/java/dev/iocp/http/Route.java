package dev.iocp.http;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.nio.charset.StandardCharsets;

/**
 * What the server does for a request, decided from its method and path alone — the one route table both servers
 * serve:
 * <ul>
 *   <li>{@code GET /plaintext}: 200 {@code text/plain}, {@code Hello, World!}</li>
 *   <li>{@code GET /bytes/N}: 200 with N bytes (0 ≤ N ≤ {@link #MAX_BYTES}), byte i being {@code i mod 256},
 *       produced piece by piece as the peer reads them</li>
 *   <li>{@code POST /echo}: 200 with the request body, sent back as it arrives</li>
 *   <li>{@code GET /file/N}: the same N bytes as {@code /bytes/N}, served from a file of that content
 *       ({@link PatternFiles}): the Netty server writes it as a {@code FileRegion}, the way frameworks serve static
 *       files; the native Transport has no file API, so the native server produces the bytes as for
 *       {@code /bytes/N}</li>
 * </ul>
 * Anything else is a {@link Refusal}: 404 for an unknown path, 405 for a known path with another method, 400 for a
 * {@code /bytes/} or {@code /file/} count that is not a number in range. A refusal is an answer, not a protocol error: the
 * connection stays open.
 */
public sealed interface Route {
    /** The largest {@code /bytes/N}: 1 GiB. */
    long MAX_BYTES = 1L << 30;

    /** The body of {@code /plaintext}. */
    byte[] HELLO = "Hello, World!".getBytes(StandardCharsets.US_ASCII);

    record Plaintext() implements Route {}

    record Bytes(long count) implements Route {}

    record Echo() implements Route {}

    record File(long count) implements Route {}

    /** @param allow the method the path takes (for a 405's {@code Allow}), or null */
    record Refusal(int status, String message, String allow) implements Route {}

    static Route of(String method, String path) {
        if (path.equals("/plaintext")) {
            return method.equals("GET") ? new Plaintext() : notAllowed("GET");
        }
        if (path.equals("/echo")) {
            return method.equals("POST") ? new Echo() : notAllowed("POST");
        }
        if (path.startsWith("/bytes/")) {
            if (!method.equals("GET")) {
                return notAllowed("GET");
            }
            long n = parseCount(path.substring("/bytes/".length()));
            return n >= 0 ? new Bytes(n)
                    : new Refusal(400, "N in /bytes/N must be a whole number from 0 to " + MAX_BYTES, null);
        }
        if (path.startsWith("/file/")) {
            if (!method.equals("GET")) {
                return notAllowed("GET");
            }
            long n = parseCount(path.substring("/file/".length()));
            return n >= 0 ? new File(n)
                    : new Refusal(400, "N in /file/N must be a whole number from 0 to " + MAX_BYTES, null);
        }
        return new Refusal(404, "no such resource: " + path, null);
    }

    /**
     * The path of a request target: origin-form {@code /p?q} gives {@code /p}, absolute-form {@code http://h/p?q}
     * gives {@code /p}, {@code *} stays; anything else is no target (null).
     */
    static String pathOf(String target) {
        String t = target;
        if (!t.startsWith("/") && !t.equals("*")) {
            int scheme = t.indexOf("://");
            if (scheme <= 0) {
                return null;
            }
            int slash = t.indexOf('/', scheme + 3);
            t = slash < 0 ? "/" : t.substring(slash);
        }
        int q = t.indexOf('?');
        return q < 0 ? t : t.substring(0, q);
    }

    private static Refusal notAllowed(String allow) {
        return new Refusal(405, "this resource takes " + allow + " only", allow);
    }

    /** The decimal count, or -1 if it is not one from 0 to {@link #MAX_BYTES}. */
    private static long parseCount(String digits) {
        if (digits.isEmpty() || digits.length() > 10) {
            return -1;
        }
        long n = 0;
        for (int i = 0; i < digits.length(); i++) {
            char c = digits.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            n = n * 10 + (c - '0');
        }
        return n <= MAX_BYTES ? n : -1;
    }

    /**
     * {@code /bytes/N}'s content, one piece of it: byte i is {@code i mod 256}, so any piece that starts at a
     * multiple of 256 is a prefix of this array, and a response of any length is made of prefixes of it.
     */
    final class Pattern {
        public static final int PIECE = 16 * 1024;
        private static final byte[] BYTES = new byte[PIECE];

        static {
            for (int i = 0; i < PIECE; i++) {
                BYTES[i] = (byte) i;
            }
        }

        private Pattern() {}

        /** The shared piece; read it, never write it. */
        public static byte[] piece() {
            return BYTES;
        }
    }

    /**
     * {@code /file/N}'s files: N bytes of the {@link Pattern}, written once per N into a folder of the JVM's temp
     * folder on first use (the request that asks first waits for the write), and deleted when the JVM exits.
     */
    final class PatternFiles {
        private static final Map<Long, Path> FILES = new ConcurrentHashMap<>();

        private PatternFiles() {}

        /** The file of {@code count} pattern bytes. */
        public static Path of(long count) throws IOException {
            try {
                return FILES.computeIfAbsent(count, PatternFiles::write);
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }

        private static Path write(long count) {
            try {
                Path file = Files.createTempFile("iocp-http-pattern-" + count + "-", ".bin");
                file.toFile().deleteOnExit();
                byte[] piece = Pattern.piece();
                try (OutputStream out = Files.newOutputStream(file)) {
                    for (long left = count; left > 0; left -= Pattern.PIECE) {
                        out.write(piece, 0, (int) Math.min(left, Pattern.PIECE));
                    }
                }
                return file;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The reason phrase of each status the servers send. */
    static String reason(int status) {
        return switch (status) {
            case 100 -> "Continue";
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 413 -> "Content Too Large";
            case 417 -> "Expectation Failed";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 505 -> "HTTP Version Not Supported";
            default -> "Status " + status;
        };
    }
}
