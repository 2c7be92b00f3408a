package dev.vigil.run.consume;

import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.serde.DeadLetterSender;
import dev.vigil.contracts.serde.EventJson;
import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.contracts.KafkaSettings;
import dev.vigil.run.RunMetrics;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import jakarta.annotation.PreDestroy;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Consumes {@code vigil.cleanups} (group {@code <prefix>run-service-cleanups}) into the runs'
 * timelines through {@link CleanupEvents}. A consumer of its own, so that trouble reading the
 * cleaner's audit (a missing ACL, a poison record) never holds up the timeouts that finalize runs.
 */
@Context
@Requires(property = "vigil.consumer.enabled", notEquals = "false")
public class CleanupEventConsumer extends EventConsumerLoop {

    private final CleanupEvents handler;

    public CleanupEventConsumer(CleanupEvents handler, RunMetrics metrics, TopicCatalog topics,
                                DeadLetterSender deadLetters, KafkaSettings kafka) {
        super("cleanup-events", topics.prefix() + "run-service-cleanups", List.of(topics.cleanups().name()), metrics,
                deadLetters, kafka);
        this.handler = handler;
        start();
    }

    @Override
    Work parse(ConsumerRecord<byte[], byte[]> record) {
        CleanupPerformed cleanup = EventJson.read(record.value(), CleanupPerformed.class);
        return new Work(cleanup.runId(), () -> handler.onCleanup(cleanup));
    }

    @Override
    @PreDestroy
    public void close() {
        super.close();
    }
}
