package dev.vigil.infra;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads a topic from the beginning (committed records only), for assertions in tests and harnesses. */
public final class KafkaRecords {

    private KafkaRecords() {
    }

    /** Polls {@code topic} from the start until {@code done} holds for what was read, or {@code timeout} passes. */
    public static <V> List<ConsumerRecord<String, V>> readUntil(String bootstrapServers, String topic,
                                                               Deserializer<V> values, Duration timeout,
                                                               Predicate<List<ConsumerRecord<String, V>>> done) {
        List<ConsumerRecord<String, V>> records = new ArrayList<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), values)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline && !done.test(records)) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    /**
     * Every committed record of {@code topic}: reads each partition up to its end offset as of the
     * call (the last stable offset), however long that takes up to {@code maxWait} — then throws, so
     * a count is never made from a partial read (a timed read of a big topic on a busy machine once
     * made a harness report cleanups without their RunFinished).
     */
    public static <V> List<ConsumerRecord<String, V>> readAll(String bootstrapServers, String topic,
                                                             Deserializer<V> values, Duration maxWait) {
        List<ConsumerRecord<String, V>> records = new ArrayList<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), values)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, maxWait).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, maxWait);
            long deadline = System.nanoTime() + maxWait.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p, maxWait) < ends.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read all of " + topic + " within " + maxWait + " ("
                            + records.size() + " records read)");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }
}
