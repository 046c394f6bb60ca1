package dev.iocp.core.backend;

/**
 * What a cancel request achieved. Neither value completes the op: its packet does (invariant 1).
 */
public enum CancelResult {
    /** The kernel accepted the request; the op's packet will still come, usually {@link ErrorCode#ABORTED}. */
    REQUESTED,
    /**
     * The kernel no longer had the op in progress (CancelIoEx: ERROR_NOT_FOUND; io_uring: -ENOENT/-EALREADY):
     * it already completed and its packet, possibly carrying data, is queued or about to be. Dropping that
     * packet is exactly the bpo-33694 data loss.
     */
    NOT_FOUND
}
