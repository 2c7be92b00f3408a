package dev.vigil.cleaner.output;

import dev.vigil.contracts.event.CleanupPerformed;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Where the cleaner's records go: the audit trail ({@code vigil.cleanups}) and the dead-letter topic. */
public interface CleanerOutput {

    /** Publishes one audit record, keyed by its run id. */
    void cleanupPerformed(CleanupPerformed event);

    /** Sends a rejected input record, byte for byte, to the dead-letter topic with {@code reason} in headers. */
    void deadLetter(ConsumerRecord<byte[], byte[]> rejected, Throwable reason);

    /** Waits until everything sent so far is acknowledged (before offsets are committed). */
    void flush();
}
