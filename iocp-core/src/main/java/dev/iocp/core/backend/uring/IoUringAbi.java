package dev.iocp.core.backend.uring;

/**
 * The io_uring ABI this backend speaks, as numbers: setup flags and features, enter flags, opcodes, and the byte
 * offsets of the kernel's structs (io_uring_params, the ring offsets, io_uring_sqe, io_uring_cqe) and of msghdr.
 * Transcribed from the meaning of include/uapi/linux/io_uring.h and sys/socket.h. Compile-time constants only:
 * using them costs nothing at run time.
 */
final class IoUringAbi {
    private IoUringAbi() {}

    static final int IORING_SETUP_CQSIZE = 1 << 3;
    static final int IORING_SETUP_SUBMIT_ALL = 1 << 7;
    static final int IORING_SETUP_COOP_TASKRUN = 1 << 8;
    static final int IORING_SETUP_TASKRUN_FLAG = 1 << 9;
    static final int IORING_SETUP_R_DISABLED = 1 << 6;
    static final int IORING_SETUP_SINGLE_ISSUER = 1 << 12;
    static final int IORING_SETUP_DEFER_TASKRUN = 1 << 13;
    static final int IORING_SQ_TASKRUN = 1 << 2;
    static final int IORING_FEAT_SINGLE_MMAP = 1;
    static final int IORING_FEAT_NODROP = 1 << 1;
    static final int IORING_FEAT_EXT_ARG = 1 << 8;
    static final int IORING_ENTER_GETEVENTS = 1;
    static final int IORING_ENTER_EXT_ARG = 1 << 3;
    static final int IORING_SQ_CQ_OVERFLOW = 1 << 1;
    static final int IORING_REGISTER_ENABLE_RINGS = 12;
    static final int IORING_REGISTER_SYNC_CANCEL = 24;
    /** Linux 5.19: a ring of provided buffers in our memory (struct io_uring_buf_reg), and its removal. */
    static final int IORING_REGISTER_PBUF_RING = 22;
    static final int IORING_UNREGISTER_PBUF_RING = 23;
    static final int IORING_ASYNC_CANCEL_ALL = 1;
    static final int IORING_ASYNC_CANCEL_FD = 1 << 1;
    static final long IORING_OFF_SQ_RING = 0L;
    static final long IORING_OFF_SQES = 0x10000000L;

    static final byte IORING_OP_POLL_ADD = 6;
    static final byte IORING_OP_SENDMSG = 9;
    static final byte IORING_OP_RECVMSG = 10;
    static final byte IORING_OP_ACCEPT = 13;
    static final byte IORING_OP_CONNECT = 16;
    static final byte IORING_OP_READ = 22;
    static final byte IORING_OP_SEND = 26;
    static final byte IORING_OP_RECV = 27;

    // struct io_uring_params (120 bytes) and its sq_off / cq_off members.
    static final int PARAMS_SIZE = 120;
    static final int P_SQ_ENTRIES = 0;
    static final int P_CQ_ENTRIES = 4;
    static final int P_FLAGS = 8;
    static final int P_FEATURES = 20;
    static final int P_SQ_OFF = 40;
    static final int P_CQ_OFF = 80;
    // io_sqring_offsets: head, tail, ring_mask, ring_entries, flags, dropped, array
    static final int SQ_OFF_HEAD = 0, SQ_OFF_TAIL = 4, SQ_OFF_MASK = 8, SQ_OFF_FLAGS = 16, SQ_OFF_ARRAY = 24;
    // io_cqring_offsets: head, tail, ring_mask, ring_entries, overflow, cqes
    static final int CQ_OFF_HEAD = 0, CQ_OFF_TAIL = 4, CQ_OFF_MASK = 8, CQ_OFF_CQES = 20;

    // struct io_uring_sqe (64 bytes)
    static final int SQE_SIZE = 64;
    static final int SQE_OPCODE = 0;
    static final int SQE_FLAGS = 1;      // u8: IOSQE_*
    static final byte IOSQE_BUFFER_SELECT = 1 << 5;
    static final int SQE_IOPRIO = 2;     // u16; for RECV/SEND: IORING_RECVSEND_* flags
    static final int SQE_FD = 4;
    static final int SQE_OFF = 8;        // off / addr2
    static final int SQE_ADDR = 16;
    static final int SQE_LEN = 24;
    static final int SQE_OP_FLAGS = 28;  // msg_flags, accept_flags, rw_flags
    static final int SQE_USER_DATA = 32;
    static final int SQE_BUF_GROUP = 40; // u16 (union with buf_index): the provided-buffer group to pick from
    // struct io_uring_cqe (16 bytes)
    static final int CQE_SIZE = 16;
    static final int CQE_USER_DATA = 0;
    static final int CQE_RES = 8;
    static final int CQE_FLAGS = 12;
    /** The CQE names a provided buffer: its id is flags >>> IORING_CQE_BUFFER_SHIFT. */
    static final int IORING_CQE_F_BUFFER = 1;
    static final int IORING_CQE_BUFFER_SHIFT = 16;

    // struct io_uring_buf_reg (40 bytes): ring_addr, ring_entries, bgid, flags, resv[3]
    static final int BUF_REG_SIZE = 40;
    static final int BUF_REG_RING_ADDR = 0, BUF_REG_RING_ENTRIES = 8, BUF_REG_BGID = 12;
    // struct io_uring_buf (16 bytes): addr, len, bid, resv; the ring's tail is bufs[0].resv (u16 at offset 14)
    static final int BUF_SIZE = 16;
    static final int BUF_ADDR = 0, BUF_LEN = 8, BUF_BID = 12;
    static final int BUF_RING_TAIL = 14;


    // msghdr (56 bytes) in the op's scratch area: name, namelen, iov, iovlen, control, controllen, flags.
    static final int MSG_NAME = 0;
    static final int MSG_NAMELEN = 8;
    static final int MSG_IOV = 16;
    static final int MSG_IOVLEN = 24;
    static final int MSGHDR_SIZE = 56;
}
