package dev.vigil.run.consume;

import dev.vigil.contracts.serde.DeadLetters;
import dev.vigil.contracts.serde.InvalidEventException;
import dev.vigil.contracts.serde.JsonSerde;
import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.run.KafkaSettings;
import dev.vigil.run.RunMetrics;
import io.micronaut.data.exceptions.DataAccessException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * A consumer thread that hands each record of its topics to a database write. Offsets are committed
 * only after the write: a transient database failure is retried with bounded backoff, and a give-up
 * logs ONE ERROR with the run id and cause and leaves the record uncommitted, to be redelivered.
 * Records that are not valid events go to the dead-letter topic and are counted; nothing stops the loop.
 */
abstract class EventConsumerLoop implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EventConsumerLoop.class);
    private static final int ATTEMPTS = 5;
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    private static final Duration GIVE_UP_PAUSE = Duration.ofSeconds(5);

    /** What to do with one record, and the run it is about. */
    record Work(String runId, Runnable write) {
    }

    private final String name;
    private final List<String> subscribed;
    private final RunMetrics metrics;
    private final TopicCatalog topics;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> deadLetters;
    private final Thread thread;
    private volatile boolean running = true;

    EventConsumerLoop(String name, String groupId, List<String> subscribed, RunMetrics metrics, TopicCatalog topics,
                      KafkaSettings kafka) {
        this.name = name;
        this.subscribed = subscribed;
        this.metrics = metrics;
        this.topics = topics;
        Map<String, Object> config = new HashMap<>(kafka.clientConfig());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 200);
        this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        Map<String, Object> producerConfig = new HashMap<>(kafka.clientConfig());
        producerConfig.put(ProducerConfig.CLIENT_ID_CONFIG, "vigil-run-service-dlq-" + name);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        this.deadLetters = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
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
     * @throws InvalidEventException if it is not a valid event of its topic (it is dead-lettered)
     */
    abstract Work parse(ConsumerRecord<byte[], byte[]> record);

    private void loop() {
        consumer.subscribe(subscribed);
        while (running) {
            try {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
                for (TopicPartition partition : records.partitions()) {
                    if (!handlePartition(partition, records.records(partition))) {
                        sleep(GIVE_UP_PAUSE);
                    }
                }
            } catch (WakeupException stopping) {
                break;
            } catch (RuntimeException e) {
                LOG.warn("{} consumer poll failed; retrying: {}", name, e.toString());
                sleep(Duration.ofSeconds(1));
            }
        }
        consumer.close(Duration.ofSeconds(5));
    }

    /** Handles a partition's records in order; false if it gave up on one (rewound to it). */
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

    private boolean handle(ConsumerRecord<byte[], byte[]> record) {
        if (JsonSerde.isWatermark(record.headers())) {
            return true;
        }
        Work work;
        try {
            work = parse(record);
        } catch (InvalidEventException e) {
            deadLetter(record, e);
            return true;
        }
        try (MDC.MDCCloseable ignored = MDC.putCloseable("runId", work.runId())) {
            return withRetries(record, work);
        }
    }

    private boolean withRetries(ConsumerRecord<byte[], byte[]> record, Work work) {
        Duration backoff = FIRST_BACKOFF;
        for (int attempt = 1; ; attempt++) {
            try {
                work.write().run();
                return true;
            } catch (DataAccessException | io.micronaut.transaction.exceptions.TransactionException e) {
                if (attempt >= ATTEMPTS) {
                    LOG.error("giving up on {} for run {} after {} attempts, left uncommitted for redelivery: {}",
                            record.topic(), work.runId(), ATTEMPTS, rootCause(e).toString());
                    return false;
                }
                LOG.warn("database write for run {} failed (attempt {}/{}), retrying in {} ms: {}", work.runId(), attempt,
                        ATTEMPTS, backoff.toMillis(), rootCause(e).toString());
                sleep(backoff);
                backoff = backoff.multipliedBy(2);
            } catch (RuntimeException e) {
                LOG.error("could not handle {} for run {}; sent to the dead-letter topic", record.topic(), work.runId(), e);
                deadLetter(record, e);
                return true;
            }
        }
    }

    private void deadLetter(ConsumerRecord<byte[], byte[]> record, Exception error) {
        try {
            deadLetters.send(DeadLetters.of(topics.deadLetters().name(), record, "run-service", error))
                    .get(10, TimeUnit.SECONDS);
            metrics.deadLettered(record.topic());
        } catch (Exception e) {
            throw new IllegalStateException("could not dead-letter a record of " + record.topic(), e);
        }
    }

    private void commit(TopicPartition partition, long nextOffset) {
        consumer.commitSync(Map.of(partition, new OffsetAndMetadata(nextOffset)));
    }

    private static Throwable rootCause(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && !(cause instanceof SQLException)) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static void sleep(Duration duration) {
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
        deadLetters.close(Duration.ofSeconds(5));
    }
}
