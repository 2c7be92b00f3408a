package dev.vigil.sweeper;

import dev.vigil.contracts.VigilHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a small watermark record (no key, no value, header {@value VigilHeaders#WATERMARK}) to the
 * partitions of the topics the sweeper reads. The broker stamps it with its append time, so each
 * task's watermark follows the broker clock as far as its input has been processed — and deadlines
 * fire even when no worker sends anything.
 *
 * <p>The partitions of this instance's active tasks get a tick every tick interval (their deadlines
 * fire that promptly). Every other partition gets one every {@code slowInterval} (kept under half the
 * blackout threshold): enough that an owner frozen or dead leaves no gap the next owner would take for
 * a blackout, at a twentieth of the records. With two instances that halves what every task reads.
 */
public final class WatermarkTicker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WatermarkTicker.class);
    private static final long PARTITION_REFRESH_NANOS = Duration.ofMinutes(1).toNanos();
    private static final long OWNED_REFRESH_NANOS = Duration.ofMillis(500).toNanos();

    private final Producer<byte[], byte[]> producer;
    private final List<String> topics;
    private final Supplier<Set<TopicPartition>> owned;
    private final byte[] instance = UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8);
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "vigil-watermark-ticker");
        thread.setDaemon(true);
        return thread;
    });
    private final Map<String, Integer> partitions = new HashMap<>();
    private long partitionsReadAt;
    private Set<TopicPartition> ownedNow = Set.of();
    private long ownedReadAt;
    private long slowEvery = 1;
    private long round;
    private long failures;

    /** Ticks every partition of {@code topics} at the full rate (no owner known: tools, benchmarks). */
    public WatermarkTicker(Map<String, Object> clientConfig, List<String> topics) {
        this(clientConfig, topics, null);
    }

    /**
     * @param owned the partitions this instance's active tasks read, asked again every 500 ms; null to
     *        tick every partition at the full rate
     */
    public WatermarkTicker(Map<String, Object> clientConfig, List<String> topics, Supplier<Set<TopicPartition>> owned) {
        this(producer(clientConfig), topics, owned);
    }

    WatermarkTicker(Producer<byte[], byte[]> producer, List<String> topics, Supplier<Set<TopicPartition>> owned) {
        this.producer = producer;
        this.topics = List.copyOf(topics);
        this.owned = owned;
    }

    private static Producer<byte[], byte[]> producer(Map<String, Object> clientConfig) {
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "vigil-sweeper-ticker");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1_000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Ticks owned partitions every {@code interval} and the others every {@code slowInterval}. */
    public void start(Duration interval, Duration slowInterval) {
        pace(interval, slowInterval);
        scheduler.scheduleAtFixedRate(this::tick, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
        LOG.info("ticking {} every {} ms ({})", topics, interval.toMillis(), owned == null ? "every partition"
                : "other instances' partitions every " + slowInterval.toMillis() + " ms");
    }

    public void start(Duration interval) {
        start(interval, interval);
    }

    void pace(Duration interval, Duration slowInterval) {
        slowEvery = owned == null ? 1 : Math.max(1, slowInterval.toNanos() / interval.toNanos());
    }

    void tick() {
        try {
            long now = System.nanoTime();
            if (now - partitionsReadAt > PARTITION_REFRESH_NANOS || partitions.isEmpty()) {
                for (String topic : topics) {
                    partitions.put(topic, producer.partitionsFor(topic).size());
                }
                partitionsReadAt = now;
            }
            if (owned != null && now - ownedReadAt > OWNED_REFRESH_NANOS) {
                ownedNow = currentlyOwned();
                ownedReadAt = now;
            }
            boolean everyone = round++ % slowEvery == 0;
            for (Map.Entry<String, Integer> topic : partitions.entrySet()) {
                for (int partition = 0; partition < topic.getValue(); partition++) {
                    if (everyone || ownedNow.contains(new TopicPartition(topic.getKey(), partition))) {
                        send(topic.getKey(), partition);
                    }
                }
            }
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    private Set<TopicPartition> currentlyOwned() {
        try {
            return Set.copyOf(owned.get());
        } catch (RuntimeException notKnownNow) { // not started, rebalancing, closing: tick everything at the slow rate
            return Set.of();
        }
    }

    private void send(String topic, int partition) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(VigilHeaders.WATERMARK, instance);
        producer.send(new ProducerRecord<>(topic, partition, null, null, null, headers), (m, e) -> {
            if (e != null) {
                failed(e);
            }
        });
    }

    private synchronized void failed(Exception e) {
        if (failures++ % 100 == 0) {
            LOG.warn("watermark tick not written ({} failures so far): {}", failures, e.toString());
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        producer.close(Duration.ofSeconds(5));
    }
}
