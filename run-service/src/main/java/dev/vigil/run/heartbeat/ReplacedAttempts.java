package dev.vigil.run.heartbeat;

import dev.vigil.contracts.KafkaSettings;
import dev.vigil.contracts.event.RunCreated;
import dev.vigil.contracts.event.RunEvent;
import dev.vigil.contracts.serde.EventJson;
import dev.vigil.contracts.topic.TopicCatalog;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which runs have been retried, and their latest attempt, read from {@code vigil.run-events} (every replica reads
 * every partition from the beginning, no consumer group), so that an HTTP beat with a replaced attempt's token is
 * answered {@code 409} — the zombie learns it is one — without a database read. Only retried runs are kept (a
 * retry is rare; a map entry per retried run). Until this replica has read a retry's {@code RunCreated} the old
 * attempt's beats are accepted, which is harmless: the sweeper ignores beats of an attempt that is not current.
 * Records that are not events are skipped here (the sweeper and the cleaner dead-letter them).
 */
@Context
@Requires(property = "vigil.consumer.enabled", notEquals = "false")
public class ReplacedAttempts implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReplacedAttempts.class);

    private final Map<String, Integer> latest = new ConcurrentHashMap<>();
    private final KafkaConsumer<String, byte[]> consumer;
    private final String topic;
    private final Thread thread;
    private volatile boolean running = true;

    public ReplacedAttempts(KafkaSettings kafka, TopicCatalog catalog) {
        this.topic = catalog.runEvents().name();
        Map<String, Object> config = new HashMap<>(kafka.clientConfig());
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "vigil-run-service-attempts");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
        this.thread = new Thread(this::loop, "vigil-replaced-attempts");
        thread.setDaemon(true);
        thread.start();
    }

    /** The latest attempt of {@code runId} this replica has seen created, if the run was ever retried; else 0. */
    public int latestRetry(String runId) {
        return latest.getOrDefault(runId, 0);
    }

    /** Records a {@code RunCreated} of attempt 2 or later. */
    void created(String runId, int attempt) {
        if (attempt > 1) {
            latest.merge(runId, attempt, Math::max);
        }
    }

    private void loop() {
        boolean assigned = false;
        while (running) {
            try {
                if (!assigned) {
                    List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                            .map(p -> new TopicPartition(topic, p.partition())).toList();
                    if (partitions.isEmpty()) {
                        sleep(); // the topic is not there yet
                        continue;
                    }
                    consumer.assign(partitions);
                    consumer.seekToBeginning(partitions);
                    assigned = true;
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    read(record);
                }
            } catch (org.apache.kafka.common.errors.WakeupException e) {
                return;
            } catch (RuntimeException e) { // the broker away, a topic not there yet: try again
                LOG.warn("reading {} for replaced attempts failed ({}); retrying", topic, e.toString());
                sleep();
            }
        }
    }

    private void read(ConsumerRecord<String, byte[]> record) {
        try {
            if (record.value() != null && EventJson.read(record.value(), RunEvent.class) instanceof RunCreated created) {
                created(created.runId(), created.attempt());
            }
        } catch (RuntimeException e) {
            // not an event: skipped here, dead-lettered by the sweeper and the cleaner
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @PreDestroy
    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        consumer.close(Duration.ofSeconds(2));
    }
}
