package dev.iocp.transport.testing;

import dev.iocp.transport.Protocol;
import dev.iocp.transport.Transport;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A protocol that records every callback, in order, with the bytes it got — so a test can assert exactly what the
 * user saw — and lets the test hook behaviour into callbacks (pause inside dataReceived, throw, echo).
 */
public class RecordingProtocol implements Protocol {
    public final CompletableFuture<Transport> made = new CompletableFuture<>();
    public final CompletableFuture<Throwable> lostCause = new CompletableFuture<>();
    private final List<String> events = new ArrayList<>();
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private int lostCalls;
    /** The Protocol contract, checked on every callback (a violation fails the suite that ran it). */
    private final ProtocolContract contract = new ProtocolContract("RecordingProtocol@" + Integer.toHexString(System.identityHashCode(this)));
    private String wrongThread;

    /** Hooks a test may set; they run inside the callback, on the loop thread. */
    public volatile Consumer<ByteBuffer> onData;
    public volatile boolean keepOpenOnEof;
    public volatile Runnable onEof;
    public volatile boolean echo;
    public volatile Runnable onResumeWriting;
    public volatile Consumer<Transport> onMade;
    /** Runs first thing in connectionLost (on the loop thread), e.g. to look at what is still in flight then. */
    public volatile Runnable onLost;

    public Transport transport() {
        try {
            return made.get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("connectionMade not called", e);
        }
    }

    private synchronized void event(String e) {
        events.add(e);
        notifyAll();
    }

    private void checkThread() {
        if (!Thread.currentThread().getName().startsWith("iocp-loop")) {
            wrongThread = Thread.currentThread().getName();
        }
    }

    @Override
    public void connectionMade(Transport transport) {
        contract.enter("connectionMade", transport, null);
        try {
            checkThread();
            event("made");
            made.complete(transport);
            Consumer<Transport> hook = onMade;
            if (hook != null) {
                hook.accept(transport);
            }
        } finally {
            contract.exit();
        }
    }

    @Override
    public void dataReceived(ByteBuffer data) {
        contract.enter("dataReceived", null, data);
        try {
            // Read the hook before recording: recording wakes waiting tests, which may change the hook.
            Consumer<ByteBuffer> hook = onData;
            checkThread();
            if (!data.hasRemaining()) {
                event("EMPTY-DATA");
            }
            byte[] copy = new byte[data.remaining()];
            data.duplicate().get(copy);
            synchronized (this) {
                received.write(copy, 0, copy.length);
            }
            event("data:" + copy.length);
            if (echo) {
                made.join().write(copy);
            }
            if (hook != null) {
                hook.accept(data);
            }
        } finally {
            contract.exit();
        }
    }

    @Override
    public boolean eofReceived() {
        contract.enter("eofReceived", null, null);
        try {
            Runnable hook = onEof;
            checkThread();
            event("eof");
            if (hook != null) {
                hook.run();
            }
            return keepOpenOnEof;
        } finally {
            contract.exit();
        }
    }

    @Override
    public void connectionLost(Throwable cause) {
        contract.enter("connectionLost", null, null);
        try {
            checkThread();
            Runnable hook = onLost;
            if (hook != null) {
                hook.run();
            }
            synchronized (this) {
                lostCalls++;
            }
            event("lost:" + (cause == null ? "null" : cause.getClass().getSimpleName()));
            lostCause.complete(cause);
        } finally {
            contract.exit();
        }
    }

    @Override
    public void pauseWriting() {
        contract.enter("pauseWriting", null, null);
        try {
            event("pauseWriting");
        } finally {
            contract.exit();
        }
    }

    @Override
    public void resumeWriting() {
        contract.enter("resumeWriting", null, null);
        try {
            event("resumeWriting");
            Runnable hook = onResumeWriting;
            if (hook != null) {
                hook.run();
            }
        } finally {
            contract.exit();
        }
    }

    public synchronized List<String> events() {
        return List.copyOf(events);
    }

    public synchronized byte[] received() {
        return received.toByteArray();
    }

    public synchronized int receivedCount() {
        return received.size();
    }

    public synchronized int lostCalls() {
        return lostCalls;
    }

    public synchronized String wrongThread() {
        return wrongThread;
    }

    /** Waits until an event starting with {@code prefix} was recorded. */
    public synchronized void awaitEvent(String prefix, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (events.stream().noneMatch(e -> e.startsWith(prefix))) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                fail("no '" + prefix + "' event within " + timeoutMillis + " ms; events: " + events);
            }
            wait(left);
        }
    }

    /** Waits until at least {@code n} bytes were received. */
    public synchronized void awaitReceived(int n, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (received.size() < n) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                fail("received " + received.size() + " of " + n + " bytes within " + timeoutMillis + " ms; events: "
                        + events);
            }
            wait(left);
        }
    }

    /** Waits for connectionLost and returns its cause. */
    public Throwable awaitLost(long timeoutMillis) throws Exception {
        return lostCause.get(timeoutMillis, TimeUnit.MILLISECONDS);
    }
}
