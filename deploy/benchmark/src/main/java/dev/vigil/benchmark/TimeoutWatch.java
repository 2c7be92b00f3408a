package dev.vigil.benchmark;

import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.topic.TopicCatalog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Watches the timeouts topic as an operator's consumer would (read_committed) and keeps the ground truth to judge
 * them: when each run's worker stopped beating. A timeout due before that moment is false; the overshoot of a
 * true one is when it became visible minus when it was due.
 */
final class TimeoutWatch implements AutoCloseable {

    private final Map<String, Long> seenAt = new ConcurrentHashMap<>();
    private final Map<String, RunTimedOut> timeouts = new ConcurrentHashMap<>();
    private final Map<String, Long> diedAt = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean watching = true;

    TimeoutWatch(String bootstrapServers, TopicCatalog topics, String group) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
        thread = new Thread(() -> {
            try (KafkaConsumer<String, RunTimedOut> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                    topics.timeouts().valueSerde().deserializer())) {
                consumer.subscribe(List.of(topics.timeouts().name()));
                while (watching) {
                    for (ConsumerRecord<String, RunTimedOut> record : consumer.poll(Duration.ofMillis(20))) {
                        seenAt.putIfAbsent(record.key(), System.currentTimeMillis());
                        timeouts.putIfAbsent(record.key(), record.value());
                    }
                }
            }
        }, "bench-timeout-watch");
        thread.setDaemon(true);
        thread.start();
    }

    /** The run's worker stops beating now (only the first call counts). */
    void died(String runId) {
        diedAt.putIfAbsent(runId, System.currentTimeMillis());
    }

    /** How many runs have timed out so far. */
    int timedOut() {
        return timeouts.size();
    }

    /** Whether a timeout of the run has been seen. */
    boolean seen(String runId) {
        return seenAt.containsKey(runId);
    }

    /** Visible minus due, for each of {@code runIds} whose timeout was seen and came after its worker died. */
    List<Long> overshoots(Collection<String> runIds) {
        List<Long> overshoots = new ArrayList<>();
        for (String runId : runIds) {
            RunTimedOut timeout = timeouts.get(runId);
            Long died = diedAt.get(runId);
            if (timeout != null && died != null && timeout.dueAt().toEpochMilli() >= died) {
                overshoots.add(seenAt.get(runId) - timeout.dueAt().toEpochMilli());
            }
        }
        return overshoots;
    }

    /** Timeouts seen so far of runs whose worker was still beating when they fell due; each is logged. */
    int falseTimeouts(String phase) {
        int count = 0;
        for (RunTimedOut timeout : timeouts.values()) {
            Long died = diedAt.get(timeout.runId());
            if (died == null || timeout.dueAt().toEpochMilli() < died) {
                count++;
                Bench.log("%s: FALSE TIMEOUT of run %s (due %s, its worker beat until %s)", phase, timeout.runId(),
                        timeout.dueAt(), died == null ? "the end" : java.time.Instant.ofEpochMilli(died));
            }
        }
        return count;
    }

    @Override
    public void close() throws InterruptedException {
        watching = false;
        thread.join(Duration.ofSeconds(10).toMillis());
    }
}
