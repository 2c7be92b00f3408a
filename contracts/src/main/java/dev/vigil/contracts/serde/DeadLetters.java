package dev.vigil.contracts.serde;

import dev.vigil.contracts.VigilHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Builds dead-letter records: the rejected record's key and value byte for byte, its headers, and
 * headers saying why it was rejected, by whom and where it came from.
 */
public final class DeadLetters {

    private static final int MAX_REASON_CHARS = 1024;

    private DeadLetters() {
    }

    public static ProducerRecord<byte[], byte[]> of(String deadLetterTopic, ConsumerRecord<byte[], byte[]> rejected,
                                                    String consumer, Throwable error) {
        return of(deadLetterTopic, rejected.topic(), rejected.partition(), rejected.offset(), rejected.key(),
                rejected.value(), rejected.headers(), consumer, error);
    }

    public static ProducerRecord<byte[], byte[]> of(String deadLetterTopic, String sourceTopic, int partition, long offset,
                                                    byte[] key, byte[] value, Headers original, String consumer,
                                                    Throwable error) {
        return new ProducerRecord<>(deadLetterTopic, null, key, value,
                headers(original, sourceTopic, partition, offset, consumer, error));
    }

    /** The rejected record's headers plus the {@code vigil-dlq-*} headers saying why and whence. */
    public static Headers headers(Headers original, String sourceTopic, int partition, long offset, String consumer,
                                  Throwable error) {
        Headers headers = new RecordHeaders();
        if (original != null) {
            for (Header header : original) {
                headers.add(header);
            }
        }
        put(headers, VigilHeaders.DLQ_REASON, reason(error));
        put(headers, VigilHeaders.DLQ_ERROR_CLASS, error.getClass().getName());
        put(headers, VigilHeaders.DLQ_SOURCE_TOPIC, sourceTopic);
        put(headers, VigilHeaders.DLQ_SOURCE_PARTITION, Integer.toString(partition));
        put(headers, VigilHeaders.DLQ_SOURCE_OFFSET, Long.toString(offset));
        put(headers, VigilHeaders.DLQ_CONSUMER, consumer);
        put(headers, VigilHeaders.DLQ_FAILED_AT, Instant.now().toString());
        return headers;
    }

    /** The text put in {@value VigilHeaders#DLQ_REASON}: the error's message, at most 1,024 characters. */
    public static String reason(Throwable error) {
        String message = error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
        return message.length() <= MAX_REASON_CHARS ? message : message.substring(0, MAX_REASON_CHARS) + "...";
    }

    private static void put(Headers headers, String key, String value) {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
