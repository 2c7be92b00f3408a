package dev.vigil.cleaner;

import dev.vigil.cleaner.output.CleanerOutput;
import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.serde.DeadLetterSender;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Keeps what the cleaner would publish, for assertions. */
public final class RecordingOutput implements CleanerOutput {

    /** A dead-lettered record and why. */
    public record DeadLetter(ConsumerRecord<byte[], byte[]> record, Throwable reason) {
    }

    public final List<CleanupPerformed> cleanups = new CopyOnWriteArrayList<>();
    public final List<DeadLetter> deadLetters = new CopyOnWriteArrayList<>();
    /** The threads cleanups were reported on. */
    public final java.util.Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();

    public volatile int flushes;
    /** How many of the next dead letters fail, as while the dead-letter topic is unavailable. */
    public int deadLettersToFail;

    @Override
    public void cleanupPerformed(CleanupPerformed event) {
        cleanups.add(event);
        threads.add(Thread.currentThread().getName());
    }

    @Override
    public synchronized boolean deadLetter(ConsumerRecord<byte[], byte[]> rejected, Throwable reason) {
        if (deadLettersToFail > 0) {
            deadLettersToFail--;
            return false;
        }
        deadLetters.add(new DeadLetter(rejected, reason));
        return true;
    }

    @Override
    public Optional<DeadLetterSender.Failure> deadLetterFailure() {
        return Optional.empty();
    }

    @Override
    public void flush() {
        flushes++;
    }
}
