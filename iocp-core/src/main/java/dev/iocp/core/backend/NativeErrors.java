package dev.iocp.core.backend;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * One native error vocabulary as a table: for each native number its name and the {@link ErrorCode} it means. The
 * Win32/Winsock table lives with the Win32 bindings ({@code Win32Error.ERRORS}), the errno table with the io_uring
 * backend ({@code Errno.ERRORS}); a backend turns a native number into the SPI's packed error with
 * {@link #error(int)} (or {@link #exception}) at the one point where that number enters the SPI, and nowhere
 * else.
 *
 * <p>A number without a row means {@link ErrorCode#OTHER} and is named {@code unknownName}. Looking a number up
 * allocates nothing (sorted arrays, binary search), so a failed packet costs no garbage.
 *
 * <p>Some rows also carry <em>words</em> ({@link Builder#says}): the phrase code written for other transports
 * matches in messages to classify an error — Reactor Netty and Spring decide "the client went away" by
 * {@code Connection reset by peer} and {@code Broken pipe}, which is what Linux's strerror, and so the JDK and
 * Netty's native transports, put in theirs. Such a row reads {@code "Connection reset by peer (WSAECONNRESET 10054)"}
 * ({@link #describe}): the words first, the native name and number kept beside them.
 *
 * <p>Each table has a process-wide id (1 to 15) that {@link IoError} packs with the number, so that a packed error
 * can be named again wherever it is read; a table registers itself when it is built.
 */
public final class NativeErrors {
    private static final NativeErrors[] BY_ID = new NativeErrors[IoError.VOCABULARY_BITS + 1];

    private final int id;
    private final String vocabulary;
    private final String unknownName;
    private final int[] numbers;
    private final String[] names;
    private final ErrorCode[] codes;
    /** Per row, the words frameworks match (see the class comment), or null. */
    private final String[] words;
    private final int[] packed;
    /** The order rows were given in: the first row of a code is its {@link #nativeNumberFor}. */
    private final int[] order;

    private NativeErrors(int id, String vocabulary, String unknownName, TreeMap<Integer, Row> rows) {
        this.id = id;
        this.vocabulary = vocabulary;
        this.unknownName = unknownName;
        int n = rows.size();
        numbers = new int[n];
        names = new String[n];
        codes = new ErrorCode[n];
        words = new String[n];
        packed = new int[n];
        order = new int[n];
        int i = 0;
        for (Map.Entry<Integer, Row> e : rows.entrySet()) {
            numbers[i] = e.getKey();
            names[i] = e.getValue().name;
            codes[i] = e.getValue().code;
            words[i] = e.getValue().words;
            packed[i] = IoError.pack(codes[i], id, numbers[i]);
            order[i] = e.getValue().order;
            i++;
        }
    }

    private record Row(String name, ErrorCode code, String words, int order) {}

    /**
     * Starts a table whose names are those of {@code constants}' public static final int fields (the vocabulary's
     * number constants: {@code WSAECONNRESET = 10054} names 10054 "WSAECONNRESET"), so that a number and its name
     * are written once. {@code id} must be unused in this process (see the class comment).
     *
     * @param id the vocabulary's id in packed errors (4 bits)
     * @param vocabulary its name in messages ("Win32", "errno")
     * @param unknownName the name shown for a number the table does not know
     * @param constants the class whose int constants name the numbers
     * @return the builder
     */
    public static Builder builder(int id, String vocabulary, String unknownName, Class<?> constants) {
        return new Builder(id, vocabulary, unknownName, constants);
    }

    /** Says what the named numbers mean; {@link #build()} registers the table under its id. */
    public static final class Builder {
        private final int id;
        private final String vocabulary;
        private final String unknownName;
        private final TreeMap<Integer, String> names = new TreeMap<>();
        private final Map<Integer, ErrorCode> meanings = new HashMap<>();
        private final Map<Integer, Integer> order = new HashMap<>();
        private final Map<Integer, String> words = new HashMap<>();

        private Builder(int id, String vocabulary, String unknownName, Class<?> constants) {
            if (id < 1 || id > IoError.VOCABULARY_BITS) {
                throw new IllegalArgumentException("vocabulary id " + id + " is not in 1.." + IoError.VOCABULARY_BITS);
            }
            this.id = id;
            this.vocabulary = vocabulary;
            this.unknownName = unknownName;
            for (Field f : constants.getFields()) {
                int m = f.getModifiers();
                if (f.getType() != int.class || !Modifier.isStatic(m) || !Modifier.isFinal(m)) {
                    continue;
                }
                int number;
                try {
                    number = f.getInt(null);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
                if (number < 0 || number > IoError.MAX_NATIVE_NUMBER) {
                    throw new IllegalArgumentException(f.getName() + " = " + number + " does not fit a packed error");
                }
                String other = names.putIfAbsent(number, f.getName());
                if (other != null) {
                    throw new IllegalArgumentException(vocabulary + " " + number + " is named twice: " + other
                            + " and " + f.getName());
                }
            }
        }

        /**
         * Each of {@code numbers} means {@code code}; the first is the number that stands for the code
         * ({@link #nativeNumberFor}). A named number no call mentions means {@link ErrorCode#OTHER}.
         *
         * @param code the code
         * @param numbers the native numbers that mean it
         * @return this builder
         * @throws IllegalArgumentException if a number has no name, or already means a code
         */
        public Builder means(ErrorCode code, int... numbers) {
            for (int n : numbers) {
                if (!names.containsKey(n)) {
                    throw new IllegalArgumentException(vocabulary + " " + n + " has no name");
                }
                if (meanings.putIfAbsent(n, code) != null) {
                    throw new IllegalArgumentException(vocabulary + " " + names.get(n) + " means two things");
                }
                order.put(n, order.size());
            }
            return this;
        }

        /**
         * Each of {@code numbers} reads with {@code phrase} before its name and number (see the class comment).
         *
         * @param phrase the words, as Linux's strerror (and so the JDK) says them: {@code "Connection reset by peer"}
         * @param numbers the native numbers that read so
         * @return this builder
         * @throws IllegalArgumentException if a number has no name, or already has words
         */
        public Builder says(String phrase, int... numbers) {
            for (int n : numbers) {
                if (!names.containsKey(n)) {
                    throw new IllegalArgumentException(vocabulary + " " + n + " has no name");
                }
                if (words.putIfAbsent(n, phrase) != null) {
                    throw new IllegalArgumentException(vocabulary + " " + names.get(n) + " is given words twice");
                }
            }
            return this;
        }

        /**
         * The table, registered under its id for {@link IoError}'s messages.
         *
         * @return the table
         * @throws IllegalStateException if another table has that id
         */
        public NativeErrors build() {
            TreeMap<Integer, Row> rows = new TreeMap<>();
            names.forEach((n, name) -> rows.put(n, new Row(name, meanings.getOrDefault(n, ErrorCode.OTHER),
                    words.get(n), order.getOrDefault(n, Integer.MAX_VALUE))));
            NativeErrors table = new NativeErrors(id, vocabulary, unknownName, rows);
            synchronized (BY_ID) {
                if (BY_ID[id] != null) {
                    throw new IllegalStateException("vocabulary id " + id + " is taken by " + BY_ID[id].vocabulary);
                }
                BY_ID[id] = table;
            }
            return table;
        }
    }

    /** The table registered under {@code id}, or null. */
    static NativeErrors byId(int id) {
        return id > 0 && id < BY_ID.length ? BY_ID[id] : null;
    }

    /** {@return the vocabulary's id, as packed errors carry it} */
    public int id() {
        return id;
    }

    /** {@return {@code "Win32"}, {@code "errno"}: for messages} */
    public String vocabulary() {
        return vocabulary;
    }

    /**
     * {@return the SPI's packed error for {@code nativeNumber}; never {@link IoError#SUCCESS}, whatever the number}
     *
     * @param nativeNumber a number of this vocabulary
     */
    public int error(int nativeNumber) {
        int i = Arrays.binarySearch(numbers, nativeNumber);
        return i >= 0 ? packed[i] : IoError.pack(ErrorCode.OTHER, id, nativeNumber);
    }

    /**
     * {@return a failed call as the SPI reports it: {@code "bind /127.0.0.1:80: EADDRINUSE (98)"}}
     *
     * @param call the call, in the library's words
     * @param nativeNumber a number of this vocabulary
     */
    public IoException exception(String call, int nativeNumber) {
        return new IoException(call, error(nativeNumber));
    }

    /**
     * {@return the code {@code nativeNumber} means; {@link ErrorCode#OTHER} for a number no row names}
     *
     * @param nativeNumber a number of this vocabulary
     */
    public ErrorCode code(int nativeNumber) {
        int i = Arrays.binarySearch(numbers, nativeNumber);
        return i >= 0 ? codes[i] : ErrorCode.OTHER;
    }

    /**
     * {@return its symbolic name ({@code "WSAECONNRESET"}), or the table's name for an unknown number}
     *
     * @param nativeNumber a number of this vocabulary
     */
    public String name(int nativeNumber) {
        int i = Arrays.binarySearch(numbers, nativeNumber);
        return i >= 0 ? names[i] : unknownName;
    }

    /**
     * {@return the words frameworks match for {@code nativeNumber} ({@code "Connection reset by peer"}), or null}
     *
     * @param nativeNumber a number of this vocabulary
     */
    public String words(int nativeNumber) {
        int i = Arrays.binarySearch(numbers, nativeNumber);
        return i >= 0 ? words[i] : null;
    }

    /**
     * How a person (and a framework matching words) reads {@code nativeNumber}: the row's words, then the native
     * name and number, {@code "Connection reset by peer (WSAECONNRESET 10054)"}; for a row without words, the name
     * and the number, {@code "WSAEADDRINUSE (10048)"}.
     *
     * @param nativeNumber a number of this vocabulary
     * @return the text
     */
    public String describe(int nativeNumber) {
        String phrase = words(nativeNumber);
        return phrase != null ? phrase + " (" + name(nativeNumber) + " " + nativeNumber + ")"
                : name(nativeNumber) + " (" + nativeNumber + ")";
    }

    /**
     * The native number that stands for {@code code} in this vocabulary (its first row), for code that has to
     * produce an error the way the kernel would (fault injection); -1 if no row means {@code code}, and always
     * for {@link ErrorCode#OTHER}, which means "none of the others" and so has no one number standing for it.
     *
     * @param code the code
     * @return the number, or -1
     */
    public int nativeNumberFor(ErrorCode code) {
        if (code == ErrorCode.OTHER) {
            return -1;
        }
        int best = -1;
        int bestOrder = Integer.MAX_VALUE;
        for (int i = 0; i < numbers.length; i++) {
            if (codes[i] == code && order[i] < bestOrder) {
                best = numbers[i];
                bestOrder = order[i];
            }
        }
        return best;
    }

    /** {@return the rows, number → code, in number order (for the tables' tests)} */
    public Map<Integer, ErrorCode> codes() {
        TreeMap<Integer, ErrorCode> m = new TreeMap<>();
        for (int i = 0; i < numbers.length; i++) {
            m.put(numbers[i], codes[i]);
        }
        return m;
    }

    @Override
    public String toString() {
        return vocabulary + " errors (" + numbers.length + " rows)";
    }
}
