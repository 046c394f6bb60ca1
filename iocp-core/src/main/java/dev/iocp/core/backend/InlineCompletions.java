package dev.iocp.core.backend;

/**
 * A backend's queue of ops that completed <em>inline</em>: the submit itself succeeded at once on a socket whose
 * immediate successes post no packet (Win32's FILE_SKIP_COMPLETION_PORT_ON_SUCCESS; the simulated backend models
 * it). It is how such a backend still keeps the {@link Backend} contract — a successful submit yields exactly one
 * packet from {@link Backend#poll}, never a synchronous completion — so the loop and the transports keep one path
 * for a result: the submit records the completion here, and the backend's next poll hands it to the sink as if the
 * port had produced it.
 *
 * <h2>What is kept here</h2>
 * <ul>
 *   <li><b>Exactly once.</b> An op is added once, by the submit that completed it, and handed out once by
 *       {@link #dispatch}; the op stays IN_FLIGHT (owned by the backend, invariant 2) until then, so its owner can
 *       neither release nor resubmit it meanwhile, and a cancel in between only asks (invariant 1: the queued result
 *       is the truth, whatever the cancel answered).</li>
 *   <li><b>Only completions present when a poll starts are handed out by it.</b> A handler that submits again and
 *       completes inline adds to the queue for the next poll, so one poll's work is bounded.</li>
 *   <li><b>The port is not starved</b> ({@link #mustReadPort}). A poll that finds inline completions must not
 *       block (they are ready now); it hands them out <em>without</em> reading the port — that saves the kernel
 *       call a strict ping-pong would spend dequeuing its send's packet — unless the previous poll did not read the
 *       port either. So the port is read at least every second poll: its packets (another connection's, a
 *       wake-up) wait at most one extra loop turn, however many inline completions keep coming. The port read made
 *       then has a timeout of 0, since inline completions are waiting. Why not read the port (with a timeout of 0)
 *       at every poll that has inline completions, as libuv's loop does: in a strict ping-pong that read finds the
 *       port empty and spends exactly the kernel call the mode saved; and why not skip the port for as long as
 *       inline completions keep coming: a connection that always has data (each receive completing inline) would
 *       then keep every other connection's packets, and the loop's wake-ups, waiting.</li>
 *   <li><b>A batch is handed over whole</b> ({@link BatchFailures}): if the sink throws, the rest of the queued
 *       completions still reach it, and the first failure is rethrown after.</li>
 * </ul>
 *
 * <p>Only successes are queued: an op that fails at once is a failed submit, with no packet either way (the
 * backend returns the error). Loop thread only: every submit and every poll is made there. Arrays, not objects:
 * queuing allocates nothing once the queue has grown to its working size.
 */
public final class InlineCompletions {
    private Op[] ops = new Op[16];
    private int[] bytes = new int[16];
    private int head;
    private int size;
    /** Whether the last poll handed out inline completions without reading the port. */
    private boolean portSkippedLastPoll;
    private long added;
    private int lastDispatched;

    /**
     * Records an op that completed successfully inside its submit. The op must already be IN_FLIGHT.
     *
     * @param op the op, IN_FLIGHT
     * @param bytesTransferred what the submit reported
     */
    public void add(Op op, int bytesTransferred) {
        if (op.state() != Op.State.IN_FLIGHT) {
            throw new IllegalStateException("inline completion of " + op + ": not in flight");
        }
        if (size == ops.length) {
            grow();
        }
        int tail = (head + size) & (ops.length - 1);
        ops[tail] = op;
        bytes[tail] = bytesTransferred;
        size++;
        added++;
    }

    private void grow() {
        int cap = ops.length * 2;
        Op[] o = new Op[cap];
        int[] b = new int[cap];
        for (int i = 0; i < size; i++) {
            int j = (head + i) & (ops.length - 1);
            o[i] = ops[j];
            b[i] = bytes[j];
        }
        ops = o;
        bytes = b;
        head = 0;
    }

    /** {@return whether no inline completion waits} */
    public boolean isEmpty() {
        return size == 0;
    }

    /** {@return inline completions waiting for a poll} */
    public int size() {
        return size;
    }

    /** {@return inline completions recorded so far} */
    public long added() {
        return added;
    }

    /**
     * Decides, at the start of a poll, whether it reads the port, and remembers the decision for the next poll.
     * With nothing queued the answer is yes (and the poll may block as asked); with completions queued, yes only if
     * the previous poll skipped the port (then with a timeout of 0).
     *
     * @return whether this poll reads the port
     */
    public boolean mustReadPort() {
        boolean read = size == 0 || portSkippedLastPoll;
        portSkippedLastPoll = !read;
        return read;
    }

    /**
     * Hands at most {@code max} of the completions queued now to the sink, oldest first, each as a successful packet.
     * Completions added by the handlers meanwhile wait for the next poll.
     *
     * @param sink the loop's sink
     * @param max the most to hand out (the backend's batch size)
     * @param firstFailure the poll's first failure so far, or null
     * @return the poll's first failure so far (see {@link BatchFailures#add}); the caller rethrows it after the
     *         whole poll
     */
    public Throwable dispatch(CompletionSink sink, int max, Throwable firstFailure) {
        int n = Math.min(size, max);
        for (int i = 0; i < n; i++) {
            Op op = ops[head];
            int transferred = bytes[head];
            ops[head] = null;
            head = (head + 1) & (ops.length - 1);
            size--;
            try {
                sink.onPacket(op, transferred, IoError.SUCCESS);
            } catch (Throwable failure) {
                // Keep going: the completion is out of the queue and exists nowhere else (BatchFailures).
                firstFailure = BatchFailures.add(firstFailure, failure);
            }
        }
        lastDispatched = n;
        return firstFailure;
    }

    /** {@return how many completions the last {@link #dispatch} handed out} */
    public int lastDispatched() {
        return lastDispatched;
    }
}
