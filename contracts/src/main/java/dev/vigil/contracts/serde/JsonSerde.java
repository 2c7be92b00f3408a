package dev.vigil.contracts.serde;

import dev.vigil.contracts.VigilHeaders;
import dev.vigil.contracts.event.VigilEvent;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for one family of events ({@code Heartbeat}, {@code RunEvent}, ...). Writes the event's
 * type as the {@value VigilHeaders#TYPE} header; reads strictly, throwing {@link InvalidEventException}
 * for anything invalid; reads a watermark tick ({@value VigilHeaders#WATERMARK} header) as {@code null}
 * so consumers can skip it.
 */
public final class JsonSerde<T extends VigilEvent> implements Serde<T>, Serializer<T>, Deserializer<T> {

    private final Class<T> type;

    private JsonSerde(Class<T> type) {
        this.type = type;
    }

    public static <T extends VigilEvent> JsonSerde<T> of(Class<T> type) {
        return new JsonSerde<>(type);
    }

    public Class<T> type() {
        return type;
    }

    @Override
    public byte[] serialize(String topic, T event) {
        return event == null ? null : EventJson.write(event);
    }

    @Override
    public byte[] serialize(String topic, Headers headers, T event) {
        if (event != null && headers != null) {
            headers.remove(VigilHeaders.TYPE);
            headers.add(VigilHeaders.TYPE, event.type().getBytes(StandardCharsets.UTF_8));
        }
        return serialize(topic, event);
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return EventJson.read(data, type);
    }

    @Override
    public T deserialize(String topic, Headers headers, byte[] data) {
        if (isWatermark(headers)) {
            return null;
        }
        return deserialize(topic, data);
    }

    /** Whether a record is a sweeper watermark tick rather than an event. */
    public static boolean isWatermark(Headers headers) {
        return headers != null && headers.lastHeader(VigilHeaders.WATERMARK) != null;
    }

    @Override
    public Serializer<T> serializer() {
        return this;
    }

    @Override
    public Deserializer<T> deserializer() {
        return this;
    }

    @Override
    public void configure(java.util.Map<String, ?> configs, boolean isKey) {
        // nothing to configure: the limits are part of the contract
    }

    @Override
    public void close() {
        // stateless
    }
}
