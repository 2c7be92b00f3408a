package dev.vigil.run.consume;

import dev.vigil.contracts.event.RunActivity;
import dev.vigil.contracts.event.RunTimedOut;
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
 * Consumes {@code vigil.timeouts} and {@code vigil.run-activity} (group {@code <prefix>run-service})
 * and hands each event to {@link SweeperEvents}, committing only after the database write (see
 * {@link EventConsumerLoop}).
 */
@Context
@Requires(property = "vigil.consumer.enabled", notEquals = "false")
public class SweeperEventConsumer extends EventConsumerLoop {

    private final SweeperEvents handler;
    private final String timeoutsTopic;

    public SweeperEventConsumer(SweeperEvents handler, RunMetrics metrics, TopicCatalog topics,
                                DeadLetterSender deadLetters, KafkaSettings kafka) {
        super("sweeper-events", topics.prefix() + "run-service",
                List.of(topics.timeouts().name(), topics.runActivity().name()), metrics, deadLetters, kafka);
        this.handler = handler;
        this.timeoutsTopic = topics.timeouts().name();
        start();
    }

    @Override
    Work parse(ConsumerRecord<byte[], byte[]> record) {
        if (record.topic().equals(timeoutsTopic)) {
            RunTimedOut timeout = EventJson.read(record.value(), RunTimedOut.class);
            return new Work(timeout.runId(), () -> handler.onTimeout(timeout));
        }
        RunActivity activity = EventJson.read(record.value(), RunActivity.class);
        return new Work(activity.runId(), () -> handler.onActivity(activity));
    }

    @Override
    @PreDestroy
    public void close() {
        super.close();
    }
}
