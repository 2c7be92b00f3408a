package dev.vigil.sweeper.lag;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.contracts.event.FirstHeartbeatReceived;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunCreated;
import dev.vigil.contracts.event.RunEvent;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.event.RunTimeouts;
import dev.vigil.contracts.heartbeat.HeartbeatClient;
import dev.vigil.contracts.heartbeat.RunHeartbeat;
import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.infra.KafkaBroker;
import dev.vigil.contracts.KafkaSettings;
import dev.vigil.infra.KafkaRecords;
import dev.vigil.infra.RealInfraExtension;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A real sweeper whose consumer hands one heartbeats partition over seconds late, while ticks keep
 * arriving on its run-events partition: the run that keeps beating is not timed out, and the one whose
 * worker died is, once its partition's data is in. (With Kafka Streams' stream time as "now" — the
 * maximum over the task's partitions — both were timed out.)
 */
@ExtendWith(RealInfraExtension.class)
class LaggingPartitionIT {

    private static final TopicCatalog TOPICS = new TopicCatalog("lag-it.");
    private static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration HOLD = Duration.ofSeconds(6);

    @Test
    void aLaggingHeartbeatsPartitionCausesNoFalseTimeoutAndTheRealOneFiresOnceItsDataIsIn(KafkaBroker kafka)
            throws Exception {
        String bootstrap = kafka.bootstrapServers();
        int partition = 0;
        String live = runOnPartition("live", partition);
        String dies = runOnPartition("dies", partition);
        try (EmbeddedServer sweeper = ApplicationContext.run(EmbeddedServer.class, Map.of(
                "micronaut.server.port", -1,
                "vigil.topic-prefix", TOPICS.prefix(),
                "vigil.kafka.bootstrap-servers", bootstrap,
                "vigil.kafka.client.main.consumer.interceptor.classes", HoldBackInterceptor.class.getName(),
                "vigil.sweeper.application-id", "lag-it",
                "vigil.sweeper.state-dir", Files.createTempDirectory("lag-it").toString(),
                "vigil.kafka.replication-factor", 1));
             HeartbeatClient workers = HeartbeatClient.builder(bootstrap).topicPrefix(TOPICS.prefix()).build()) {
            assertThat(sweeper.getApplicationContext().getBean(KafkaSettings.class).clientConfig())
                    .containsEntry("main.consumer.interceptor.classes", HoldBackInterceptor.class.getName());
            create(bootstrap, live);
            create(bootstrap, dies);
            RunHeartbeat liveWorker = workers.startRun(live, 1, HEARTBEAT_TIMEOUT);
            RunHeartbeat deadWorker = workers.startRun(dies, 1, HEARTBEAT_TIMEOUT);
            KafkaRecords.readUntil(bootstrap, TOPICS.runActivity().name(), TOPICS.runActivity().valueSerde().deserializer(),
                    Duration.ofSeconds(60), rs -> rs.stream().filter(r -> r.value() instanceof FirstHeartbeatReceived).count() >= 2);

            HoldBackInterceptor.hold(new TopicPartition(TOPICS.heartbeats().name(), partition), HOLD.toNanos());
            deadWorker.close();
            long releasedAt = System.currentTimeMillis() + HOLD.toMillis();
            Awaitility.await().pollDelay(HOLD.minusSeconds(1)).until(() -> true);
            assertThat(HoldBackInterceptor.heldCount()).as("the partition really lagged").isGreaterThan(20);
            assertThat(timeouts(bootstrap)).as("nothing fires while the heartbeats wait").isEmpty();

            List<RunTimedOut> fired = Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> timeouts(bootstrap), t -> !t.isEmpty());
            Awaitility.await().pollDelay(Duration.ofSeconds(3)).until(() -> true);
            assertThat(timeouts(bootstrap)).singleElement().satisfies(t -> {
                assertThat(t.runId()).isEqualTo(dies);
                assertThat(t.reason()).isEqualTo(Reason.HEARTBEAT_TIMEOUT);
                assertThat(t.dueAt().toEpochMilli() - t.lastHeartbeatAt().toEpochMilli()).isEqualTo(HEARTBEAT_TIMEOUT.toMillis());
            });
            assertThat(System.currentTimeMillis()).isGreaterThanOrEqualTo(releasedAt);
            assertThat(fired).isNotEmpty();
            liveWorker.close();
        }
    }

    private static List<RunTimedOut> timeouts(String bootstrap) {
        return KafkaRecords.readUntil(bootstrap, TOPICS.timeouts().name(), TOPICS.timeouts().valueSerde().deserializer(),
                Duration.ofMillis(300), rs -> false).stream().map(ConsumerRecord::value).toList();
    }

    /** A run id whose records land on {@code partition} (the producer's default partitioner). */
    private static String runOnPartition(String name, int partition) {
        for (int i = 0; ; i++) {
            String id = name + "-" + i;
            if (Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % TOPICS.heartbeats().partitions() == partition) {
                return id;
            }
        }
    }

    private static void create(String bootstrap, String runId) throws Exception {
        try (KafkaProducer<String, RunEvent> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringSerializer(),
                TOPICS.runEvents().valueSerde().serializer())) {
            producer.send(new ProducerRecord<>(TOPICS.runEvents().name(), runId, RunCreated.of(runId, 1, "acme",
                    "key-" + runId, "it", null, new RunTimeouts(HEARTBEAT_TIMEOUT, Duration.ofSeconds(30),
                            Duration.ofSeconds(30), Duration.ofHours(1)), null))).get(10, TimeUnit.SECONDS);
        }
    }
}
