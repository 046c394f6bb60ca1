package dev.iocp.race;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks a received race stream byte for byte against {@link StreamPattern}. While the bytes match, it follows the
 * stream. At the first byte that doesn't, it records the first bad offset (what was expected, what was found), then
 * finds the next packet header and re-aligns on it: a jump forward is a loss (those bytes are counted lost until
 * they arrive later, when they count as reordered); a jump back onto bytes already verified is a duplicate. Bytes
 * that can't be placed at all count as corrupt. Not thread-safe: one receiver feeds it.
 */
public final class StreamVerifier {
    private final StreamPattern pattern;
    private final int size;
    /** Bytes the whole stream should have; -1 if unknown. */
    private final long total;

    private long received;   // bytes fed so far (the received-stream offset)
    private long pos;        // stream position of the next byte, as far as we know
    private long highWater;  // 1 + the highest stream position verified
    private long verified;   // distinct stream positions verified
    private long lost;       // positions skipped over and not (yet) seen
    private long duplicated; // bytes verified again at positions already verified
    private long reordered;  // bytes that arrived after a later position had been verified, filling a lost gap
    private long corrupt;    // bytes that could not be placed in the stream
    private final TreeMap<Long, Long> lostRanges = new TreeMap<>(); // start -> end (exclusive)

    private long firstBadOffset = -1;
    private String firstBad;

    private boolean scanning;
    private byte[] skip = new byte[256];
    private int skipLen;
    private long skipStartReceived;

    private byte[] in = new byte[64 * 1024];
    private byte[] expected = new byte[64 * 1024];
    private boolean finished;

    public StreamVerifier(StreamPattern pattern, long totalBytes) {
        this.pattern = pattern;
        this.size = pattern.packetSize();
        this.total = totalBytes;
    }

    /** Checks the buffer's remaining bytes; does not move its position. */
    public void update(ByteBuffer data) {
        int n = data.remaining();
        if (in.length < n) {
            in = new byte[Math.max(n, in.length * 2)];
        }
        data.get(data.position(), in, 0, n);
        update(in, 0, n);
    }

    public void update(byte[] b, int off, int len) {
        int i = off;
        int end = off + len;
        while (i < end) {
            if (scanning) {
                appendSkip(b[i++]);
                received++;
                tryResync();
                continue;
            }
            int packetOff = (int) (pos % size);
            int n;
            if (packetOff == 0) {
                // A header is checked as a whole, so a loss on a packet boundary is reported at the boundary.
                if (end - i < StreamPattern.HEADER) {
                    // Not all of it here yet: keep what there is and wait (the scan buffer doubles as the stash).
                    n = end - i;
                    beginPartialHeader(b, i, n);
                    i += n;
                    continue;
                }
                n = StreamPattern.HEADER;
            } else {
                n = (int) Math.min(end - i, size - packetOff);
            }
            n = Math.min(n, expected.length);
            pattern.fill(pos, expected, 0, n);
            int m = Arrays.mismatch(b, i, i + n, expected, 0, n);
            if (m < 0) {
                commit(pos, n);
                pos += n;
                received += n;
                i += n;
            } else if (packetOff == 0) {
                // The header differs: the whole header is the start of the unplaced bytes.
                badHeader(b, i, received);
                startScan();
                for (int k = 0; k < n; k++) {
                    appendSkip(b[i + k]);
                }
                received += n;
                i += n;
                tryResync();
            } else {
                commit(pos, m);
                pos += m;
                received += m;
                i += m;
                badAt(expected[m], b[i], 0);
                startScan();
                appendSkip(b[i++]);
                received++;
                tryResync();
            }
        }
    }

    /** A header split across deliveries: hold its first bytes as if scanning, then check it as a whole. */
    private void beginPartialHeader(byte[] b, int at, int n) {
        partial = true;
        startScan();
        for (int k = 0; k < n; k++) {
            appendSkip(b[at + k]);
        }
        received += n;
        // The header is complete once 12 bytes are held: tryResync sees it (right seq: no jump, no anomaly).
    }

    private boolean partial; // the scan buffer holds the start of an expected header, not a mismatch (yet)

    private void badAt(byte want, byte found, int inHeader) {
        if (firstBadOffset >= 0) {
            return;
        }
        long at = received + inHeader;
        long seq = pos / size;
        int off = (int) (pos % size) + inHeader;
        firstBadOffset = at;
        firstBad = String.format("first bad offset %d (packet %d byte %d): expected 0x%02x, found 0x%02x",
                at, seq, off, want & 0xFF, found & 0xFF);
    }

    private void badHeader(byte[] b, int at, long receivedOffset) {
        if (firstBadOffset >= 0) {
            return;
        }
        long seq = StreamPattern.parseHeader(b, at);
        StringBuilder hex = new StringBuilder();
        for (int k = 0; k < StreamPattern.HEADER; k++) {
            hex.append(String.format("%02x", b[at + k] & 0xFF));
        }
        firstBadOffset = receivedOffset;
        firstBad = String.format("first bad offset %d: expected the header of packet %d, found %s", receivedOffset,
                pos / size, seq >= 0 ? "the header of packet " + seq : "bytes " + hex);
    }

    private void startScan() {
        scanning = true;
        skipLen = 0;
        skipStartReceived = received;
    }

    private void appendSkip(byte v) {
        if (skipLen == skip.length) {
            if (skip.length >= size + StreamPattern.HEADER) {
                // Longer than any packet and no header: these bytes can't be placed. Keep a header's worth.
                int drop = skipLen - (StreamPattern.HEADER - 1);
                corrupt += drop;
                System.arraycopy(skip, drop, skip, 0, skipLen - drop);
                skipLen -= drop;
                skipStartReceived += drop;
            } else {
                skip = Arrays.copyOf(skip, Math.min(skip.length * 2, size + StreamPattern.HEADER));
            }
        }
        skip[skipLen++] = v;
    }

    /** Looks for a header ending at the newest byte of the scan buffer; re-aligns on it. */
    private void tryResync() {
        if (skipLen < StreamPattern.HEADER) {
            return;
        }
        int at = skipLen - StreamPattern.HEADER;
        long seq = StreamPattern.parseHeader(skip, at);
        if (partial) {
            partial = false;
            long want = pos / size;
            if (seq == want) {
                scanning = false;
                commit(pos, StreamPattern.HEADER);
                pos += StreamPattern.HEADER;
                skipLen = 0;
                return;
            }
            // The held header is not the expected one: report it as the mismatch it is, at the boundary.
            badHeader(skip, 0, skipStartReceived);
        }
        if (seq < 0) {
            return;
        }
        // skip[0..at) are the tail of packet seq-1 (or unplaceable), skip[at..] is packet seq's header.
        scanning = false;
        long headerPos = seq * size;
        long newPos = headerPos - at;
        int placed = 0;
        if (newPos < 0) {
            corrupt += -newPos;
            placed = (int) -newPos;
            newPos = 0;
        }
        jumpTo(newPos);
        byte[] exp = new byte[Math.max(0, at - placed)];
        pattern.fill(pos, exp, 0, exp.length);
        for (int k = placed; k < at; k++) {
            if (skip[k] == exp[k - placed]) {
                commit(pos, 1);
            } else {
                corrupt++;
            }
            pos++;
        }
        commit(pos, StreamPattern.HEADER);
        pos += StreamPattern.HEADER;
        skipLen = 0;
    }

    private void jumpTo(long newPos) {
        if (newPos > pos && newPos > highWater) {
            long from = Math.max(pos, highWater);
            lostRanges.put(from, newPos);
            lost += newPos - from;
            highWater = newPos; // positions below are now either verified or counted lost
        }
        pos = newPos;
    }

    /** Bytes at stream positions [from, from+n) arrived intact. */
    private void commit(long from, long n) {
        long end = from + n;
        if (end <= from) {
            return;
        }
        if (from >= highWater) {
            verified += n;
            highWater = end;
            return;
        }
        long below = Math.min(end, highWater);
        long refilled = 0;
        // Overlap with lost ranges: reordered.
        Map.Entry<Long, Long> e = lostRanges.floorEntry(from);
        Long key = e != null && e.getValue() > from ? e.getKey() : lostRanges.ceilingKey(from);
        while (key != null && key < below) {
            long rs = key;
            long re = lostRanges.get(key);
            long os = Math.max(rs, from);
            long oe = Math.min(re, below);
            if (oe > os) {
                refilled += oe - os;
                lostRanges.remove(key);
                if (rs < os) {
                    lostRanges.put(rs, os);
                }
                if (oe < re) {
                    lostRanges.put(oe, re);
                }
            }
            key = lostRanges.ceilingKey(oe);
        }
        reordered += refilled;
        lost -= refilled;
        verified += refilled;
        duplicated += (below - from) - refilled;
        if (end > highWater) {
            verified += end - highWater;
            highWater = end;
        }
    }

    /** The stream ended (EOF): what never came is lost; what was held unplaced is corrupt. */
    public void finish() {
        if (finished) {
            return;
        }
        finished = true;
        if (scanning) {
            if (partial) {
                long saved = received;
                received = skipStartReceived;
                badAt(pattern.byteAt(pos), skip[0], 0);
                received = saved;
            }
            corrupt += skipLen;
            skipLen = 0;
            scanning = false;
        }
        if (total >= 0 && highWater < total) {
            if (firstBadOffset < 0) {
                firstBadOffset = received;
                firstBad = String.format("first bad offset %d (packet %d byte %d): expected 0x%02x, found EOF",
                        received, pos / size, pos % size, pattern.byteAt(pos) & 0xFF);
            }
            lost += total - highWater;
            lostRanges.put(highWater, total);
            highWater = total;
        }
        if (total >= 0 && received > total && firstBadOffset < 0) {
            firstBadOffset = total;
            firstBad = "first bad offset " + total + ": expected EOF, found more bytes";
        }
    }

    public long received() { return received; }
    public long verified() { return verified; }
    public long lost() { return lost; }
    public long duplicated() { return duplicated; }
    public long reordered() { return reordered; }
    public long corrupt() { return corrupt; }
    public long total() { return total; }
    /** -1 if every byte so far was where it should be. */
    public long firstBadOffset() { return firstBadOffset; }
    public String firstBad() { return firstBad; }

    /** Every expected byte verified once, nothing lost, duplicated, reordered or corrupt. */
    public boolean clean() {
        return firstBadOffset < 0 && lost == 0 && duplicated == 0 && reordered == 0 && corrupt == 0
                && (total < 0 || (verified == total && received == total));
    }

    @Override
    public String toString() {
        return "received=" + received + " verified=" + verified + " lost=" + lost + " duplicated=" + duplicated
                + " reordered=" + reordered + " corrupt=" + corrupt + (firstBad == null ? "" : " " + firstBad);
    }
}
