package dev.iocp.core.backend;

/**
 * An error as it travels through the SPI: one {@code int}, so that a completion allocates nothing and
 * {@link CompletionHandler#onCompletion(Op, int, int)} keeps its shape. {@code 0} is success; anything else packs
 * <pre>
 *   bit  31     0
 *   bits 24..30 the {@link ErrorCode}'s ordinal + 1 (so an error is never 0)
 *   bits 20..23 the native vocabulary's id ({@link NativeErrors#id()}; 0: none)
 *   bits  0..19 the native number (a Win32 error, an errno); one outside 0..0xFFFFF is kept as 0xFFFFF
 * </pre>
 * A backend makes these with {@link NativeErrors#error(int)} at its one egress point; the transport reads
 * {@link #code}; a person (or a framework matching words) reads {@link #describe}:
 * {@code "Connection reset by peer (WSAECONNRESET 10054)"} on Win32,
 * {@code "Connection reset by peer (ECONNRESET 104)"} on io_uring.
 */
public final class IoError {
    private IoError() {}

    /** No error. */
    public static final int SUCCESS = 0;

    static final int CODE_SHIFT = 24;
    static final int CODE_BITS = 0x7F;
    static final int VOCABULARY_SHIFT = 20;
    static final int VOCABULARY_BITS = 0xF;
    /** The largest native number a packed error can carry (and what a larger or negative one becomes). */
    public static final int MAX_NATIVE_NUMBER = 0xFFFFF;

    /** {@code values()} copies its array at each call: read this one instead. */
    private static final ErrorCode[] CODES = ErrorCode.values();

    static {
        if (CODES.length > CODE_BITS - 1) {
            throw new AssertionError(CODES.length + " error codes do not fit in 7 bits");
        }
    }

    /** Packs {@code code} with the native number of the vocabulary {@code vocabularyId} (0: no native number). */
    static int pack(ErrorCode code, int vocabularyId, int nativeNumber) {
        if (vocabularyId < 0 || vocabularyId > VOCABULARY_BITS) {
            throw new IllegalArgumentException("vocabulary id " + vocabularyId + " does not fit in 4 bits");
        }
        int n = nativeNumber >= 0 && nativeNumber <= MAX_NATIVE_NUMBER ? nativeNumber : MAX_NATIVE_NUMBER;
        return ((code.ordinal() + 1) << CODE_SHIFT) | (vocabularyId << VOCABULARY_SHIFT) | n;
    }

    /**
     * {@return an error with no native number behind it (a condition the library itself detected)}
     *
     * @param code the code
     */
    public static int of(ErrorCode code) {
        return pack(code, 0, 0);
    }

    /**
     * {@return the error's code; {@code error} must not be {@link #SUCCESS}}
     *
     * @param error a packed error
     */
    public static ErrorCode code(int error) {
        int c = (error >>> CODE_SHIFT) & CODE_BITS;
        if (c == 0 || c > CODES.length) {
            throw new IllegalArgumentException(error == SUCCESS ? "0 is success, not an error"
                    : "not a packed error: 0x" + Integer.toHexString(error));
        }
        return CODES[c - 1];
    }

    /**
     * {@return whether {@code error} is a failure with this code ({@code false} for success)}
     *
     * @param error a packed error or 0
     * @param code the code to test for
     */
    public static boolean is(int error, ErrorCode code) {
        return ((error >>> CODE_SHIFT) & CODE_BITS) == code.ordinal() + 1;
    }

    /**
     * {@return whether the peer reset the connection ({@link ErrorCode#RESET})}
     *
     * @param error a packed error or 0
     */
    public static boolean isReset(int error) {
        return is(error, ErrorCode.RESET);
    }

    /**
     * {@return whether the op was cancelled or its socket closed under it ({@link ErrorCode#ABORTED})}
     *
     * @param error a packed error or 0
     */
    public static boolean isAborted(int error) {
        return is(error, ErrorCode.ABORTED);
    }

    /**
     * {@return the id of the vocabulary the native number is in; 0 if there is none}
     *
     * @param error a packed error
     */
    public static int vocabularyId(int error) {
        return (error >>> VOCABULARY_SHIFT) & VOCABULARY_BITS;
    }

    /**
     * {@return the native number: a Win32 error on Win32 and the simulated backend, an errno on io_uring}
     *
     * @param error a packed error
     */
    public static int nativeNumber(int error) {
        return error & MAX_NATIVE_NUMBER;
    }

    /**
     * {@return the native name ({@code "WSAECONNRESET"}, {@code "ECONNRESET"}), or the code's name if there is none}
     *
     * @param error a packed error
     */
    public static String nativeName(int error) {
        NativeErrors vocabulary = NativeErrors.byId(vocabularyId(error));
        return vocabulary != null ? vocabulary.name(nativeNumber(error)) : code(error).name();
    }

    /**
     * The one way an error is shown to a person: the words frameworks match where its vocabulary has them, then the
     * native name and number, {@code "Connection reset by peer (WSAECONNRESET 10054)"},
     * {@code "Broken pipe (EPIPE 32)"}; the name and number alone where it has none, {@code "EADDRINUSE (98)"}
     * ({@link NativeErrors#describe}); the code alone ({@code "NO_BUFFERS"}) if there is no native number;
     * {@code "success"} for 0.
     *
     * @param error a packed error or 0
     * @return the text
     */
    public static String describe(int error) {
        if (error == SUCCESS) {
            return "success";
        }
        NativeErrors vocabulary = NativeErrors.byId(vocabularyId(error));
        return vocabulary != null ? vocabulary.describe(nativeNumber(error)) : code(error).name();
    }
}
