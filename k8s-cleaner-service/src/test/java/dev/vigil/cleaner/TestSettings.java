package dev.vigil.cleaner;

import dev.vigil.cleaner.settings.CleanerSettings;
import dev.vigil.cleaner.settings.RetryPolicy;
import java.time.Duration;
import java.util.List;

/** Settings for tests: the default kinds and labels, millisecond backoff, runs of at most 10 minutes. */
public final class TestSettings {

    /** Four tries, 1-4 ms apart. */
    public static final RetryPolicy FAST_RETRY = new RetryPolicy(4, Duration.ofMillis(1), Duration.ofMillis(4));

    private TestSettings() {
    }

    /** {@link #allowing} whose cleanups wait at most {@code bound} for the resource cache's first list. */
    public static CleanerSettings waitingForTheCache(Duration bound, String... namespaces) {
        CleanerSettings s = allowing(namespaces);
        CleanerSettings.Service d = s.service();
        return new CleanerSettings(s.namespaces(), s.kinds(), s.runLabelKey(), s.managedByKey(), s.managedByValue(),
                s.orphanAge(), s.maxRunDuration(), s.retry(), s.maxTrackedRuns(), new CleanerSettings.Service(
                        d.concurrency(), d.consumerGroupId(), d.pollTimeout(), d.kubernetesMasterUrl(), bound));
    }

    public static CleanerSettings allowing(String... namespaces) {
        return CleanerSettings.of(List.of(namespaces),
                CleanerSettings.DEFAULT_KINDS, "session", "app.kubernetes.io/managed-by", "vigil", Duration.ofMinutes(10),
                Duration.ofMinutes(10), FAST_RETRY, 1000, CleanerSettings.Service.DEFAULTS);
    }
}
