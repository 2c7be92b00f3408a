package dev.vigil.contracts.topic;

import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up steps that need the broker (creating and checking topics) retried until it answers, for a
 * bounded time: a service that starts while its broker is down or restarting waits for it, as it
 * would for any dependency, instead of exiting and taking its port and group membership with it.
 */
public final class BrokerWait {

    /** The default bound: longer than a broker's restart, shorter than anyone's patience. */
    public static final Duration DEFAULT = Duration.ofMinutes(3);
    private static final Logger LOG = LoggerFactory.getLogger(BrokerWait.class);
    private static final Duration RETRY = Duration.ofSeconds(2);

    private BrokerWait() {
    }

    /**
     * Runs {@code step} until it returns, retrying every 2 s for up to {@code maxWait}; then rethrows
     * its last failure (one ERROR names the give-up).
     */
    public static <T> T until(String what, Duration maxWait, Supplier<T> step) {
        long deadline = System.nanoTime() + maxWait.toNanos();
        for (int attempt = 1; ; attempt++) {
            try {
                return step.get();
            } catch (RuntimeException e) {
                if (System.nanoTime() - deadline >= 0 || Thread.currentThread().isInterrupted()) {
                    LOG.error("gave up waiting for the broker to {} after {} attempt(s) in {}", what, attempt,
                            maxWait, e);
                    throw e;
                }
                LOG.warn("could not {} yet ({}); retrying in {} s", what, e.getMessage(), RETRY.toSeconds());
            }
            try {
                Thread.sleep(RETRY.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting to " + what, e);
            }
        }
    }
}
