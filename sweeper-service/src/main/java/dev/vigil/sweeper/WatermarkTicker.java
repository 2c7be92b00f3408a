package dev.vigil.sweeper;

import dev.vigil.contracts.VigilHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a small watermark record (no key, no value, header {@value VigilHeaders#WATERMARK}) to every
 * partition of the topics the sweeper reads, every tick interval. The broker stamps it with its
 * append time, so each task's stream time follows the broker clock exactly as far as its input has
 * been processed — and deadlines fire even when no worker sends anything. Every sweeper instance
 * ticks every partition, so one instance dying leaves no partition without ticks.
 */
public final class WatermarkTicker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WatermarkTicker.class);
    private static final long PARTITION_REFRESH_NANOS = Duration.ofMinutes(1).toNanos();

    private final KafkaProducer<byte[], byte[]> producer;
    private final List<String> topics;
    private final byte[] instance = UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8);
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "vigil-watermark-ticker");
        thread.setDaemon(true);
        return thread;
    });
    private final Map<String, Integer> partitions = new HashMap<>();
    private long partitionsReadAt;
    private long failures;

    public WatermarkTicker(Map<String, Object> clientConfig, List<String> topics) {
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "vigil-sweeper-ticker");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1_000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        this.producer = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
        this.topics = List.copyOf(topics);
    }

    public void start(Duration interval) {
        scheduler.scheduleAtFixedRate(this::tick, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
        LOG.info("ticking {} every {} ms", topics, interval.toMillis());
    }

    private void tick() {
        try {
            if (System.nanoTime() - partitionsReadAt > PARTITION_REFRESH_NANOS || partitions.isEmpty()) {
                for (String topic : topics) {
                    partitions.put(topic, producer.partitionsFor(topic).size());
                }
                partitionsReadAt = System.nanoTime();
            }
            for (Map.Entry<String, Integer> topic : partitions.entrySet()) {
                for (int partition = 0; partition < topic.getValue(); partition++) {
                    RecordHeaders headers = new RecordHeaders();
                    headers.add(VigilHeaders.WATERMARK, instance);
                    producer.send(new ProducerRecord<>(topic.getKey(), partition, null, null, null, headers), (m, e) -> {
                        if (e != null) {
                            failed(e);
                        }
                    });
                }
            }
        } catch (RuntimeException e) {
            failed(e);
        }
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
