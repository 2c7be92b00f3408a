package dev.vigil.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.topic.TopicProvisioner;
import dev.vigil.infra.KafkaBroker;
import dev.vigil.infra.PostgresDatabase;
import dev.vigil.infra.RealInfraExtension;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * While the dead-letter topic cannot be written (here: it was deleted, and the broker does not create
 * topics), a rejected record is retried after a pause and nothing behind it is applied or committed;
 * readiness says so. When the topic is back the record is dead-lettered and the consumer goes on.
 */
@ExtendWith(RealInfraExtension.class)
class DeadLetterOutageIT {

    private static final byte[] GARBAGE = {1, 2, 3};
    private static RunServiceHarness service;
    private static String token;

    @BeforeAll
    static void start(KafkaBroker kafka, PostgresDatabase db) throws Exception {
        service = new RunServiceHarness(kafka, db, "dlq-outage-it.", Map.of());
        token = RunServiceHarness.token("alice", "acme", Duration.ofHours(1));
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void aRecordWhoseDeadLetterFailsIsRetriedAndNothingBehindItIsCommitted() throws Exception {
        String id = service.createRun(token, "behind-the-poison");
        String deadLetters = service.topics.deadLetters().name();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", service.bootstrap))) {
            admin.deleteTopics(List.of(deadLetters)).all().get(30, TimeUnit.SECONDS);
            Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> !admin.listTopics().names().get().contains(deadLetters));
            String timeouts = service.topics.timeouts().name();
            String group = service.topics.prefix() + "run-service";
            RecordMetadata poison;
            TopicPartition partition;
            try {
                poison = service.publishRaw(timeouts, id, GARBAGE);
                service.publish(timeouts, id, RunTimedOut.of(id, 1, Reason.START_TIMEOUT, Instant.now(), null, null,
                        false, null));
                partition = new TopicPartition(timeouts, poison.partition());

                long giveUp = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                while (failedDeadLetters(timeouts) < 2) { // the first attempt and one retry after the pause
                    assertThat(System.nanoTime() - giveUp).as("two failed dead letters within 90 s").isNegative();
                    assertThat(service.committed(group, partition)).as("committed offset while the dead letter fails")
                            .isLessThanOrEqualTo(poison.offset());
                    assertThat(service.status(token, id)).as("the timeout behind the poison is not applied yet")
                            .isEqualTo("PENDING");
                    Thread.sleep(300);
                }
                assertThat(service.committed(group, partition)).isLessThanOrEqualTo(poison.offset());
                HttpResponse<String> readiness = service.call("GET", "/health/readiness", null, null);
                assertThat(readiness.statusCode()).as(readiness.body()).isEqualTo(503);
                assertThat(readiness.body()).contains("deadLetters");
            } finally {
                TopicProvisioner.createMissing(admin, service.topics, (short) 1);
            }

            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> service.status(token, id).equals("TIMED_OUT"));
            Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> service.committed(group, partition)
                    == poison.offset() + 2);
            List<ConsumerRecord<String, byte[]>> dead = service.read(deadLetters, new ByteArrayDeserializer(),
                    Duration.ofSeconds(15), rs -> rs.stream().anyMatch(r -> id.equals(r.key())));
            assertThat(dead).filteredOn(r -> id.equals(r.key())).isNotEmpty()
                    .allSatisfy(r -> assertThat(r.value()).isEqualTo(GARBAGE));
            Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> service.call("GET", "/health/readiness", null, null).statusCode() == 200);
        }
    }

    private static double failedDeadLetters(String topic) throws Exception {
        Matcher count = Pattern.compile("vigil_run_service_dead_letter_failures_total\\{[^}]*topic=\"" + Pattern.quote(topic)
                + "\"[^}]*} (\\S+)").matcher(service.call("GET", "/prometheus", null, null).body());
        return count.find() ? Double.parseDouble(count.group(1)) : 0;
    }
}
