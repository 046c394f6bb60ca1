package dev.iocp.transport.testing;

import dev.iocp.transport.Transport;

import java.util.ArrayList;
import java.util.List;

/**
 * The Protocol contract as a checker: every transport test's protocols run through one (RecordingProtocol embeds
 * it; {@link CheckedProtocol} wraps any other), and every transport test suite fails if any recorded a violation.
 * What it enforces, per connection:
 * <ul>
 *   <li>connectionMade first and once; connectionLost exactly once and last — nothing after it;</li>
 *   <li>connectionMade, dataReceived, eofReceived and connectionLost never nested inside another callback, of this
 *       connection or of any other one on the same thread (pauseWriting/resumeWriting may be: asyncio calls them
 *       from inside the write that crossed a water mark);</li>
 *   <li>no data while reading is paused, none after EOF, never an empty buffer.</li>
 * </ul>
 */
public final class ProtocolContract {
    /** Callbacks running on this thread right now, of any connection (for the nesting rule). */
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);
    private static final List<String> VIOLATIONS = new ArrayList<>();

    private final String name;
    private Transport transport;
    private boolean made;
    private boolean eof;
    private boolean lost;

    public ProtocolContract(String name) {
        this.name = name;
    }

    /** Every violation recorded since the last {@link #clearViolations()}, by any checker. */
    public static synchronized List<String> violations() {
        return List.copyOf(VIOLATIONS);
    }

    public static synchronized void clearViolations() {
        VIOLATIONS.clear();
    }

    private void violation(String what) {
        String v = name + ": " + what + " (on " + Thread.currentThread().getName() + ")";
        synchronized (ProtocolContract.class) {
            VIOLATIONS.add(v);
        }
    }

    /** Call at the start of each callback; {@link #exit()} in a finally. */
    public void enter(String callback, Transport madeWith, java.nio.ByteBuffer data) {
        int[] depth = DEPTH.get();
        boolean nestable = callback.equals("pauseWriting") || callback.equals("resumeWriting");
        if (depth[0] > 0 && !nestable) {
            violation(callback + " ran nested inside another callback");
        }
        depth[0]++;
        if (lost) {
            violation(callback + " after connectionLost");
        }
        switch (callback) {
            case "connectionMade" -> {
                if (made) {
                    violation("connectionMade twice");
                }
                made = true;
                transport = madeWith;
            }
            case "dataReceived" -> {
                if (eof) {
                    violation("dataReceived after eofReceived");
                }
                if (data != null && !data.hasRemaining()) {
                    violation("dataReceived with an empty buffer");
                }
                if (transport != null && !transport.isReading()) {
                    violation("dataReceived while reading is paused or stopped");
                }
            }
            case "eofReceived" -> {
                if (eof) {
                    violation("eofReceived twice");
                }
                eof = true;
            }
            case "connectionLost" -> lost = true;
            default -> { }
        }
        if (!made && !callback.equals("connectionMade")) {
            violation(callback + " before connectionMade");
        }
    }

    public void exit() {
        DEPTH.get()[0]--;
    }

    public boolean lost() {
        return lost;
    }
}
