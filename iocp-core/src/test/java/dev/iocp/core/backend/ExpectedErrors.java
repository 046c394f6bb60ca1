package dev.iocp.core.backend;

import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A vocabulary's table as a test expects it, written by meaning: one line per code, each number with its name
 * ({@code "WSAECONNRESET 10054"}), spelled out independently of the constants so that a wrong constant fails too.
 * {@link #check} fails if the table has a row more, a row less, or a row with another name, code or words.
 */
public final class ExpectedErrors {
    private final Map<Integer, ErrorCode> codes = new TreeMap<>();
    private final Map<Integer, String> names = new TreeMap<>();
    private final Map<Integer, String> words = new TreeMap<>();

    public ExpectedErrors means(ErrorCode code, String... namesAndNumbers) {
        for (String entry : namesAndNumbers) {
            String[] parts = entry.split(" ");
            int number = Integer.parseInt(parts[1]);
            if (codes.put(number, code) != null) {
                throw new IllegalArgumentException("expected twice: " + entry);
            }
            names.put(number, parts[0]);
        }
        return this;
    }

    /** These rows read with {@code phrase} (each given as {@code "NAME number"}, as in {@link #means}). */
    public ExpectedErrors says(String phrase, String... namesAndNumbers) {
        for (String entry : namesAndNumbers) {
            if (words.put(Integer.parseInt(entry.split(" ")[1]), phrase) != null) {
                throw new IllegalArgumentException("words expected twice: " + entry);
            }
        }
        return this;
    }

    public void check(NativeErrors table) {
        assertEquals(codes, table.codes(), "the table's rows and their codes");
        names.forEach((n, name) -> {
            assertEquals(name, table.name(n));
            int packed = table.error(n);
            assertEquals(codes.get(n), IoError.code(packed), name);
            assertEquals(table.id(), IoError.vocabularyId(packed), name);
            assertEquals(n, IoError.nativeNumber(packed), name);
            assertEquals(name, IoError.nativeName(packed));
            String phrase = words.get(n);
            assertEquals(phrase, table.words(n), name);
            assertEquals(phrase != null ? phrase + " (" + name + " " + n + ")" : name + " (" + n + ")",
                    IoError.describe(packed));
        });
    }
}
