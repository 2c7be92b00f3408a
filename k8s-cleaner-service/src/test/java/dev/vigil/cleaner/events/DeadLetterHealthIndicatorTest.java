package dev.vigil.cleaner.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.cleaner.Records;
import dev.vigil.cleaner.output.KafkaCleanerOutput;
import dev.vigil.contracts.serde.InvalidEventException;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.HealthResult;
import io.micronaut.management.health.indicator.annotation.Readiness;
import java.util.Map;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

class DeadLetterHealthIndicatorTest {

    private final MockProducer<byte[], byte[]> producer =
            new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    private final KafkaCleanerOutput output = new KafkaCleanerOutput(producer, Records.CATALOG);
    private final DeadLetterHealthIndicator indicator = new DeadLetterHealthIndicator(output);

    @Test
    void isDownForReadinessWhileDeadLettersFailAndUpOnceOneIsSent() {
        assertThat(DeadLetterHealthIndicator.class).hasAnnotation(Readiness.class);
        assertThat(health().getStatus()).isEqualTo(HealthStatus.UP);

        producer.sendException = new TimeoutException("dead-letter topic unavailable");
        output.deadLetter(Records.garbage(5, "junk"), new InvalidEventException("not JSON"));
        HealthResult failing = health();
        assertThat(failing.getName()).isEqualTo("deadLetters");
        assertThat(failing.getStatus()).isEqualTo(HealthStatus.DOWN);
        Map<?, ?> details = (Map<?, ?>) failing.getDetails();
        assertThat(details.get("failingSince")).isNotNull();
        assertThat(details.get("lastError").toString()).contains("dead-letter topic unavailable");

        producer.sendException = null;
        output.deadLetter(Records.garbage(5, "junk"), new InvalidEventException("not JSON"));
        assertThat(health().getStatus()).isEqualTo(HealthStatus.UP);
    }

    private HealthResult health() {
        return Mono.from(indicator.getResult()).block();
    }
}
