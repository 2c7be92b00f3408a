package dev.vigil.contracts.serde;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.vigil.contracts.event.Heartbeat;
import dev.vigil.contracts.event.VigilEvent;
import java.io.IOException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;

/**
 * The heartbeat's fast path: one streaming pass over the bytes, no tree, no data binding. It takes
 * only what is unmistakably a valid heartbeat — the right type and version, every required field
 * present with a value of exactly its JSON type — and answers {@code null} for anything else, which
 * {@link EventJson#read} then hands to the strict tree reader for the verdict and its message. So
 * it accepts nothing the strict reader rejects, and returns what the strict reader would.
 * Heartbeats are the sweeper's hot path; the tree reader cost about 30 % of its time.
 */
final class HeartbeatReader {

    private static final int TYPE = 1;
    private static final int EVENT_ID = 1 << 1;
    private static final int RUN_ID = 1 << 2;
    private static final int ATTEMPT = 1 << 3;
    private static final int SEQ = 1 << 4;
    private static final int OCCURRED_AT = 1 << 5;
    private static final int VERSION = 1 << 6;
    private static final int REQUIRED = TYPE | EVENT_ID | RUN_ID | ATTEMPT | SEQ | OCCURRED_AT | VERSION;

    private final JsonFactory factory;

    HeartbeatReader(JsonFactory factory) {
        this.factory = factory;
    }

    /** The heartbeat in {@code data}, or null when the strict reader must decide. */
    Heartbeat tryRead(byte[] data) {
        if (data == null || data.length > EventJson.MAX_RECORD_BYTES) {
            return null;
        }
        try (JsonParser parser = factory.createParser(data)) {
            return read(parser);
        } catch (IOException | RuntimeException notPlain) {
            return null;
        }
    }

    private static Heartbeat read(JsonParser p) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            return null;
        }
        String type = null;
        String eventId = null;
        String runId = null;
        String agentId = null;
        String message = null;
        String credential = null;
        String occurredAt = null;
        int attempt = 0;
        int version = 0;
        long seq = 0;
        Long steps = null;
        int seen = 0;
        JsonToken token;
        while ((token = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "type" -> {
                    if (value != JsonToken.VALUE_STRING) {
                        return null;
                    }
                    type = p.getText();
                    seen |= TYPE;
                }
                case "eventId" -> {
                    if (value != JsonToken.VALUE_STRING) {
                        return null;
                    }
                    eventId = p.getText();
                    seen |= EVENT_ID;
                }
                case "runId" -> {
                    if (value != JsonToken.VALUE_STRING) {
                        return null;
                    }
                    runId = p.getText();
                    seen |= RUN_ID;
                }
                case "occurredAt" -> {
                    if (value != JsonToken.VALUE_STRING) {
                        return null;
                    }
                    occurredAt = p.getText();
                    seen |= OCCURRED_AT;
                }
                case "attempt" -> {
                    if (!isInt(p, value)) {
                        return null;
                    }
                    attempt = p.getIntValue();
                    seen |= ATTEMPT;
                }
                case "version" -> {
                    if (!isInt(p, value)) {
                        return null;
                    }
                    version = p.getIntValue();
                    seen |= VERSION;
                }
                case "seq" -> {
                    if (!isLong(p, value)) {
                        return null;
                    }
                    seq = p.getLongValue();
                    seen |= SEQ;
                }
                case "steps" -> {
                    if (value == JsonToken.VALUE_NULL) {
                        steps = null;
                    } else if (isLong(p, value)) {
                        steps = p.getLongValue();
                    } else {
                        return null;
                    }
                }
                case "agentId" -> {
                    if (value != JsonToken.VALUE_NULL && value != JsonToken.VALUE_STRING) {
                        return null;
                    }
                    agentId = value == JsonToken.VALUE_NULL ? null : p.getText();
                }
                case "message" -> {
                    if (value != JsonToken.VALUE_NULL && value != JsonToken.VALUE_STRING) {
                        return null;
                    }
                    message = value == JsonToken.VALUE_NULL ? null : p.getText();
                }
                case "token" -> {
                    if (value != JsonToken.VALUE_NULL && value != JsonToken.VALUE_STRING) {
                        return null;
                    }
                    credential = value == JsonToken.VALUE_NULL ? null : p.getText();
                }
                default -> p.skipChildren(); // a field it does not know: tolerated, as by the strict reader
            }
        }
        if (token != JsonToken.END_OBJECT || p.nextToken() != null) {
            return null;
        }
        if (seen != REQUIRED || !"Heartbeat".equals(type) || version != VigilEvent.VERSION) {
            return null;
        }
        Instant at = instant(occurredAt);
        if (at == null) {
            return null;
        }
        return new Heartbeat(eventId, runId, attempt, agentId, seq, steps, message, credential, at, version);
    }

    /**
     * {@code yyyy-MM-ddTHH:mm:ss[.fraction]Z}, the form every Vigil client writes, read by hand
     * ({@link Instant#parse} was a third of this reader's time); any other form goes through
     * {@link Instant#parse}, and null if that fails too.
     */
    static Instant instant(String text) {
        int length = text.length();
        if (length >= 20 && length <= 30 && text.charAt(4) == '-' && text.charAt(7) == '-' && text.charAt(10) == 'T'
                && text.charAt(13) == ':' && text.charAt(16) == ':' && text.charAt(length - 1) == 'Z') {
            int year = digits(text, 0, 4);
            int month = digits(text, 5, 7);
            int day = digits(text, 8, 10);
            int hour = digits(text, 11, 13);
            int minute = digits(text, 14, 16);
            int second = digits(text, 17, 19);
            int nanos = 0;
            boolean plain = year >= 0 && month >= 1 && month <= 12 && day >= 1 && hour >= 0 && hour < 24
                    && minute >= 0 && minute < 60 && second >= 0 && second < 60;
            if (plain && length > 20) {
                int fraction = length - 21; // between the '.' and the 'Z'
                plain = text.charAt(19) == '.' && fraction >= 1 && fraction <= 9;
                if (plain) {
                    nanos = digits(text, 20, length - 1);
                    plain = nanos >= 0;
                    for (int i = fraction; i < 9 && plain; i++) {
                        nanos *= 10;
                    }
                }
            }
            if (plain) {
                try {
                    long days = LocalDate.of(year, month, day).toEpochDay();
                    return Instant.ofEpochSecond(days * 86_400 + hour * 3_600L + minute * 60L + second, nanos);
                } catch (DateTimeException noSuchDay) {
                    // February 30th and the like: Instant.parse below gives the same verdict
                }
            }
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** The decimal number in {@code text[from, to)}, or -1 if it is not all ASCII digits. */
    private static int digits(String text, int from, int to) {
        int value = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    private static boolean isInt(JsonParser p, JsonToken value) throws IOException {
        return value == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT;
    }

    private static boolean isLong(JsonParser p, JsonToken value) throws IOException {
        return value == JsonToken.VALUE_NUMBER_INT && (p.getNumberType() == JsonParser.NumberType.INT
                || p.getNumberType() == JsonParser.NumberType.LONG);
    }
}
