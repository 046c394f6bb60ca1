package dev.iocp.wintests.race;

import dev.iocp.core.backend.Backend;
import dev.iocp.core.backend.CancelResult;
import dev.iocp.core.backend.CompletionHandler;
import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpType;
import dev.iocp.core.loop.IocpEventLoop;
import dev.iocp.race.StreamVerifier;
import io.netty.util.internal.PlatformDependent;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * NEGATIVE CONTROL — deliberately wrong. A reader written the way CPython 3.6's proactor read transport behaved
 * (bpo-33694): pausing cancels the receive in flight, and the completion of a cancelled receive is thrown away —
 * even when the cancel came too late (CancelIoEx → ERROR_NOT_FOUND) and the completion carries data. Lives in test
 * code only, so the race checks can be shown to catch exactly that loss. Loop thread only.
 */
final class NaiveReader {
    private final IocpEventLoop loop;
    private final Backend backend;
    private final long socket;
    private final StreamVerifier verifier;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
    private final long address = PlatformDependent.directBufferAddress(buffer);
    private final byte[] copy = new byte[64 * 1024];
    private Op op; // the receive in flight, if any
    private boolean cancelled;
    private boolean paused;
    private boolean ended;
    final List<CancelResult> cancelResults = new ArrayList<>();
    long droppedBytes;

    NaiveReader(IocpEventLoop loop, long socket, StreamVerifier verifier) {
        this.loop = loop;
        this.backend = loop.backend();
        this.socket = socket;
        this.verifier = verifier;
    }

    void start() {
        arm();
    }

    private void arm() {
        op = loop.acquireOp();
        op.prepare(OpType.RECV, socket, new CompletionHandler() {
            @Override
            public void onCompletion(Op done, int bytes, int error) {
                completed(done, bytes, error);
            }

            @Override
            public void onDispatchFailure(Op done, Throwable cause) {
                ended = true;
            }
        }).addBuffer(address, buffer.capacity());
        int error = backend.submitRecv(op);
        if (error != 0) {
            op.release();
            op = null;
            ended = true;
            verifier.finish();
        }
    }

    private void completed(Op done, int bytes, int error) {
        done.release();
        op = null;
        if (cancelled) {
            // THE BUG: the receive was cancelled, so its result is ignored — here with its data (NOT_FOUND case).
            cancelled = false;
            droppedBytes += bytes;
            if (!paused && !ended) {
                arm();
            }
            return;
        }
        if (error != 0 || bytes == 0) {
            ended = true;
            verifier.finish();
            backend.close(socket, false);
            return;
        }
        buffer.get(0, copy, 0, bytes);
        verifier.update(copy, 0, bytes);
        if (!paused) {
            arm();
        }
    }

    /** CPython 3.6: pause_reading() cancels the pending overlapped read. */
    void pause() {
        paused = true;
        if (op != null) {
            cancelResults.add(backend.cancel(op));
            cancelled = true; // whatever the cancel returned, the read future is cancelled: its result is dropped
        }
    }

    void resume() {
        paused = false;
        if (op == null && !ended) {
            arm();
        }
    }

    boolean ended() {
        return ended;
    }
}
