package dev.vigil.contracts.serde;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

class DeadLetterSenderTest {

    private static final ConsumerRecord<byte[], byte[]> REJECTED =
            new ConsumerRecord<>("vigil.timeouts", 2, 41L, "run-1".getBytes(), new byte[] {1, 2, 3});

    @Test
    void aFailedSendIsReportedNotThrownAndRememberedUntilASendSucceeds() {
        MockProducer<byte[], byte[]> producer =
                new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        DeadLetterSender sender = new DeadLetterSender(producer, "vigil.dead-letters", "test", Duration.ofSeconds(1));

        producer.sendException = new TimeoutException("broker away");
        assertThat(sender.send(REJECTED, new InvalidEventException("not JSON"))).isFalse();
        DeadLetterSender.Failure first = sender.failure().orElseThrow();
        assertThat(first.error()).contains("broker away");
        producer.sendException = new TimeoutException("still away");
        assertThat(sender.send(REJECTED, new InvalidEventException("not JSON"))).isFalse();
        assertThat(sender.failure()).hasValueSatisfying(f -> {
            assertThat(f.since()).as("failing since the first failure").isEqualTo(first.since());
            assertThat(f.error()).contains("still away");
        });

        producer.sendException = null;
        assertThat(sender.send(REJECTED, new InvalidEventException("not JSON"))).isTrue();
        assertThat(sender.failure()).isEmpty();
        assertThat(producer.history()).singleElement().satisfies(sent -> {
            assertThat(sent.topic()).isEqualTo("vigil.dead-letters");
            assertThat(sent.value()).isEqualTo(REJECTED.value());
        });
    }

    @Test
    void aSendTheBrokerDoesNotAcknowledgeInTimeHasFailed() {
        MockProducer<byte[], byte[]> silent =
                new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
        DeadLetterSender sender = new DeadLetterSender(silent, "vigil.dead-letters", "test", Duration.ofMillis(50));

        assertThat(sender.send(REJECTED, new InvalidEventException("not JSON"))).isFalse();
        assertThat(sender.failure()).isPresent();
    }
}
