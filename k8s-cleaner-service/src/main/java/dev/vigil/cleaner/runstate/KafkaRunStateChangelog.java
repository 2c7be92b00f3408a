package dev.vigil.cleaner.runstate;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.contracts.serde.EventJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run state store's changelog on the compacted topic {@code vigil.cleaner-run-state}, which only
 * this service writes and reads: one JSON {@link RunState} per run id, a tombstone for a forgotten
 * run. Writes go through the service's producer and are flushed before the run-events offsets are
 * committed. A write that fails (broker away) is logged and dropped: the store is rebuilt from the
 * changelog and then from {@code run-events}, and the replay rewrites whatever differs, so a lost
 * write is only lost if the run's events have also left {@code run-events} by the next start.
 */
public final class KafkaRunStateChangelog implements RunStateChangelog {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaRunStateChangelog.class);
    private static final ObjectMapper JSON = EventJson.mapper();
    private static final Duration POLL = Duration.ofMillis(200);

    private final Producer<byte[], byte[]> producer;
    private final Supplier<Consumer<byte[], byte[]>> consumers;
    private final String topic;
    private final Duration restoreTimeout;

    /**
     * @param consumers makes the consumer that reads the topic back at start (closed after the restore)
     * @param restoreTimeout how long a restore may take before it gives up (and is tried again)
     */
    public KafkaRunStateChangelog(Producer<byte[], byte[]> producer, Supplier<Consumer<byte[], byte[]>> consumers,
                                  String topic, Duration restoreTimeout) {
        this.producer = producer;
        this.consumers = consumers;
        this.topic = topic;
        this.restoreTimeout = restoreTimeout;
    }

    @Override
    public void changed(RunState state) {
        try {
            send(state.runId(), JSON.writeValueAsBytes(state));
        } catch (IOException e) {
            LOG.warn("could not write the state of run {} to {}: {}", state.runId(), topic, e.toString());
        }
    }

    @Override
    public void forgotten(String runId) {
        send(runId, null);
    }

    private void send(String runId, byte[] value) {
        try {
            producer.send(new ProducerRecord<>(topic, runId.getBytes(StandardCharsets.UTF_8), value), (metadata, error) -> {
                if (error != null) {
                    LOG.warn("could not write the state of run {} to {}: {}", runId, topic, error.toString());
                }
            });
        } catch (KafkaException | IllegalStateException e) {
            LOG.warn("could not write the state of run {} to {}: {}", runId, topic, e.toString());
        }
    }

    /**
     * Reads the whole topic into {@code store} (latest state per run, tombstones remove). Returns false
     * if the topic does not exist yet.
     *
     * @throws TimeoutException if the topic could not be read to its end within the restore timeout
     */
    public boolean restoreInto(RunStateStore store) {
        Instant deadline = Instant.now().plus(restoreTimeout);
        try (Consumer<byte[], byte[]> consumer = consumers.get()) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, restoreTimeout);
            if (infos == null || infos.isEmpty()) {
                LOG.warn("topic {} is not there yet; waiting for it", topic);
                return false;
            }
            List<TopicPartition> partitions = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, restoreTimeout);
            int records = 0;
            while (!partitions.stream().allMatch(p -> consumer.position(p) >= end.getOrDefault(p, 0L))) {
                if (Instant.now().isAfter(deadline)) {
                    throw new TimeoutException("could not read " + topic + " to its end within " + restoreTimeout);
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                    restore(store, record);
                    records++;
                }
            }
            LOG.info("run state restored from {}: {} records, {} runs ({} live)", topic, records, store.size(),
                    store.liveCount());
            return true;
        }
    }

    private static void restore(RunStateStore store, ConsumerRecord<byte[], byte[]> record) {
        if (record.key() == null) {
            return;
        }
        String runId = new String(record.key(), StandardCharsets.UTF_8);
        try {
            store.restore(runId, record.value() == null ? null : JSON.readValue(record.value(), RunState.class));
        } catch (IOException e) {
            LOG.warn("skipping an unreadable state of run {} in {}@{}: {}", runId, record.partition(), record.offset(),
                    e.toString());
        }
    }
}
