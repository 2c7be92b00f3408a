package dev.vigil.contracts.serde;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.vigil.contracts.event.Heartbeat;
import dev.vigil.contracts.event.Nullable;
import dev.vigil.contracts.event.VigilEvent;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The JSON form of Vigil events: strict on what it reads (no coercion of {@code "5"} to 5, every
 * required field present, a known type and version) and tolerant of fields it does not know, so a
 * newer producer's additions do not break an older consumer.
 */
public final class EventJson {

    /** The largest record value accepted, in bytes. */
    public static final int MAX_RECORD_BYTES = 64 * 1024;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build();
    private static final ObjectWriter WRITER = MAPPER.writerFor(VigilEvent.class);

    private static final Map<String, Class<? extends VigilEvent>> TYPES = Arrays
            .stream(VigilEvent.class.getAnnotation(JsonSubTypes.class).value())
            .collect(Collectors.toUnmodifiableMap(t -> t.value().getSimpleName(),
                    t -> t.value().asSubclass(VigilEvent.class)));
    private static final Map<Class<?>, List<String>> REQUIRED = new ConcurrentHashMap<>();
    /** One reader per type: binding through {@code treeToValue} resolved the type on every record. */
    private static final Map<Class<?>, ObjectReader> READERS = new ConcurrentHashMap<>();
    private static final HeartbeatReader HEARTBEATS = new HeartbeatReader(MAPPER.getFactory());

    private EventJson() {
    }

    /** Every event type by its name. */
    public static Map<String, Class<? extends VigilEvent>> types() {
        return TYPES;
    }

    /** The fields a record of {@code type} must carry (besides {@code type}): its components not marked {@link Nullable}. */
    public static List<String> requiredFields(Class<?> type) {
        return REQUIRED.computeIfAbsent(type, t -> Arrays.stream(t.getRecordComponents())
                .filter(c -> !c.isAnnotationPresent(Nullable.class))
                .map(RecordComponent::getName)
                .toList());
    }

    /** A mapper configured like the serde's, for tests and tools. */
    public static ObjectMapper mapper() {
        return MAPPER.copy();
    }

    public static byte[] write(VigilEvent event) {
        try {
            byte[] bytes = WRITER.writeValueAsBytes(event);
            if (bytes.length > MAX_RECORD_BYTES) {
                throw new InvalidEventException(event.type() + " of " + bytes.length + " bytes exceeds the limit of "
                        + MAX_RECORD_BYTES + " bytes");
            }
            return bytes;
        } catch (JsonProcessingException e) {
            throw new InvalidEventException("cannot write " + event.type() + ": " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Reads one event and checks it is a {@code expected}.
     *
     * @throws InvalidEventException with a message saying what is wrong, for anything but a valid event
     */
    public static <T extends VigilEvent> T read(byte[] data, Class<T> expected) {
        if (expected == Heartbeat.class) {
            Heartbeat fast = HEARTBEATS.tryRead(data);
            if (fast != null) {
                return expected.cast(fast);
            }
        }
        return readStrictly(data, expected);
    }

    /** The strict reader: a tree, checked field by field, then bound; every failure says what is wrong. */
    static <T extends VigilEvent> T readStrictly(byte[] data, Class<T> expected) {
        if (data == null) {
            throw new InvalidEventException("the record has no value");
        }
        if (data.length > MAX_RECORD_BYTES) {
            throw new InvalidEventException("record of " + data.length + " bytes exceeds the limit of "
                    + MAX_RECORD_BYTES + " bytes");
        }
        JsonNode tree;
        try {
            tree = MAPPER.readTree(data);
        } catch (IOException e) {
            throw new InvalidEventException("not valid JSON: " + firstLine(e.getMessage()), e);
        }
        if (tree == null || !tree.isObject()) {
            throw new InvalidEventException("expected a JSON object, got " + (tree == null ? "nothing" : tree.getNodeType()));
        }
        Class<? extends T> type = typeOf(tree, expected);
        JsonNode version = tree.get("version");
        if (version == null || !version.isInt()) {
            throw new InvalidEventException("missing or non-integer field 'version'");
        }
        if (version.intValue() != VigilEvent.VERSION) {
            throw new InvalidEventException("unsupported version " + version.intValue() + " of " + type.getSimpleName()
                    + " (this build reads version " + VigilEvent.VERSION + ")");
        }
        for (String field : requiredFields(type)) {
            JsonNode value = tree.get(field);
            if (value == null || value.isNull()) {
                throw new InvalidEventException(type.getSimpleName() + " is missing required field '" + field + "'");
            }
        }
        try {
            return READERS.computeIfAbsent(type, MAPPER::readerFor).readValue(tree);
        } catch (ValueInstantiationException e) {
            if (e.getCause() instanceof InvalidEventException invalid) {
                throw new InvalidEventException(type.getSimpleName() + ": " + invalid.getMessage(), invalid);
            }
            throw new InvalidEventException(type.getSimpleName() + ": " + firstLine(e.getOriginalMessage()), e);
        } catch (JsonMappingException e) {
            if (e.getCause() instanceof InvalidEventException invalid) {
                throw new InvalidEventException(type.getSimpleName() + ": " + invalid.getMessage(), invalid);
            }
            throw new InvalidEventException(type.getSimpleName() + " field '" + path(e) + "' has the wrong type or value: "
                    + firstLine(e.getOriginalMessage()), e);
        } catch (JsonProcessingException e) {
            throw new InvalidEventException(type.getSimpleName() + ": " + firstLine(e.getOriginalMessage()), e);
        } catch (IOException e) {
            throw new InvalidEventException(type.getSimpleName() + ": " + firstLine(e.getMessage()), e);
        }
    }

    private static <T extends VigilEvent> Class<? extends T> typeOf(JsonNode tree, Class<T> expected) {
        JsonNode typeNode = tree.get("type");
        if (typeNode == null || !typeNode.isTextual()) {
            throw new InvalidEventException("missing or non-string field 'type'");
        }
        Class<? extends VigilEvent> type = TYPES.get(typeNode.textValue());
        if (type == null) {
            throw new InvalidEventException("unknown type '" + typeNode.textValue() + "'");
        }
        if (!expected.isAssignableFrom(type)) {
            throw new InvalidEventException("type '" + type.getSimpleName() + "' does not belong here: expected "
                    + expected.getSimpleName() + " (" + namesOf(expected) + ")");
        }
        return type.asSubclass(expected);
    }

    private static String namesOf(Class<?> expected) {
        Map<String, Class<?>> sorted = new LinkedHashMap<>();
        TYPES.entrySet().stream().filter(e -> expected.isAssignableFrom(e.getValue())).sorted(Map.Entry.comparingByKey())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return String.join(", ", sorted.keySet());
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining("."));
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
