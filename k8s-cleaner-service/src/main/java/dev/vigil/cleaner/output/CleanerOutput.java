package dev.vigil.cleaner.output;

import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.serde.DeadLetterSender;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Where the cleaner's records go: the audit trail ({@code vigil.cleanups}) and the dead-letter topic. */
public interface CleanerOutput {

    /** Publishes one audit record, keyed by its run id. */
    void cleanupPerformed(CleanupPerformed event);

    /**
     * Sends a rejected input record, byte for byte, to the dead-letter topic with {@code reason} in headers
     * and waits for the broker: true once it has it, false if it could not be sent (then nothing at or
     * after {@code rejected} in its partition may be committed).
     */
    boolean deadLetter(ConsumerRecord<byte[], byte[]> rejected, Throwable reason);

    /** Whether dead letters are failing now: since when, and the latest error. */
    Optional<DeadLetterSender.Failure> deadLetterFailure();

    /** Waits until everything sent so far is acknowledged (before offsets are committed). */
    void flush();
}
