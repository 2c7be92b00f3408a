package dev.vigil.run.consume;

import dev.vigil.contracts.event.RunActivity;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.serde.DeadLetters;
import dev.vigil.contracts.serde.EventJson;
import dev.vigil.contracts.serde.InvalidEventException;
import dev.vigil.contracts.serde.JsonSerde;
import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.run.KafkaSettings;
import dev.vigil.run.RunMetrics;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import io.micronaut.data.exceptions.DataAccessException;
import jakarta.annotation.PreDestroy;
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
 * Consumes {@code vigil.timeouts} and {@code vigil.run-activity} and hands each event to
 * {@link SweeperEvents}. Offsets are committed only after the database write: a transient database
 * failure is retried with bounded backoff, and a give-up logs ONE ERROR with the run id and cause and
 * leaves the record uncommitted, to be redelivered. Records that are not valid events go to the
 * dead-letter topic and are counted; nothing stops the loop.
 */
@Context
@Requires(property = "vigil.consumer.enabled", notEquals = "false")
public class SweeperEventConsumer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SweeperEventConsumer.class);
    private static final int ATTEMPTS = 5;
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    private static final Duration GIVE_UP_PAUSE = Duration.ofSeconds(5);

    private final SweeperEvents handler;
    private final RunMetrics metrics;
    private final TopicCatalog topics;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> deadLetters;
    private final Thread thread;
    private volatile boolean running = true;

    public SweeperEventConsumer(SweeperEvents handler, RunMetrics metrics, TopicCatalog topics, KafkaSettings kafka) {
        this.handler = handler;
        this.metrics = metrics;
        this.topics = topics;
        Map<String, Object> config = new HashMap<>(kafka.clientConfig());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, topics.prefix() + "run-service");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 200);
        this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        Map<String, Object> producerConfig = new HashMap<>(kafka.clientConfig());
        producerConfig.put(ProducerConfig.CLIENT_ID_CONFIG, "vigil-run-service-dlq");
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        this.deadLetters = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
        this.thread = new Thread(this::loop, "vigil-sweeper-events");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        consumer.subscribe(List.of(topics.timeouts().name(), topics.runActivity().name()));
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
                LOG.warn("sweeper event consumer poll failed; retrying: {}", e.toString());
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
        Runnable work;
        String runId;
        try {
            if (record.topic().equals(topics.timeouts().name())) {
                RunTimedOut timeout = EventJson.read(record.value(), RunTimedOut.class);
                runId = timeout.runId();
                work = () -> handler.onTimeout(timeout);
            } else {
                RunActivity activity = EventJson.read(record.value(), RunActivity.class);
                runId = activity.runId();
                work = () -> handler.onActivity(activity);
            }
        } catch (InvalidEventException e) {
            deadLetter(record, e);
            return true;
        }
        try (MDC.MDCCloseable ignored = MDC.putCloseable("runId", runId)) {
            return withRetries(record, runId, work);
        }
    }

    private boolean withRetries(ConsumerRecord<byte[], byte[]> record, String runId, Runnable work) {
        Duration backoff = FIRST_BACKOFF;
        for (int attempt = 1; ; attempt++) {
            try {
                work.run();
                return true;
            } catch (DataAccessException | io.micronaut.transaction.exceptions.TransactionException e) {
                if (attempt >= ATTEMPTS) {
                    LOG.error("giving up on {} for run {} after {} attempts, left uncommitted for redelivery: {}",
                            record.topic(), runId, ATTEMPTS, rootCause(e).toString());
                    return false;
                }
                LOG.warn("database write for run {} failed (attempt {}/{}), retrying in {} ms: {}", runId, attempt,
                        ATTEMPTS, backoff.toMillis(), rootCause(e).toString());
                sleep(backoff);
                backoff = backoff.multipliedBy(2);
            } catch (RuntimeException e) {
                LOG.error("could not handle {} for run {}; sent to the dead-letter topic", record.topic(), runId, e);
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
    @PreDestroy
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
