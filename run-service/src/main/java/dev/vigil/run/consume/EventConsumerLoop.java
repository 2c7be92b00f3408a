package dev.vigil.run.consume;

import dev.vigil.contracts.serde.DeadLetterSender;
import dev.vigil.contracts.serde.InvalidEventException;
import dev.vigil.contracts.serde.JsonSerde;
import dev.vigil.contracts.KafkaSettings;
import dev.vigil.run.RunMetrics;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * A consumer thread that hands each record of its topics to a database write ({@link WriteRetry}).
 * Offsets are committed only after the write. Records that are not valid events, and poison — valid
 * events whose data the database refuses ({@link DataErrors}) — go to the dead-letter topic, are
 * counted, and the loop goes on with the next record. A record it cannot finish with (the database is
 * away, or its dead letter could not be sent) is rewound to: nothing after it in its partition is
 * committed, and the partition is paused for 5 s before it is tried again; the others go on.
 */
abstract class EventConsumerLoop implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EventConsumerLoop.class);
    private static final Duration RETRY_PAUSE = Duration.ofSeconds(5);

    /** What to do with one record, and the run it is about. */
    record Work(String runId, Runnable write) {
    }

    private final String name;
    private final List<String> subscribed;
    private final RunMetrics metrics;
    private final DeadLetterSender deadLetters;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final Map<TopicPartition, Long> pausedUntilNanos = new HashMap<>();
    private volatile boolean running = true;

    EventConsumerLoop(String name, String groupId, List<String> subscribed, RunMetrics metrics,
                      DeadLetterSender deadLetters, KafkaSettings kafka) {
        this.name = name;
        this.subscribed = subscribed;
        this.metrics = metrics;
        this.deadLetters = deadLetters;
        Map<String, Object> config = new HashMap<>(kafka.clientConfig());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 200);
        this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.thread = new Thread(this::loop, "vigil-" + name);
        thread.setDaemon(true);
    }

    /** Starts the thread; call once, at the end of the subclass constructor. */
    final void start() {
        thread.start();
    }

    /**
     * Reads one record into the work it asks for.
     *
     * @throws InvalidEventException if it is not a valid event of its topic (it is dead-lettered, as is a
     *                               record on which this throws anything else)
     */
    abstract Work parse(ConsumerRecord<byte[], byte[]> record);

    private void loop() {
        consumer.subscribe(subscribed);
        while (running) {
            Map<TopicPartition, Long> unhandled = new HashMap<>();
            try {
                resumeDue();
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
                records.partitions().forEach(p -> unhandled.put(p, records.records(p).get(0).offset()));
                for (TopicPartition partition : records.partitions()) {
                    boolean finished = handlePartition(partition, records.records(partition));
                    unhandled.remove(partition);
                    if (!finished) {
                        consumer.pause(Set.of(partition));
                        pausedUntilNanos.put(partition, System.nanoTime() + RETRY_PAUSE.toNanos());
                    }
                }
            } catch (WakeupException stopping) {
                break;
            } catch (RuntimeException e) {
                LOG.warn("{} consumer failed; retrying: {}", name, e.toString());
                rewind(unhandled);
                sleep(Duration.ofSeconds(1));
            }
        }
        consumer.close(Duration.ofSeconds(5));
    }

    /**
     * Handles a partition's records in order. False if one must be tried again: the partition is rewound
     * to it and committed up to it, so no later commit can pass it.
     */
    private boolean handlePartition(TopicPartition partition, List<ConsumerRecord<byte[], byte[]>> records) {
        for (ConsumerRecord<byte[], byte[]> record : records) {
            if (!handle(record)) {
                consumer.seek(partition, record.offset());
                commit(partition, record.offset());
                return false;
            }
        }
        commit(partition, records.get(records.size() - 1).offset() + 1);
        return true;
    }

    /** Resumes the held partitions whose pause is over; forgets those no longer assigned to this consumer. */
    private void resumeDue() {
        Set<TopicPartition> assigned = consumer.assignment();
        pausedUntilNanos.keySet().retainAll(assigned);
        long now = System.nanoTime();
        Set<TopicPartition> due = new HashSet<>();
        pausedUntilNanos.forEach((partition, until) -> {
            if (now - until >= 0) {
                due.add(partition);
            }
        });
        if (!due.isEmpty()) {
            consumer.resume(due);
            pausedUntilNanos.keySet().removeAll(due);
        }
    }

    /** Fetched records that were not handled are fetched again, so that no later commit passes them. */
    private void rewind(Map<TopicPartition, Long> unhandled) {
        unhandled.forEach((partition, offset) -> {
            try {
                consumer.seek(partition, offset);
            } catch (IllegalStateException revoked) {
                // No longer ours: its new owner starts from the committed offset.
            }
        });
    }

    /** True once the record is done with (written, skipped or dead-lettered); false to try it again later. */
    private boolean handle(ConsumerRecord<byte[], byte[]> record) {
        if (JsonSerde.isWatermark(record.headers())) {
            return true;
        }
        Work work;
        try {
            work = parse(record);
        } catch (RuntimeException e) {
            return deadLetter(record, e);
        }
        try (MDC.MDCCloseable ignored = MDC.putCloseable("runId", work.runId())) {
            try {
                return WriteRetry.run(record.topic(), work);
            } catch (PoisonRecordException e) {
                return poison(record, work, e);
            } catch (RuntimeException e) {
                LOG.error("could not handle {} for run {}; sending it to the dead-letter topic", record.topic(),
                        work.runId(), e);
                return deadLetter(record, e);
            }
        }
    }

    private boolean poison(ConsumerRecord<byte[], byte[]> record, Work work, PoisonRecordException e) {
        if (!deadLetter(record, e)) {
            return false;
        }
        metrics.poisonRecord(record.topic(), e.sqlState());
        LOG.error("poison record {}-{}@{} for run {} dead-lettered and skipped: {}", record.topic(), record.partition(),
                record.offset(), work.runId(), e.getMessage());
        return true;
    }

    /** True once the dead letter is safe; false if it could not be sent (the sender's failure is in health). */
    private boolean deadLetter(ConsumerRecord<byte[], byte[]> record, Throwable reason) {
        if (deadLetters.send(record, reason)) {
            metrics.deadLettered(record.topic());
            return true;
        }
        metrics.deadLetterFailed(record.topic());
        return false;
    }

    private void commit(TopicPartition partition, long nextOffset) {
        consumer.commitSync(Map.of(partition, new OffsetAndMetadata(nextOffset)));
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
