package dev.vigil.cleaner.output;

import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.serde.DeadLetterSender;
import dev.vigil.contracts.topic.Topic;
import dev.vigil.contracts.topic.TopicCatalog;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes audit records to {@code vigil.cleanups} and rejected records to {@code vigil.dead-letters}.
 * An audit record that cannot be sent (the broker is away) is logged with everything it said and
 * dropped: the cleanup itself must not wait for, or fail with, Kafka. A dead letter is waited for
 * ({@link DeadLetterSender}): its record must not be committed until the broker has it.
 */
public final class KafkaCleanerOutput implements CleanerOutput {

    /** Named in the {@code vigil-dlq-consumer} header of what the cleaner dead-letters. */
    public static final String CONSUMER_NAME = "k8s-cleaner-service";

    private static final Logger LOG = LoggerFactory.getLogger(KafkaCleanerOutput.class);
    /**
     * A dead letter not acknowledged by then counts as failed and is sent again when its record is
     * retried (the first may still arrive: dead letters are at least once).
     */
    private static final Duration DEAD_LETTER_WAIT = Duration.ofSeconds(30);

    private final Producer<byte[], byte[]> producer;
    private final Topic<String, CleanupPerformed> cleanups;
    private final DeadLetterSender deadLetters;

    public KafkaCleanerOutput(Producer<byte[], byte[]> producer, TopicCatalog catalog) {
        this.producer = producer;
        this.cleanups = catalog.cleanups();
        this.deadLetters = new DeadLetterSender(producer, catalog.deadLetters().name(), CONSUMER_NAME, DEAD_LETTER_WAIT);
    }

    @Override
    public void cleanupPerformed(CleanupPerformed event) {
        RecordHeaders headers = new RecordHeaders();
        byte[] value = cleanups.valueSerde().serializer().serialize(cleanups.name(), headers, event);
        byte[] key = event.runId().getBytes(StandardCharsets.UTF_8);
        send(new ProducerRecord<>(cleanups.name(), null, key, value, headers), () -> "the cleanup record " + event);
    }

    @Override
    public boolean deadLetter(ConsumerRecord<byte[], byte[]> rejected, Throwable reason) {
        return deadLetters.send(rejected, reason);
    }

    @Override
    public Optional<DeadLetterSender.Failure> deadLetterFailure() {
        return deadLetters.failure();
    }

    private void send(ProducerRecord<byte[], byte[]> record, Supplier<String> what) {
        try {
            producer.send(record, (metadata, error) -> {
                if (error != null) {
                    LOG.warn("could not publish {}: {}", what.get(), error.toString());
                }
            });
        } catch (KafkaException | IllegalStateException e) {
            LOG.warn("could not publish {}: {}", what.get(), e.toString());
        }
    }

    @Override
    public void flush() {
        producer.flush();
    }
}
