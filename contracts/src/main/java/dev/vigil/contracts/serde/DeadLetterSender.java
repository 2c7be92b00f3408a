package dev.vigil.contracts.serde;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends rejected records to the dead-letter topic ({@link DeadLetters}) and waits for the broker's
 * acknowledgement, so that a consumer commits past a rejected record only once its dead letter is
 * safe. A send that fails is logged and reported as false — never thrown — and the sender remembers
 * since when the topic has been failing, for the service's health, until a send succeeds again.
 * Thread-safe; the producer belongs to the caller.
 */
public final class DeadLetterSender {

    /** Dead letters have failed since {@code since}; {@code error} is the latest failure. */
    public record Failure(Instant since, String error) {

        /** The failure as health details. */
        public Map<String, Object> details() {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("failingSince", since.toString());
            details.put("lastError", error);
            return details;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterSender.class);

    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final String consumer;
    private final Duration wait;
    private final AtomicReference<Failure> failure = new AtomicReference<>();

    /**
     * @param consumer named in the {@code vigil-dlq-consumer} header
     * @param wait     the longest a send waits for the acknowledgement before it counts as failed
     */
    public DeadLetterSender(Producer<byte[], byte[]> producer, String topic, String consumer, Duration wait) {
        this.producer = producer;
        this.topic = topic;
        this.consumer = consumer;
        this.wait = wait;
    }

    /**
     * Sends {@code rejected} with {@code reason} in its headers; true once the broker has it, false if
     * it could not be sent in time (the caller must then not commit past {@code rejected}).
     */
    public boolean send(ConsumerRecord<byte[], byte[]> rejected, Throwable reason) {
        try {
            producer.send(DeadLetters.of(topic, rejected, consumer, reason)).get(wait.toMillis(), TimeUnit.MILLISECONDS);
            failure.set(null);
            return true;
        } catch (ExecutionException e) {
            return failed(rejected, e.getCause() == null ? e : e.getCause());
        } catch (TimeoutException | KafkaException | IllegalStateException e) {
            return failed(rejected, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed(rejected, e);
        }
    }

    /** Whether dead letters are failing now: since when, and the latest error. */
    public Optional<Failure> failure() {
        return Optional.ofNullable(failure.get());
    }

    private boolean failed(ConsumerRecord<byte[], byte[]> rejected, Throwable error) {
        String why = error.toString();
        failure.getAndUpdate(previous -> new Failure(previous == null ? Instant.now() : previous.since(), why));
        LOG.warn("could not dead-letter {}-{}@{} to {}; it stays uncommitted and is retried: {}", rejected.topic(),
                rejected.partition(), rejected.offset(), topic, why);
        return false;
    }
}
