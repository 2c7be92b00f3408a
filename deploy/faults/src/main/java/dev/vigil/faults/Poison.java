package dev.vigil.faults;

import dev.vigil.contracts.event.Heartbeat;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.serde.EventJson;
import dev.vigil.local.LocalStack;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Bad records on every topic a Vigil service reads — garbage bytes, an oversize value, an unknown
 * version, a missing field — four times over the workload, and records that must change nothing: a
 * heartbeat of a run nobody created, without a token (dead-lettered: the suite's sweepers require
 * tokens), and a timeout sent twice for it ({@value #GHOST}).
 */
final class Poison {

    static final String GHOST = "ghost";

    private final LocalStack stack;
    private final HarnessErrors errors;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final Map<String, Integer> sent = new ConcurrentHashMap<>();

    Poison(LocalStack stack, HarnessErrors errors) {
        this.stack = stack;
        this.errors = errors;
    }

    void start(long workloadMs) {
        long every = workloadMs / 4;
        for (long at = 5_000; at < workloadMs; at += every) {
            scheduler.schedule(this::send, at, TimeUnit.MILLISECONDS);
        }
    }

    void awaitDone() throws InterruptedException {
        scheduler.shutdown();
        scheduler.awaitTermination(2, TimeUnit.MINUTES);
    }

    /** Poison records sent, by topic. */
    Map<String, Integer> sent() {
        return Map.copyOf(sent);
    }

    /** Sends one batch, retrying for up to 3 minutes while a fault has the broker down. */
    private void send() {
        long deadline = System.nanoTime() + java.time.Duration.ofMinutes(3).toNanos();
        while (true) {
            try {
                sendOnce();
                return;
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    errors.add("poison", e);
                    return;
                }
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void sendOnce() throws Exception {
        List<String> inputs = List.of(stack.topics().heartbeats().name(), stack.topics().agentHeartbeats().name(),
                stack.topics().runEvents().name(), stack.topics().timeouts().name(), stack.topics().runActivity().name());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000), new ByteArraySerializer(), new ByteArraySerializer())) {
            String sample = new String(EventJson.write(Heartbeat.of("poison-run", 1, null, 0, null, null)), StandardCharsets.UTF_8);
            List<byte[]> poisons = List.of(
                    new byte[] {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef},
                    ("{\"type\":\"Heartbeat\",\"pad\":\"" + "x".repeat(70_000) + "\"}").getBytes(StandardCharsets.UTF_8),
                    sample.replace("\"version\":1", "\"version\":9").getBytes(StandardCharsets.UTF_8),
                    sample.replace("\"runId\":\"poison-run\",", "").getBytes(StandardCharsets.UTF_8));
            for (String topic : inputs) {
                for (byte[] value : poisons) {
                    producer.send(new ProducerRecord<>(topic, "poison-run".getBytes(StandardCharsets.UTF_8), value)).get();
                    sent.merge(topic, 1, Integer::sum);
                }
            }
            byte[] ghost = GHOST.getBytes(StandardCharsets.UTF_8);
            producer.send(new ProducerRecord<>(stack.topics().heartbeats().name(), ghost,
                    EventJson.write(Heartbeat.of(GHOST, 1, null, 0, null, null)))).get();
            sent.merge(stack.topics().heartbeats().name(), 1, Integer::sum);
            byte[] duplicate = EventJson.write(RunTimedOut.of(GHOST, 1, Reason.HEARTBEAT_TIMEOUT, Instant.now(),
                    null, null, false, null));
            producer.send(new ProducerRecord<>(stack.topics().timeouts().name(), ghost, duplicate)).get();
            producer.send(new ProducerRecord<>(stack.topics().timeouts().name(), ghost, duplicate)).get();
        }
    }
}
