package dev.iocp.core.backend;

/**
 * One asynchronous operation's record: a fixed slot of native memory in its loop's {@link OpSlab} plus the
 * Java-side fields the backend and the owner need. An Op object is created once per slot and reused, so a
 * completion allocates nothing.
 *
 * <h2>The native area</h2>
 * Each op has {@link #NATIVE_AREA_SIZE} bytes of native memory ({@link #nativeArea()}), zeroed when its slab
 * chunk is made and never moved, so its address stays valid for the op's whole life. Its layout is the backend's
 * own: what the kernel needs to read or write for the op besides the data buffers (Win32: the OVERLAPPED, the
 * WSABUF array, the AcceptEx address buffer — {@code win32.Win32Slot}; io_uring: the iovec array, the msghdr,
 * the connect sockaddr — {@code uring.IoUringSlot}). The Java-side fields below are neutral: the buffers
 * ({@link #addBuffer}) are encoded into the area by the backend at submit.
 *
 * <h2>Ownership: the op's state machine</h2>
 * <pre>
 *   FREE --acquire--> OWNED --submit ok--> IN_FLIGHT --packet dequeued--> OWNED --release--> FREE
 *                       ^                      |
 *                       +--submit failed-------+  (synchronous failure: no packet will come)
 * </pre>
 * Invariant 2 lives here: while IN_FLIGHT the kernel may read or write the native area and the buffers it names, so
 * neither is released or reused; only the packet (via the loop's dispatch) returns the op to OWNED.
 * {@link #release()} refuses an op that is IN_FLIGHT.
 */
public final class Op {
    /** The most buffers one op gathers or scatters. */
    public static final int MAX_BUFFERS = 16;
    /** Bytes of native memory each op has for its backend's own layout. */
    public static final int NATIVE_AREA_SIZE = 512;

    /** Who may touch the op and its memory. */
    public enum State {
        /** In the slab's free list. */
        FREE,
        /** Held by its owner; the kernel has no claim on it. */
        OWNED,
        /** Submitted; the kernel owns the slot and the buffers until the packet is dequeued. */
        IN_FLIGHT
    }

    private final OpSlab slab;
    private final int id;
    private final long address;

    State state = State.FREE;
    private OpType type;
    private long socket;
    private CompletionHandler handler;
    /** Whether a cancel was requested while IN_FLIGHT (for diagnostics: the packet still decides). */
    private boolean cancelRequested;
    /** RECV: what the owner knows of the socket (see {@link #socketKnownEmpty(boolean)}); true after prepare. */
    private boolean socketKnownEmpty = true;
    /** RECV: the most bytes a receive into a provided buffer takes; 0 if it names its own buffers (or none). */
    private int selectLimit;
    /** RECV into a provided buffer: the buffer its packet names, or -1 (set by the backend at the packet). */
    private int selectedBuffer = -1;

    // The op's buffers, backend-neutral; a backend encodes them (WSABUF, iovec) at submit.
    private final long[] bufferAddresses = new long[MAX_BUFFERS];
    private final int[] bufferLengths = new int[MAX_BUFFERS];
    private int bufferCount;

    /** An accepted socket (ACCEPT) or a socket prepared for the accept; backend-defined handle. */
    private long acceptSocket;
    /** Owner's attachment (e.g. the stream this op belongs to). */
    private Object attachment;

    Op(OpSlab slab, int id, long address) {
        this.slab = slab;
        this.id = id;
        this.address = address;
    }

    /** {@return the op's index in its slab: what a packet carries to name it} */
    public int id() {
        return id;
    }

    /** {@return address of the op's {@link #NATIVE_AREA_SIZE} bytes of native memory (see the class comment)} */
    public long nativeArea() {
        return address;
    }

    /** {@return who owns the op now} */
    public State state() {
        return state;
    }

    /** {@return the kind of operation it was last prepared for} */
    public OpType type() {
        return type;
    }

    /** {@return the socket it was prepared for (the listener, for an ACCEPT)} */
    public long socket() {
        return socket;
    }

    /** {@return the owner told of its packet} */
    public CompletionHandler handler() {
        return handler;
    }

    /** {@return the owner's own object, as last {@link #attach attached}} */
    public Object attachment() {
        return attachment;
    }

    /**
     * Keeps an object of the owner's with the op (the backend never reads it).
     *
     * @param attachment anything, or null
     */
    public void attach(Object attachment) {
        this.attachment = attachment;
    }

    /** {@return whether a cancel was requested while in flight (a request only: the packet decides, invariant 1)} */
    public boolean cancelRequested() {
        return cancelRequested;
    }

    /**
     * Prepares an OWNED op for its next submission: its type, socket and owner, with no buffers yet.
     *
     * @param type the operation
     * @param socket its socket
     * @param handler the owner to tell of its packet
     * @return this op
     */
    public Op prepare(OpType type, long socket, CompletionHandler handler) {
        requireOwned("prepare");
        this.type = type;
        this.socket = socket;
        this.handler = handler;
        this.bufferCount = 0;
        this.cancelRequested = false;
        this.acceptSocket = 0;
        this.socketKnownEmpty = true;
        this.selectLimit = 0;
        this.selectedBuffer = -1;
        return this;
    }

    /**
     * Makes a RECV with no buffers of its own a <b>receive into a provided buffer</b>: the backend picks one of its
     * {@link Backend#providedBuffers()} when bytes arrive, and the packet names it ({@link #selectedBuffer()}). Only
     * for a backend that has provided buffers.
     *
     * @param maxBytes the most bytes it takes (capped further by the pool's buffer size); more than 0
     * @return this op
     * @throws IllegalStateException if the op has buffers of its own
     */
    public Op selectBuffer(int maxBytes) {
        requireOwned("selectBuffer");
        if (bufferCount != 0) {
            throw new IllegalStateException("op " + id + ": a receive into a provided buffer names no buffer of its own");
        }
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be > 0, got " + maxBytes);
        }
        this.selectLimit = maxBytes;
        return this;
    }

    /** {@return whether this RECV receives into a provided buffer ({@link #selectBuffer(int)})} */
    public boolean selectsBuffer() {
        return selectLimit != 0;
    }

    /** {@return the most bytes a receive into a provided buffer takes; 0 if it is not one} */
    public int selectLimit() {
        return selectLimit;
    }

    /**
     * {@return the provided buffer this receive's packet named, or -1}: the op's owner owns it from the packet on
     * and gives it back with {@link ProvidedBuffers#giveBack} once its bytes are no longer needed — whatever the
     * packet said (data, the FIN, an error).
     */
    public int selectedBuffer() {
        return selectedBuffer;
    }

    /**
     * Backends only, at the packet: the provided buffer the kernel filled.
     *
     * @param id the buffer id, or -1
     */
    public void selectedBuffer(int id) {
        this.selectedBuffer = id;
    }

    /**
     * A RECV's hint from its owner: whether the socket is known to hold nothing now — the previous receive did not
     * fill its buffer, so it took all there was. Then a backend may wait for readiness before it tries (io_uring:
     * IORING_RECVSEND_POLL_FIRST, which saves a try that would only fail with EAGAIN); when the previous receive
     * filled its buffer, more is likely waiting and the receive is tried at once. Only a hint: the packet is the
     * same either way. {@link #prepare} sets it to true (nothing known: treat as empty).
     *
     * @param empty whether the socket is known to be empty
     * @return this op
     */
    public Op socketKnownEmpty(boolean empty) {
        requireOwned("socketKnownEmpty");
        this.socketKnownEmpty = empty;
        return this;
    }

    /** {@return the owner's hint: whether the socket is known to be empty (see {@link #socketKnownEmpty(boolean)})} */
    public boolean socketKnownEmpty() {
        return socketKnownEmpty;
    }

    /**
     * Forgets the op's buffers (not their memory: that is the owner's).
     *
     * @return this op
     */
    public Op clearBuffers() {
        requireOwned("clearBuffers");
        bufferCount = 0;
        return this;
    }

    /**
     * Adds a buffer the kernel will read (SEND) or write (RECV); it must stay valid until the packet.
     *
     * @param nativeAddress the buffer's native address
     * @param length its length in bytes
     * @return this op
     * @throws IllegalStateException if the op already has as many buffers as it can carry
     */
    public Op addBuffer(long nativeAddress, int length) {
        requireOwned("addBuffer");
        if (selectLimit != 0) {
            throw new IllegalStateException("op " + id + ": a receive into a provided buffer names no buffer of its own");
        }
        if (bufferCount == MAX_BUFFERS) {
            throw new IllegalStateException("op " + id + " already has " + MAX_BUFFERS + " buffers");
        }
        if (length < 0) {
            throw new IllegalArgumentException("negative buffer length " + length);
        }
        bufferAddresses[bufferCount] = nativeAddress;
        bufferLengths[bufferCount] = length;
        bufferCount++;
        return this;
    }

    /** {@return how many buffers the op carries} */
    public int bufferCount() {
        return bufferCount;
    }

    /**
     * The native address of a buffer.
     *
     * @param i the buffer's index, below {@link #bufferCount()}
     * @return its address
     */
    public long bufferAddress(int i) {
        return bufferAddresses[i];
    }

    /**
     * The length of a buffer.
     *
     * @param i the buffer's index, below {@link #bufferCount()}
     * @return its length in bytes
     */
    public int bufferLength(int i) {
        return bufferLengths[i];
    }

    /** {@return an ACCEPT's accepted socket (see {@link Backend#submitAccept}); 0 if none} */
    public long acceptSocket() {
        return acceptSocket;
    }

    /**
     * Records an ACCEPT's accepted socket (backends only).
     *
     * @param acceptSocket the socket, or 0
     */
    public void acceptSocket(long acceptSocket) {
        this.acceptSocket = acceptSocket;
    }

    // ---- state transitions; the backend and the loop call these ----

    /** Backend: the submit was accepted by the kernel; a packet will follow. */
    public void markInFlight() {
        requireOwned("submit");
        slab.inFlight++;
        state = State.IN_FLIGHT;
    }

    /** Loop: the packet was dequeued; the owner gets the op back. */
    public void markCompleted() {
        if (state != State.IN_FLIGHT) {
            throw new IllegalStateException("packet for op " + id + " in state " + state);
        }
        slab.inFlight--;
        state = State.OWNED;
    }

    /** Returns the op to the slab's free list. Refused while the kernel owns it (invariant 2). */
    public void release() {
        if (state == State.IN_FLIGHT) {
            throw new IllegalStateException("op " + id + " released while in flight: the kernel still owns its memory");
        }
        if (state == State.FREE) {
            throw new IllegalStateException("op " + id + " released twice");
        }
        handler = null;
        attachment = null;
        bufferCount = 0;
        acceptSocket = 0;
        selectLimit = 0;
        selectedBuffer = -1;
        slab.free(this);
    }

    private void requireOwned(String what) {
        if (state != State.OWNED) {
            throw new IllegalStateException("op " + id + ": " + what + " in state " + state);
        }
    }

    /** Called by the backend after a cancel request was made (diagnostics only: the packet decides). */
    public void noteCancelRequested() {
        cancelRequested = true;
    }

    @Override
    public String toString() {
        return "Op#" + id + "[" + type + " " + state + " socket=" + socket + "]";
    }
}
