package dev.vigil.run.consume;

import io.micronaut.data.exceptions.DataAccessException;
import io.micronaut.transaction.exceptions.TransactionException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one record's database write, retrying what the database may get over (an outage, a deadlock)
 * with bounded backoff. A give-up logs ONE ERROR with the run id and cause; a data error is thrown at
 * once as {@link PoisonRecordException}, since no retry can help it.
 */
final class WriteRetry {

    private static final Logger LOG = LoggerFactory.getLogger(WriteRetry.class);
    private static final int ATTEMPTS = 5;
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);

    private WriteRetry() {
    }

    /**
     * Runs {@code work}; true once written, false after giving up (the record stays uncommitted).
     *
     * @throws PoisonRecordException if the database refused the record's data
     * @throws RuntimeException      anything that is not a database failure, as it was thrown
     */
    static boolean run(String topic, EventConsumerLoop.Work work) {
        Duration backoff = FIRST_BACKOFF;
        for (int attempt = 1; ; attempt++) {
            try {
                work.write().run();
                return true;
            } catch (RuntimeException e) {
                DataErrors.refusal(e).ifPresent(refusal -> {
                    throw new PoisonRecordException(refusal);
                });
                if (!(e instanceof DataAccessException) && !(e instanceof TransactionException)) {
                    throw e;
                }
                if (attempt >= ATTEMPTS) {
                    LOG.error("giving up on {} for run {} after {} attempts, left uncommitted for redelivery: {}",
                            topic, work.runId(), ATTEMPTS, rootCause(e));
                    return false;
                }
                LOG.warn("database write for run {} failed (attempt {}/{}), retrying in {} ms: {}", work.runId(), attempt,
                        ATTEMPTS, backoff.toMillis(), rootCause(e));
                EventConsumerLoop.sleep(backoff);
                backoff = backoff.multipliedBy(2);
            }
        }
    }

    private static String rootCause(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && !(cause instanceof java.sql.SQLException)) {
            cause = cause.getCause();
        }
        return cause.toString();
    }
}
