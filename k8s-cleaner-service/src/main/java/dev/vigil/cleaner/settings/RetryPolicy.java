package dev.vigil.cleaner.settings;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Bounded exponential backoff: at most {@code attempts} tries, waiting {@code initialBackoff},
 * then twice that, and so on up to {@code maxBackoff}, each wait jittered down by up to a half so
 * that many cleaners throttled at once do not come back in step.
 */
public record RetryPolicy(int attempts, Duration initialBackoff, Duration maxBackoff) {

    public RetryPolicy {
        if (attempts < 1) {
            throw new IllegalArgumentException("vigil.cleaner.retry: attempts must be >= 1, was " + attempts);
        }
        if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("vigil.cleaner.retry: need 0 <= initial-backoff <= max-backoff, was "
                    + initialBackoff + " and " + maxBackoff);
        }
    }

    /** The wait after the {@code failures}-th failed try (1-based). */
    public Duration backoff(int failures) {
        long exponential = initialBackoff.toMillis() << Math.min(failures - 1, 30);
        long capped = Math.min(Math.max(exponential, 0), maxBackoff.toMillis());
        long jitter = capped / 2 == 0 ? 0 : ThreadLocalRandom.current().nextLong(capped / 2 + 1);
        return Duration.ofMillis(capped - jitter);
    }
}
