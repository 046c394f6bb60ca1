package dev.iocp.core.backend.uring;

import dev.iocp.core.backend.Op;
import dev.iocp.core.backend.OpSlab;
import dev.iocp.core.backend.OpType;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What a RECV's SQE says, written into plain memory (no ring): IORING_RECVSEND_POLL_FIRST only when the owner knows
 * the socket is empty (it used to be set on every receive, also right after one that filled its buffer,
 * when more is waiting and trying first saves the poll); a readiness receive is a one-shot POLL_ADD for POLLIN.
 */
class SqeTest {
    private final OpSlab slab = new OpSlab();
    private final long sqe = PlatformDependent.allocateMemory(IoUringAbi.SQE_SIZE);
    private final long buffer = PlatformDependent.allocateMemory(64);

    @AfterEach
    void free() {
        slab.close();
        PlatformDependent.freeMemory(sqe);
        PlatformDependent.freeMemory(buffer);
    }

    private Op recvOp() {
        PlatformDependent.setMemory(sqe, IoUringAbi.SQE_SIZE, (byte) 0);
        return slab.acquire().prepare(OpType.RECV, 7, (op, bytes, error) -> {}).addBuffer(buffer, 64);
    }

    @Test
    void pollFirstOnlyWhenTheSocketIsKnownToBeEmpty() {
        Op op = recvOp();
        Sqe.recv(sqe, op);
        assertEquals(IoUringAbi.IORING_OP_RECV, PlatformDependent.getByte(sqe + IoUringAbi.SQE_OPCODE));
        assertEquals(1, PlatformDependent.getShort(sqe + IoUringAbi.SQE_IOPRIO), "empty by default: poll first");

        op.release();
        op = recvOp().socketKnownEmpty(false);
        Sqe.recv(sqe, op);
        assertEquals(0, PlatformDependent.getShort(sqe + IoUringAbi.SQE_IOPRIO), "data likely waiting: try first");
        op.release();
    }

    @Test
    void aReadinessReceiveIsAOneShotPollForInput() {
        Op op = slab.acquire().prepare(OpType.RECV, 7, (o, bytes, error) -> {});
        PlatformDependent.setMemory(sqe, IoUringAbi.SQE_SIZE, (byte) 0);
        Sqe.readable(sqe, op);
        assertEquals(IoUringAbi.IORING_OP_POLL_ADD, PlatformDependent.getByte(sqe + IoUringAbi.SQE_OPCODE));
        assertEquals(7, PlatformDependent.getInt(sqe + IoUringAbi.SQE_FD));
        assertEquals(LibC.POLLIN, PlatformDependent.getInt(sqe + IoUringAbi.SQE_OP_FLAGS));
        assertEquals(op.id(), PlatformDependent.getLong(sqe + IoUringAbi.SQE_USER_DATA));
        op.release();
    }
}
