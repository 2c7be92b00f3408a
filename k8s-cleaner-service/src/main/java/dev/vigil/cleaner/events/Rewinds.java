package dev.vigil.cleaner.events;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Where a batch must be read again from: per partition, the first record whose dead letter could not
 * be sent. Nothing at or after it may be committed, and records after it in the batch are left for the
 * re-read. Thread-safe: the cleanups of a batch run concurrently.
 */
public final class Rewinds {

    private final Map<TopicPartition, Long> from = new ConcurrentHashMap<>();

    /** {@code record} must be read again. */
    void add(ConsumerRecord<byte[], byte[]> record) {
        from.merge(partition(record), record.offset(), Math::min);
    }

    /** Whether an earlier record of {@code record}'s partition must be read again first. */
    boolean holdsBack(ConsumerRecord<byte[], byte[]> record) {
        Long first = from.get(partition(record));
        return first != null && record.offset() > first;
    }

    /** Each partition to read again, and the offset to read it from. */
    public Map<TopicPartition, Long> offsets() {
        return Map.copyOf(from);
    }

    private static TopicPartition partition(ConsumerRecord<byte[], byte[]> record) {
        return new TopicPartition(record.topic(), record.partition());
    }
}
