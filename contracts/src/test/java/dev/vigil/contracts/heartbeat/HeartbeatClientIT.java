package dev.vigil.contracts.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.vigil.infra.KafkaRecords;
import dev.vigil.contracts.event.AgentHeartbeat;
import dev.vigil.contracts.event.Heartbeat;
import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.contracts.topic.TopicProvisioner;
import dev.vigil.infra.KafkaBroker;
import dev.vigil.infra.KafkaServerProcess;
import dev.vigil.infra.RealInfraExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.record.TimestampType;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(RealInfraExtension.class)
class HeartbeatClientIT {

    private static final Duration TIMEOUT = Duration.ofMillis(900);
    private static final TopicCatalog TOPICS = new TopicCatalog("hb-it.");
    private static String bootstrap;

    @BeforeAll
    static void createTopics(KafkaBroker kafka) {
        bootstrap = kafka.bootstrapServers();
        createTopics(bootstrap);
    }

    @Test
    void beatsKeyedByRunIdWithNoGapAsLongAsTheTimeoutAndProgressRidingAlong() {
        String runId = "run-" + UUID.randomUUID();
        try (HeartbeatClient client = client(bootstrap);
             RunHeartbeat heartbeat = client.startRun(runId, 2, TIMEOUT)) {
            assertThat(heartbeat.interval()).isEqualTo(Duration.ofMillis(300));
            heartbeat.progress(3, "chapter 3");
            List<ConsumerRecord<String, Heartbeat>> records = readHeartbeats(runId, 8);

            assertThat(records).hasSizeGreaterThanOrEqualTo(8).allSatisfy(r -> {
                assertThat(r.key()).isEqualTo(runId);
                assertThat(r.value().runId()).isEqualTo(runId);
                assertThat(r.value().attempt()).isEqualTo(2);
                assertThat(r.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
            });
            assertThat(records).extracting(r -> r.value().seq()).startsWith(0L, 1L, 2L);
            for (int i = 1; i < records.size(); i++) {
                long gap = records.get(i).timestamp() - records.get(i - 1).timestamp();
                assertThat(gap).as("gap before heartbeat %d", i).isLessThan(TIMEOUT.toMillis());
            }
            assertThat(records.get(records.size() - 1).value().steps()).isEqualTo(3L);
            assertThat(records.get(records.size() - 1).value().message()).isEqualTo("chapter 3");
            assertThat(client.failedSends()).isZero();
        }
    }

    @Test
    void closeStopsTheBeats() throws Exception {
        String runId = "run-" + UUID.randomUUID();
        try (HeartbeatClient client = client(bootstrap)) {
            RunHeartbeat heartbeat = client.startRun(runId, 1, TIMEOUT);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> client.delivered() >= 2);
            heartbeat.close();
            long beatsAtClose = heartbeat.beats();
            Awaitility.await().pollDelay(Duration.ofMillis(1200)).until(() -> true);
            assertThat(heartbeat.beats()).isEqualTo(beatsAtClose);
            assertThat(readHeartbeats(runId, (int) beatsAtClose)).hasSize((int) beatsAtClose);
        }
    }

    @Test
    void agentModeBeatsKeyedByWorkspaceAndAgentIdAndItsRunsNameTheAgent() {
        String agentId = "agent-" + UUID.randomUUID();
        String runId = "run-" + UUID.randomUUID();
        try (HeartbeatClient client = client(bootstrap);
             AgentPulse agent = client.startAgent("acme", agentId, TIMEOUT);
             RunHeartbeat run = client.startRun(runId, 1, TIMEOUT, agentId)) {
            List<ConsumerRecord<String, AgentHeartbeat>> agentBeats = KafkaRecords.readUntil(bootstrap,
                    TOPICS.agentHeartbeats().name(), TOPICS.agentHeartbeats().valueSerde().deserializer(),
                    Duration.ofSeconds(20), rs -> rs.stream().filter(r -> r.key().equals("acme/" + agentId)).count() >= 3);
            assertThat(agentBeats).filteredOn(r -> r.key().equals("acme/" + agentId)).hasSizeGreaterThanOrEqualTo(3)
                    .allSatisfy(r -> {
                        assertThat(r.value().instanceId()).isNotBlank();
                        assertThat(r.value().workspace()).isEqualTo("acme");
                    });
            assertThat(readHeartbeats(runId, 1)).allSatisfy(r -> assertThat(r.value().agentId()).isEqualTo(agentId));
        }
    }

    @Test
    void aBrokerThatIsNotThereNeverThrowsIntoTheWorker() {
        HeartbeatClient client = client("localhost:" + unusedPort());
        assertThatCode(() -> {
            RunHeartbeat heartbeat = client.startRun("run-nobroker", 1, Duration.ofMillis(300));
            for (int i = 0; i < 20; i++) {
                heartbeat.step("working without a broker");
            }
            Awaitility.await().pollDelay(Duration.ofMillis(500)).until(() -> true);
            heartbeat.close();
            client.close();
        }).doesNotThrowAnyException();
    }

    @Test
    void heartbeatsResumeWhenAKilledBrokerComesBack(@TempDir Path dir) {
        String runId = "run-outage";
        try (KafkaServerProcess broker = KafkaServerProcess.start(0, dir)) {
            createTopics(broker.bootstrapServers());
            try (HeartbeatClient client = client(broker.bootstrapServers());
                 RunHeartbeat heartbeat = client.startRun(runId, 1, Duration.ofSeconds(3))) {
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> client.delivered() >= 2);

                broker.kill();
                long deliveredDuringOutage = client.delivered();
                assertThatCode(() -> {
                    for (int i = 0; i < 5; i++) {
                        heartbeat.step("working through the outage");
                    }
                    Awaitility.await().pollDelay(Duration.ofSeconds(3)).until(() -> true);
                }).doesNotThrowAnyException();
                assertThat(client.delivered()).isEqualTo(deliveredDuringOutage);

                broker.restart();
                Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> client.delivered() >= deliveredDuringOutage + 2);
                List<ConsumerRecord<String, Heartbeat>> records = KafkaRecords.readUntil(broker.bootstrapServers(),
                        TOPICS.heartbeats().name(), TOPICS.heartbeats().valueSerde().deserializer(), Duration.ofSeconds(30),
                        rs -> rs.stream().anyMatch(r -> r.value().steps() != null && r.value().steps() == 5));
                assertThat(records).as("a heartbeat sent after the restart carries the progress made during the outage")
                        .anySatisfy(r -> assertThat(r.value().steps()).isEqualTo(5L));
            }
        }
    }

    private static List<ConsumerRecord<String, Heartbeat>> readHeartbeats(String runId, int atLeast) {
        List<ConsumerRecord<String, Heartbeat>> all = KafkaRecords.readUntil(bootstrap, TOPICS.heartbeats().name(),
                TOPICS.heartbeats().valueSerde().deserializer(), Duration.ofSeconds(20),
                rs -> rs.stream().filter(r -> r.key().equals(runId)).count() >= atLeast);
        return all.stream().filter(r -> r.key().equals(runId)).toList();
    }

    private static HeartbeatClient client(String bootstrapServers) {
        return HeartbeatClient.builder(bootstrapServers).topicPrefix(TOPICS.prefix()).build();
    }

    private static void createTopics(String bootstrapServers) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            TopicProvisioner.createMissing(admin, TOPICS, (short) 1);
        }
    }

    private static int unusedPort() {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
