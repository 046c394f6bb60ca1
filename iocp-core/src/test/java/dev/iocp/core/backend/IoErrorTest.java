package dev.iocp.core.backend;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The packed int: every code, every vocabulary id, native numbers at the bit limits; 0 stays success. */
class IoErrorTest {
    @Test
    void everyCodeVocabularyAndNativeNumberRoundTripsAtTheBitLimits() {
        int[] numbers = {0, 1, 104, 10054, IoError.MAX_NATIVE_NUMBER - 1, IoError.MAX_NATIVE_NUMBER};
        for (ErrorCode code : ErrorCode.values()) {
            for (int vocabulary = 0; vocabulary <= 15; vocabulary++) {
                for (int n : numbers) {
                    int e = IoError.pack(code, vocabulary, n);
                    assertNotEquals(IoError.SUCCESS, e, "an error is never 0");
                    assertTrue(e > 0, "bit 31 stays clear");
                    assertEquals(code, IoError.code(e));
                    assertTrue(IoError.is(e, code));
                    assertEquals(vocabulary, IoError.vocabularyId(e));
                    assertEquals(n, IoError.nativeNumber(e));
                }
            }
        }
    }

    @Test
    void aNativeNumberThatDoesNotFitIsKeptAsTheLargest() {
        assertEquals(IoError.MAX_NATIVE_NUMBER, IoError.nativeNumber(IoError.pack(ErrorCode.OTHER, 1, 0x100000)));
        assertEquals(IoError.MAX_NATIVE_NUMBER, IoError.nativeNumber(IoError.pack(ErrorCode.OTHER, 1, -1)));
        assertEquals(ErrorCode.OTHER, IoError.code(IoError.pack(ErrorCode.OTHER, 1, Integer.MIN_VALUE)));
        assertThrows(IllegalArgumentException.class, () -> IoError.pack(ErrorCode.OTHER, 16, 1));
    }

    @Test
    void successIsZeroAndIsNoCode() {
        assertFalse(IoError.isReset(IoError.SUCCESS));
        assertFalse(IoError.isAborted(IoError.SUCCESS));
        for (ErrorCode code : ErrorCode.values()) {
            assertFalse(IoError.is(IoError.SUCCESS, code));
        }
        assertThrows(IllegalArgumentException.class, () -> IoError.code(IoError.SUCCESS));
        assertEquals("success", IoError.describe(IoError.SUCCESS));
        assertThrows(IllegalArgumentException.class, () -> new IoException("receive", IoError.SUCCESS));
    }

    @Test
    void anErrorWithoutANativeNumberIsNamedByItsCode() {
        int e = IoError.of(ErrorCode.NO_BUFFERS);
        assertEquals(ErrorCode.NO_BUFFERS, IoError.code(e));
        assertEquals(0, IoError.vocabularyId(e));
        assertEquals("NO_BUFFERS", IoError.describe(e));
        assertEquals("send: NO_BUFFERS", new IoException("send", e).getMessage());
    }

    @Test
    void theThinChecksAreTheCodes() {
        assertTrue(IoError.isReset(IoError.of(ErrorCode.RESET)));
        assertFalse(IoError.isReset(IoError.of(ErrorCode.ABORTED)));
        assertTrue(IoError.isAborted(IoError.of(ErrorCode.ABORTED)));
        assertFalse(IoError.isAborted(IoError.of(ErrorCode.NOT_FOUND)));
    }

    /** A vocabulary's constants, as Win32Error and Errno hold theirs. */
    public static final class Numbers {
        public static final int SEVEN = 7;
        public static final int EIGHT = 8;
    }

    public static final class NamedTwice {
        public static final int ONE = 1;
        public static final int UNO = 1;
    }

    @Test
    void aTableNamesItsNumbersAfterTheConstantsAndItsIdIsTakenOnce() {
        // 1 and 2 are Win32's and errno's once their classes are loaded; 15 is free for this test.
        NativeErrors t = NativeErrors.builder(15, "test", "TEST", Numbers.class)
                .means(ErrorCode.TIMED_OUT, Numbers.SEVEN).says("Eight words", Numbers.EIGHT).build();
        assertEquals("SEVEN (7)", IoError.describe(t.error(7)));
        assertEquals(ErrorCode.TIMED_OUT, IoError.code(t.error(7)));
        assertEquals(ErrorCode.OTHER, IoError.code(t.error(8)), "named, but no meaning given");
        assertEquals("Eight words (EIGHT 8)", IoError.describe(t.error(8)), "words first, name and number kept");
        assertEquals(null, t.words(7));
        assertEquals("TEST (9)", IoError.describe(t.error(9)));
        assertThrows(IllegalStateException.class, () -> NativeErrors.builder(15, "again", "X", Numbers.class).build());
        assertThrows(IllegalArgumentException.class, () -> NativeErrors.builder(14, "dup", "X", NamedTwice.class));
        assertThrows(IllegalArgumentException.class,
                () -> NativeErrors.builder(14, "unnamed", "X", Numbers.class).means(ErrorCode.OTHER, 9));
        assertThrows(IllegalArgumentException.class, () -> NativeErrors.builder(14, "twice", "X", Numbers.class)
                .means(ErrorCode.RESET, 7).means(ErrorCode.ABORTED, 7));
        assertThrows(IllegalArgumentException.class,
                () -> NativeErrors.builder(14, "unnamed words", "X", Numbers.class).says("nine", 9));
        assertThrows(IllegalArgumentException.class, () -> NativeErrors.builder(14, "words twice", "X", Numbers.class)
                .says("one", 7).says("two", 7));
    }
}
