package dev.iocp.race;

import dev.iocp.race.StreamPattern;
import dev.iocp.race.StreamVerifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The verifier itself: it must say exactly where and how a stream went wrong. */
class StreamVerifierTest {
    static final int S = 100;
    static final int N = 8;
    static final StreamPattern P = new StreamPattern(S);

    static byte[] packets(int... seqs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int seq : seqs) {
            byte[] b = new byte[S];
            P.fill((long) seq * S, b, 0, S);
            out.write(b, 0, S);
        }
        return out.toByteArray();
    }

    static byte[] stream() {
        return packets(0, 1, 2, 3, 4, 5, 6, 7);
    }

    /** Feeds {@code b} in chunks of random size (1..maxChunk), seed printed. */
    static StreamVerifier feed(byte[] b, int maxChunk, long seed) {
        StreamVerifier v = new StreamVerifier(P, (long) N * S);
        SplittableRandom rnd = new SplittableRandom(seed);
        int i = 0;
        while (i < b.length) {
            int n = Math.min(b.length - i, 1 + rnd.nextInt(maxChunk));
            v.update(b, i, n);
            i += n;
        }
        v.finish();
        System.out.println("seed " + seed + " chunk<=" + maxChunk + ": " + v);
        return v;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 13, 100, 1000})
    void aCleanStreamIsVerifiedWhateverTheChunking(int maxChunk) {
        StreamVerifier v = feed(stream(), maxChunk, 42);
        assertTrue(v.clean(), v.toString());
        assertEquals(N * S, v.verified());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 1000})
    void aLostPacketIsAJumpInSequenceReportedAtItsBoundary(int maxChunk) {
        StreamVerifier v = feed(packets(0, 1, 3, 4, 5, 6, 7), maxChunk, 1);
        assertEquals(200, v.firstBadOffset());
        assertEquals("first bad offset 200: expected the header of packet 2, found the header of packet 3", v.firstBad());
        assertEquals(S, v.lost());
        assertEquals(7 * S, v.verified());
        assertEquals(0, v.duplicated());
        assertEquals(0, v.reordered());
        assertFalse(v.clean());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 1000})
    void aLossInsidePacketsIsPlacedByTheNextHeader(int maxChunk) {
        byte[] s = stream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(s, 0, 250);
        out.write(s, 420, s.length - 420); // bytes [250, 420) never arrive
        StreamVerifier v = feed(out.toByteArray(), maxChunk, 2);
        assertEquals(250, v.firstBadOffset(), v.firstBad());
        assertEquals(170, v.lost());
        assertEquals(N * S - 170, v.verified());
        assertEquals(0, v.corrupt());
    }

    @Test
    void aRepeatedPacketIsDuplicated() {
        StreamVerifier v = feed(packets(0, 1, 2, 3, 3, 4, 5, 6, 7), 1000, 3);
        assertEquals(400, v.firstBadOffset());
        assertEquals("first bad offset 400: expected the header of packet 4, found the header of packet 3", v.firstBad());
        assertEquals(S, v.duplicated());
        assertEquals(0, v.lost());
        assertEquals(N * S, v.verified());
    }

    @Test
    void aLowerPacketAfterAHigherOneIsReordered() {
        StreamVerifier v = feed(packets(0, 1, 3, 2, 4, 5, 6, 7), 1000, 4);
        assertEquals(200, v.firstBadOffset());
        assertEquals(S, v.reordered());
        assertEquals(0, v.lost());
        assertEquals(0, v.duplicated());
        assertEquals(N * S, v.verified());
    }

    @Test
    void aMissingTailIsLostAtEof() {
        byte[] s = stream();
        StreamVerifier v = new StreamVerifier(P, (long) N * S);
        v.update(s, 0, 555);
        v.finish();
        assertEquals(555, v.firstBadOffset());
        assertEquals(N * S - 555, v.lost());
        assertTrue(v.firstBad().endsWith("found EOF"), v.firstBad());
    }

    @Test
    void aFlippedPayloadByteIsReportedWithExpectedAndFound() {
        byte[] s = stream();
        s[321] ^= 0x01;
        StreamVerifier v = feed(s, 1000, 5);
        assertEquals(321, v.firstBadOffset());
        assertEquals(String.format("first bad offset 321 (packet 3 byte 21): expected 0x%02x, found 0x%02x",
                stream()[321] & 0xFF, s[321] & 0xFF), v.firstBad());
        assertEquals(0, v.lost());
        assertTrue(v.corrupt() > 0);
    }
}
