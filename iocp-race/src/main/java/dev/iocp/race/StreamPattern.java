package dev.iocp.race;

/**
 * The race stream: packets of a fixed size, each a 12-byte header (4 magic bytes {@code FF FE FD FC}, then the
 * sequence number in 8 groups of 7 bits, each byte below 0x80) followed by payload bytes derived from (seq, offset),
 * all below 0x80. So every byte of the stream is a function of its position, and a header can be found again after a
 * loss: the magic is the only place bytes of 0x80 and above occur.
 */
public final class StreamPattern {
    public static final int HEADER = 12;
    private static final byte[] MAGIC = {(byte) 0xFF, (byte) 0xFE, (byte) 0xFD, (byte) 0xFC};

    private final int size;

    public StreamPattern(int packetSize) {
        if (packetSize < HEADER + 1) {
            throw new IllegalArgumentException("packet size must be at least " + (HEADER + 1) + " bytes, got " + packetSize);
        }
        this.size = packetSize;
    }

    public int packetSize() {
        return size;
    }

    /** The byte at stream position {@code pos}. */
    public byte byteAt(long pos) {
        return byteOf(pos / size, (int) (pos % size));
    }

    public byte byteOf(long seq, int off) {
        if (off < 4) {
            return MAGIC[off];
        }
        if (off < HEADER) {
            return (byte) ((seq >>> (7 * (off - 4))) & 0x7F);
        }
        return (byte) ((word(seq, off >>> 3) >>> ((off & 7) << 3)) & 0x7F);
    }

    private static long word(long seq, int index) {
        long x = seq * 0x9E3779B97F4A7C15L + index * 0xC2B2AE3D27D4EB4FL + 0x165667B19E3779F9L;
        x ^= x >>> 31;
        x *= 0xBF58476D1CE4E5B9L;
        x ^= x >>> 29;
        return x;
    }

    /** Writes the stream bytes at positions {@code [pos, pos+len)} into {@code dst[dstOff..]}. */
    public void fill(long pos, byte[] dst, int dstOff, int len) {
        long seq = pos / size;
        int off = (int) (pos % size);
        int i = 0;
        while (i < len) {
            if (off < HEADER) {
                dst[dstOff + i++] = byteOf(seq, off++);
            } else if ((off & 7) == 0 && off + 8 <= size && len - i >= 8) {
                long w = word(seq, off >>> 3);
                for (int k = 0; k < 8; k++) {
                    dst[dstOff + i + k] = (byte) ((w >>> (k << 3)) & 0x7F);
                }
                i += 8;
                off += 8;
            } else {
                dst[dstOff + i++] = byteOf(seq, off++);
            }
            if (off == size) {
                off = 0;
                seq++;
            }
        }
    }

    /** The sequence number of a header at {@code b[at..at+12)}, or -1 if those bytes are not a header. */
    public static long parseHeader(byte[] b, int at) {
        for (int i = 0; i < 4; i++) {
            if (b[at + i] != MAGIC[i]) {
                return -1;
            }
        }
        long seq = 0;
        for (int i = 0; i < 8; i++) {
            int v = b[at + 4 + i];
            if (v < 0) {
                return -1;
            }
            seq |= ((long) v) << (7 * i);
        }
        return seq;
    }
}
