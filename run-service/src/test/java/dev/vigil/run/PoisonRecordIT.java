package dev.vigil.run;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.contracts.VigilHeaders;
import dev.vigil.contracts.event.CleanupOutcome;
import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.event.CleanupTrigger;
import dev.vigil.contracts.serde.EventJson;
import dev.vigil.infra.KafkaBroker;
import dev.vigil.infra.PostgresDatabase;
import dev.vigil.infra.RealInfraExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * A valid event that PostgreSQL refuses (a data error, SQLSTATE class 22) is poison: dead-lettered,
 * committed, counted, logged once, and the records behind it are still applied.
 */
@ExtendWith(RealInfraExtension.class)
class PoisonRecordIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static RunServiceHarness service;
    private static String token;

    @BeforeAll
    static void start(KafkaBroker kafka, PostgresDatabase db) throws Exception {
        service = new RunServiceHarness(kafka, db, "poison-it.", Map.of());
        token = RunServiceHarness.token("alice", "acme", Duration.ofHours(1));
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void aRecordTheDatabaseRefusesIsDeadLetteredCommittedAndTheNextRecordIsStored() throws Exception {
        String id = service.createRun(token, "poison-cleanup");
        // Passes the event's own validation (kind is only required), but text cannot hold NUL: SQLSTATE 22021.
        CleanupPerformed poison = CleanupPerformed.of(id, 1, "agents", "Deploy\u0000ment", "web",
                CleanupOutcome.DELETED, CleanupTrigger.RUN_FINISHED, null);
        CleanupPerformed next = CleanupPerformed.of(id, 1, "agents", "Service", "web",
                CleanupOutcome.DELETED, CleanupTrigger.RUN_FINISHED, null);
        String topic = service.topics.cleanups().name();
        ListAppender<ILoggingEvent> logs = captureLogs();
        try {
            RecordMetadata poisoned = service.publish(topic, id, poison);
            service.publish(topic, id, next);

            Awaitility.await("the record behind the poison is stored").atMost(Duration.ofSeconds(30))
                    .until(() -> cleanedKinds(id).contains("Service"));
            assertThat(cleanedKinds(id)).containsExactly("Service");

            List<ConsumerRecord<String, byte[]>> dead = service.read(service.topics.deadLetters().name(),
                    new ByteArrayDeserializer(), Duration.ofSeconds(15), rs -> rs.stream().anyMatch(r -> id.equals(r.key())))
                    .stream().filter(r -> id.equals(r.key())).toList();
            assertThat(dead).as("dead-lettered once").hasSize(1);
            ConsumerRecord<String, byte[]> letter = dead.get(0);
            assertThat(letter.value()).isEqualTo(EventJson.write(poison));
            assertThat(header(letter, VigilHeaders.DLQ_REASON)).contains("22021");
            assertThat(header(letter, VigilHeaders.DLQ_SOURCE_TOPIC)).isEqualTo(topic);
            assertThat(header(letter, VigilHeaders.DLQ_SOURCE_OFFSET)).isEqualTo(Long.toString(poisoned.offset()));
            assertThat(header(letter, VigilHeaders.DLQ_CONSUMER)).isEqualTo("run-service");

            TopicPartition partition = new TopicPartition(topic, poisoned.partition());
            Awaitility.await("committed past both records").atMost(Duration.ofSeconds(15))
                    .until(() -> service.committed(service.topics.prefix() + "run-service-cleanups", partition)
                            == poisoned.offset() + 2);

            assertThat(service.call("GET", "/prometheus", null, null).body()).containsPattern(
                    "vigil_run_service_poison_records_total\\{[^}]*sqlstate=\"22021\"[^}]*topic=\"" + topic + "\"[^}]*} 1\\.0");
            List<ILoggingEvent> logged;
            synchronized (logs) { // the appender appends under this lock, from the service's threads
                logged = List.copyOf(logs.list);
            }
            assertThat(logged).filteredOn(e -> e.getLevel() == Level.ERROR)
                    .filteredOn(e -> e.getFormattedMessage().contains(id))
                    .as("one ERROR line naming the run").hasSize(1)
                    .allSatisfy(e -> assertThat(e.getFormattedMessage()).contains("22021"));
        } finally {
            stopCapturing(logs);
        }
    }

    private static List<String> cleanedKinds(String id) throws Exception {
        JsonNode timeline = JSON.readTree(service.call("GET", "/api/v1/runs/" + id + "/timeline", token, null).body());
        return timeline.get("entries").findValues("resource").stream()
                .filter(r -> !r.isNull()).map(r -> r.get("kind").asText()).toList();
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    private static ListAppender<ILoggingEvent> captureLogs() {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((Logger) LoggerFactory.getLogger("dev.vigil.run")).addAppender(appender);
        return appender;
    }

    private static void stopCapturing(ListAppender<ILoggingEvent> appender) {
        ((Logger) LoggerFactory.getLogger("dev.vigil.run")).detachAppender(appender);
    }
}
