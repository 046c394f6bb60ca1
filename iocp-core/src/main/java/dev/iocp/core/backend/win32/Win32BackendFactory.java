package dev.iocp.core.backend.win32;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.BackendFactory;
import dev.iocp.core.win32.Win32Exception;

/** Makes one {@link Win32Backend} (one completion port) per event loop. */
public final class Win32BackendFactory implements BackendFactory {
    private final int batchSize;

    public Win32BackendFactory() {
        this(Win32Backend.DEFAULT_BATCH_SIZE);
    }

    /** @param batchSize packets dequeued per GetQueuedCompletionStatusEx call at most */
    public Win32BackendFactory(int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize " + batchSize);
        }
        this.batchSize = batchSize;
    }

    @Override
    public Backend newBackend() throws Win32Exception {
        return new Win32Backend(batchSize);
    }
}
