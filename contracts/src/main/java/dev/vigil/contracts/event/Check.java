package dev.vigil.contracts.event;

import dev.vigil.contracts.serde.InvalidEventException;
import java.time.Duration;

/** Field validation for event constructors: every failure is an {@link InvalidEventException} naming the field. */
public final class Check {

    /** Longest id (run, agent, event) accepted. */
    public static final int MAX_ID_LENGTH = 128;
    /** Longest free-text field (progress message, error) accepted. */
    public static final int MAX_TEXT_LENGTH = 2048;
    /** Longest heartbeat token or agent credential accepted. */
    public static final int MAX_TOKEN_LENGTH = 256;


    private Check() {
    }

    /** Checks the fields every event carries. */
    public static void envelope(String eventId, java.time.Instant occurredAt, int version) {
        id(eventId, "eventId");
        required(occurredAt, "occurredAt");
        version(version);
    }

    /** A required identifier: 1..128 characters of letters, digits and {@code . _ : @ -}. */
    public static String id(String value, String field) {
        required(value, field);
        if (value.length() > MAX_ID_LENGTH || !isId(value)) {
            throw new InvalidEventException(field + " must be 1-" + MAX_ID_LENGTH
                    + " letters, digits or . _ : @ - (starting with a letter or digit), was '" + abbreviate(value) + "'");
        }
        return value;
    }

    /**
     * {@code [A-Za-z0-9][A-Za-z0-9._:@-]*}, by hand: every event's ids are checked, and on the
     * sweeper's hot path a regular expression cost about 6 % of its time.
     */
    private static boolean isId(String value) {
        if (value.isEmpty() || !isAlphanumeric(value.charAt(0))) {
            return false;
        }
        for (int i = 1; i < value.length(); i++) {
            char c = value.charAt(i);
            if (!isAlphanumeric(c) && c != '.' && c != '_' && c != ':' && c != '@' && c != '-') {
                return false;
            }
        }
        return true;
    }

    private static boolean isAlphanumeric(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    /** An identifier that may be null. */
    public static String optionalId(String value, String field) {
        return value == null ? null : id(value, field);
    }

    public static <T> T required(T value, String field) {
        if (value == null) {
            throw new InvalidEventException(field + " is required");
        }
        return value;
    }

    /**
     * A free-text field that may be null: at most {@value #MAX_TEXT_LENGTH} characters that PostgreSQL
     * can store as they are (see {@link #unstorableAt}).
     */
    /** An optional credential: 1..256 printable ASCII characters, no spaces. */
    public static String optionalToken(String value, String field) {
        if (value == null) {
            return null;
        }
        boolean printable = !value.isEmpty() && value.length() <= MAX_TOKEN_LENGTH
                && value.chars().allMatch(c -> c > 0x20 && c < 0x7f);
        if (!printable) {
            throw new InvalidEventException(field + " must be 1-" + MAX_TOKEN_LENGTH
                    + " printable ASCII characters without spaces");
        }
        return value;
    }

    /**
     * {@code value} cut to at most {@code max} characters, never inside a surrogate pair, with {@code mark} appended
     * when it was cut; null stays null. For quoting what a caller sent inside a bounded field or message.
     */
    public static String shortened(String value, int max, String mark) {
        if (value == null || value.length() <= max) {
            return value;
        }
        int end = Character.isHighSurrogate(value.charAt(max - 1)) ? max - 1 : max;
        return value.substring(0, end) + mark;
    }

    public static String text(String value, String field) {
        if (value == null) {
            return null;
        }
        if (value.length() > MAX_TEXT_LENGTH) {
            throw new InvalidEventException(field + " is longer than " + MAX_TEXT_LENGTH + " characters");
        }
        int bad = unstorableAt(value);
        if (bad >= 0) {
            throw new InvalidEventException(field + " has " + describe(value.charAt(bad)) + " at index " + bad
                    + " (control characters other than tab, line feed and carriage return are not allowed)");
        }
        return value;
    }

    /**
     * The index of the first character of {@code value} that PostgreSQL's {@code text} cannot hold as
     * it is, or -1: NUL and the other C0 control characters except tab, line feed and carriage return,
     * and unpaired surrogates (they have no UTF-8 form). A loop, not a regular expression: the sweeper
     * checks every heartbeat's message.
     */
    public static int unstorableAt(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20) {
                if (c != '\t' && c != '\n' && c != '\r') {
                    return i;
                }
            } else if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                    i++;
                } else {
                    return i;
                }
            }
        }
        return -1;
    }

    private static String describe(char c) {
        return (Character.isSurrogate(c) ? "an unpaired surrogate " : "a control character ")
                + String.format("U+%04X", (int) c);
    }

    public static int attempt(int attempt) {
        return atLeastOne(attempt, "attempt");
    }

    public static int atLeastOne(int value, String field) {
        if (value < 1) {
            throw new InvalidEventException(field + " must be >= 1, was " + value);
        }
        return value;
    }

    public static long notNegative(long value, String field) {
        if (value < 0) {
            throw new InvalidEventException(field + " must be >= 0, was " + value);
        }
        return value;
    }

    public static Duration positive(Duration value, String field) {
        required(value, field);
        if (value.isNegative() || value.isZero()) {
            throw new InvalidEventException(field + " must be a positive duration, was " + value);
        }
        return value;
    }

    public static int version(int version) {
        if (version != VigilEvent.VERSION) {
            throw new InvalidEventException("unsupported version " + version + " (this build reads version "
                    + VigilEvent.VERSION + ")");
        }
        return version;
    }

    static String abbreviate(String value) {
        return value.length() <= 40 ? value : value.substring(0, 40) + "...";
    }
}
