package dev.vigil.cleaner.output;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.vigil.cleaner.LogCapture;
import dev.vigil.cleaner.Records;
import dev.vigil.contracts.VigilHeaders;
import dev.vigil.contracts.event.CleanupOutcome;
import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.event.CleanupTrigger;
import dev.vigil.contracts.serde.InvalidEventException;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

class KafkaCleanerOutputTest {

    private final MockProducer<byte[], byte[]> producer =
            new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    private final KafkaCleanerOutput output = new KafkaCleanerOutput(producer, Records.CATALOG);

    @Test
    void publishesCleanupsKeyedByRunIdWithTheirTypeHeader() {
        CleanupPerformed event = CleanupPerformed.of("run-1", 2, "agents", "Deployment", "web", CleanupOutcome.DELETED,
                CleanupTrigger.RUN_FINISHED, null);

        output.cleanupPerformed(event);

        ProducerRecord<byte[], byte[]> sent = producer.history().get(0);
        assertThat(sent.topic()).isEqualTo("test.cleanups");
        assertThat(new String(sent.key(), StandardCharsets.UTF_8)).isEqualTo("run-1");
        assertThat(new String(sent.headers().lastHeader(VigilHeaders.TYPE).value(), StandardCharsets.UTF_8))
                .isEqualTo("CleanupPerformed");
        assertThat(Records.CATALOG.cleanups().valueSerde().deserializer().deserialize(sent.topic(), sent.value()))
                .isEqualTo(event);
    }

    @Test
    void deadLettersTheRejectedBytesWithTheReasonInHeaders() {
        var rejected = Records.garbage(7, "not json");

        output.deadLetter(rejected, new InvalidEventException("not JSON"));

        ProducerRecord<byte[], byte[]> sent = producer.history().get(0);
        assertThat(sent.topic()).isEqualTo("test.dead-letters");
        assertThat(sent.key()).isEqualTo(rejected.key());
        assertThat(sent.value()).isEqualTo(rejected.value());
        assertThat(header(sent, VigilHeaders.DLQ_REASON)).isEqualTo("not JSON");
        assertThat(header(sent, VigilHeaders.DLQ_SOURCE_TOPIC)).isEqualTo(Records.TOPIC);
        assertThat(header(sent, VigilHeaders.DLQ_SOURCE_OFFSET)).isEqualTo("7");
        assertThat(header(sent, VigilHeaders.DLQ_CONSUMER)).isEqualTo(KafkaCleanerOutput.CONSUMER_NAME);
    }

    @Test
    void anAuditRecordThatCannotBeSentIsLoggedAndNeverFailsTheCleanup() {
        MockProducer<byte[], byte[]> failing =
                new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
        KafkaCleanerOutput unlucky = new KafkaCleanerOutput(failing, Records.CATALOG);
        CleanupPerformed event = CleanupPerformed.of("run-2", 1, "agents", "Service", "svc", CleanupOutcome.DELETED,
                CleanupTrigger.GARBAGE_COLLECTION, null);

        try (LogCapture logs = new LogCapture()) {
            unlucky.cleanupPerformed(event);
            failing.errorNext(new TimeoutException("broker away"));

            assertThat(logs.messages(Level.WARN)).singleElement().satisfies(m -> assertThat(m)
                    .startsWith("could not publish").contains("run-2", "svc", "broker away"));
        }
    }

    @Test
    void aDeadLetterIsWaitedForAndOneThatCannotBeSentIsReportedAndShowsInHealthUntilOneIs() {
        MockProducer<byte[], byte[]> producer =
                new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        KafkaCleanerOutput output = new KafkaCleanerOutput(producer, Records.CATALOG);

        producer.sendException = new TimeoutException("dead-letter topic unavailable");
        try (LogCapture logs = new LogCapture()) {
            assertThat(output.deadLetter(Records.garbage(3, "junk"), new InvalidEventException("not JSON"))).isFalse();
            assertThat(logs.messages(Level.WARN)).singleElement().satisfies(m -> assertThat(m)
                    .contains("@3", "dead-letter topic unavailable"));
        }
        assertThat(output.deadLetterFailure()).hasValueSatisfying(f ->
                assertThat(f.error()).contains("dead-letter topic unavailable"));

        producer.sendException = null;
        assertThat(output.deadLetter(Records.garbage(3, "junk"), new InvalidEventException("not JSON"))).isTrue();
        assertThat(output.deadLetterFailure()).isEmpty();
    }

    private static String header(ProducerRecord<byte[], byte[]> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }
}
