package dev.vigil.cleaner;

import dev.vigil.contracts.VigilHeaders;
import dev.vigil.contracts.event.RunEvent;
import dev.vigil.contracts.topic.Topic;
import dev.vigil.contracts.topic.TopicCatalog;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;

/** Consumer records of {@code run-events} as the broker would hand them out. */
public final class Records {

    public static final TopicCatalog CATALOG = new TopicCatalog("test.");
    public static final String TOPIC = CATALOG.runEvents().name();

    private Records() {
    }

    public static ConsumerRecord<byte[], byte[]> record(int partition, long offset, RunEvent event) {
        Topic<String, RunEvent> topic = CATALOG.runEvents();
        RecordHeaders headers = new RecordHeaders();
        byte[] value = topic.valueSerde().serializer().serialize(TOPIC, headers, event);
        return raw(partition, offset, event.runId().getBytes(StandardCharsets.UTF_8), value, headers);
    }

    public static ConsumerRecord<byte[], byte[]> record(long offset, RunEvent event) {
        return record(0, offset, event);
    }

    public static ConsumerRecord<byte[], byte[]> garbage(long offset, String text) {
        return raw(0, offset, "junk-key".getBytes(StandardCharsets.UTF_8), text.getBytes(StandardCharsets.UTF_8),
                new RecordHeaders());
    }

    public static ConsumerRecord<byte[], byte[]> watermark(long offset) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(VigilHeaders.WATERMARK, new byte[] {1});
        return raw(0, offset, null, new byte[0], headers);
    }

    private static ConsumerRecord<byte[], byte[]> raw(int partition, long offset, byte[] key, byte[] value,
                                                      RecordHeaders headers) {
        return new ConsumerRecord<>(TOPIC, partition, offset, System.currentTimeMillis(), TimestampType.LOG_APPEND_TIME,
                key == null ? -1 : key.length, value == null ? -1 : value.length, key, value, headers, Optional.empty());
    }
}
