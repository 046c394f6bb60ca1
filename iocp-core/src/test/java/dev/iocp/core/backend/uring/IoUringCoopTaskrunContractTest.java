package dev.iocp.core.backend.uring;

import dev.iocp.core.backend.Backend;

import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The whole backend contract again on a COOP_TASKRUN ring: what a kernel older than 6.1 gets (and
 * {@code -Diocp.uring.deferTaskrun=false}), so both ways of running task work stay proven.
 */
class IoUringCoopTaskrunContractTest extends IoUringBackendContractTest {
    @Override
    protected Backend newBackend() throws Exception {
        IoUringBackend backend = new IoUringBackend(IoUringBackend.DEFAULT_SQ_ENTRIES,
                IoUringBackend.DEFAULT_CQ_ENTRIES, false);
        assertFalse(backend.defersTaskWork(), "asked for COOP_TASKRUN");
        return backend;
    }
}
