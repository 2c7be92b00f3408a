package dev.vigil.sweeper.lag;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Makes one partition lag inside a real consumer: while armed, the records of that partition that a
 * poll returns are kept back, and handed over, in order and before anything newer of it, with the first
 * poll after the hold ends — what a slow fetch, a busy broker or a fresh assignment does to a partition.
 * Configured statically (the test and the consumer share the JVM).
 */
public final class HoldBackInterceptor implements ConsumerInterceptor<byte[], byte[]> {

    private static volatile TopicPartition target;
    private static volatile long holdUntilNanos;
    private static volatile int heldCount;
    private final List<ConsumerRecord<byte[], byte[]>> held = new ArrayList<>();

    /** Holds back {@code partition}'s records from now until {@code nanos} from now. */
    public static void hold(TopicPartition partition, long nanos) {
        heldCount = 0;
        target = partition;
        holdUntilNanos = System.nanoTime() + nanos;
    }

    /** How many records the last hold kept back. */
    public static int heldCount() {
        return heldCount;
    }

    @Override
    public ConsumerRecords<byte[], byte[]> onConsume(ConsumerRecords<byte[], byte[]> records) {
        TopicPartition partition = target;
        if (partition == null || (records.records(partition).isEmpty() && held.isEmpty())) {
            return records;
        }
        boolean holding = System.nanoTime() < holdUntilNanos;
        Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> out = new HashMap<>();
        for (TopicPartition tp : records.partitions()) {
            if (!tp.equals(partition)) {
                out.put(tp, records.records(tp));
            }
        }
        held.addAll(records.records(partition));
        if (holding) {
            heldCount = held.size();
        } else {
            out.put(partition, new ArrayList<>(held));
            held.clear();
        }
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>(records.nextOffsets());
        return new ConsumerRecords<>(out, next);
    }

    @Override
    public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
    }

    @Override
    public void close() {
    }

    @Override
    public void configure(Map<String, ?> configs) {
    }
}
