package dev.vigil.run.outbox;

import dev.vigil.contracts.VigilHeaders;
import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.contracts.KafkaSettings;
import dev.vigil.run.RunMetrics;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import io.micronaut.transaction.TransactionOperations;
import jakarta.annotation.PreDestroy;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes outbox rows to Kafka: claims the oldest row of each key with {@code FOR UPDATE SKIP
 * LOCKED} (so any number of replicas share the work and a run's events stay in order), sends them
 * with an idempotent producer, and deletes what the broker acknowledged — all in one transaction.
 * While the broker is away rows simply wait; a row the broker keeps rejecting for itself is marked
 * blocked after {@value #MAX_ATTEMPTS} attempts with one ERROR and a metric.
 */
@Context
@Requires(property = "vigil.outbox.relay-enabled", notEquals = "false")
public class OutboxRelay implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OutboxRelay.class);
    private static final int BATCH = 500;
    private static final int MAX_ATTEMPTS = 5;

    private final OutboxRepository outbox;
    private final TransactionOperations<Connection> tx;
    private final RunMetrics metrics;
    private final KafkaProducer<String, byte[]> producer;
    private final Map<String, String> topics;
    private final Thread thread;
    private volatile boolean running = true;

    public OutboxRelay(OutboxRepository outbox, TransactionOperations<Connection> tx, RunMetrics metrics,
                       KafkaSettings kafka, TopicCatalog catalog) {
        this.outbox = outbox;
        this.tx = tx;
        this.metrics = metrics;
        this.topics = Map.of(Outbox.RUN_EVENTS, catalog.runEvents().name(), Outbox.COMMANDS, catalog.commands().name());
        Map<String, Object> config = new HashMap<>(kafka.clientConfig());
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "vigil-run-service-outbox");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 2_000);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 8_000);
        this.producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
        this.thread = new Thread(this::loop, "vigil-outbox-relay");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        while (running) {
            int sent;
            try {
                sent = relayOnce();
            } catch (RuntimeException e) {
                LOG.warn("outbox relay pass failed; retrying: {}", e.toString());
                sent = 0;
            }
            if (sent == 0) {
                sleep(Duration.ofMillis(50));
            }
        }
    }

    /** One pass: claim, send, delete or reschedule. Returns how many rows it handled. */
    int relayOnce() {
        return tx.executeWrite(status -> {
            List<OutboxRow> rows = outbox.claim(BATCH);
            List<Future<RecordMetadata>> sends = new ArrayList<>(rows.size());
            for (OutboxRow row : rows) {
                sends.add(send(row));
            }
            for (int i = 0; i < rows.size(); i++) {
                OutboxRow row = rows.get(i);
                try {
                    sends.get(i).get(15, TimeUnit.SECONDS);
                    outbox.delete(row.id());
                } catch (ExecutionException e) {
                    failed(row, e.getCause());
                } catch (Exception e) {
                    failed(row, e);
                }
            }
            return rows.size();
        });
    }

    private Future<RecordMetadata> send(OutboxRow row) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(VigilHeaders.TYPE, row.eventType().getBytes(StandardCharsets.UTF_8));
        try {
            return producer.send(new ProducerRecord<>(topics.get(row.topic()), null, row.recordKey(),
                    row.payload().getBytes(StandardCharsets.UTF_8), headers));
        } catch (RuntimeException e) {
            return java.util.concurrent.CompletableFuture.failedFuture(e);
        }
    }

    private void failed(OutboxRow row, Throwable error) {
        boolean transientFailure = error instanceof RetriableException
                || error instanceof org.apache.kafka.common.errors.TimeoutException
                || error instanceof java.util.concurrent.TimeoutException;
        int penalty = transientFailure ? 0 : 1;
        Duration backoff = transientFailure ? Duration.ofSeconds(1)
                : Duration.ofSeconds(Math.min(60, 1L << Math.min(6, row.attempts() + 1)));
        outbox.failed(row.id(), penalty, error.toString(), Instant.now().plus(backoff), MAX_ATTEMPTS);
        if (!transientFailure && row.attempts() + 1 >= MAX_ATTEMPTS) {
            metrics.outboxBlocked();
            LOG.error("outbox row {} ({} for run {}) blocked after {} failed publishes: {}; later events of this run "
                    + "wait behind it until an operator clears it", row.id(), row.eventType(), row.recordKey(),
                    MAX_ATTEMPTS, error.toString());
        } else if (!transientFailure) {
            LOG.warn("outbox row {} ({} for run {}) rejected: {}; retrying in {}", row.id(), row.eventType(),
                    row.recordKey(), error.toString(), backoff);
        }
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
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
    }
}
