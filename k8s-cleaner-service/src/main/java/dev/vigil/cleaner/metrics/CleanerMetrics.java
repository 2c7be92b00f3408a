package dev.vigil.cleaner.metrics;

import dev.vigil.contracts.event.CleanupOutcome;
import dev.vigil.contracts.event.CleanupTrigger;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The cleaner's meters. In Prometheus form: {@code vigil_cleaner_resources_deleted_total{kind,trigger}},
 * {@code vigil_cleaner_resources_already_gone_total}, {@code vigil_cleaner_resources_failed_total},
 * {@code vigil_cleaner_resources_spared_total}, {@code vigil_cleaner_resources_refused_total},
 * {@code vigil_cleaner_gc_unknown_run_resources},
 * {@code vigil_cleaner_dead_letters_total{reason}}, {@code vigil_cleaner_dead_letter_failures_total{reason}},
 * {@code vigil_cleaner_cleanups_refused_total{reason}},
 * {@code vigil_cleaner_gc_sweeps_total{result}}, {@code vigil_cleaner_gc_orphans_found_total{kind,run}}
 * and the gauges {@code vigil_cleaner_runs_tracked{state}}, {@code vigil_cleaner_cache_objects} and
 * {@code vigil_cleaner_cache_synced} (1 once the resource cache has listed every kind).
 */
public final class CleanerMetrics {

    /** Why a record went to the dead-letter topic. */
    public enum DeadLetterReason { INVALID_EVENT, CLEANUP_FAILED }

    /** Why the cleaner declined to act. */
    public enum Refusal {
        NAMESPACE_NOT_ALLOWED, SUPERSEDED_ATTEMPT, RUN_ID_NOT_A_LABEL_VALUE, SELECTOR_MISMATCH, CREATED_AFTER_END,
        /** The selector lacks the run's own label or its workspace label. */
        UNSCOPED_SELECTOR,
        /** The resource's run label names a live run. */
        LIVE_RUN,
        /** The object was re-created under the same name between the list and the delete. */
        REPLACED,
        /** Garbage collection: the resource's workspace label is not its run's workspace. */
        WORKSPACE_MISMATCH
    }

    /** How a garbage collection sweep ended. */
    public enum SweepResult { COMPLETED, SKIPPED }

    /** Why garbage collection took a resource for an orphan. */
    public enum OrphanRun { TERMINAL, UNKNOWN }

    private final MeterRegistry registry;

    public CleanerMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void outcome(String kind, CleanupOutcome outcome, CleanupTrigger trigger) {
        String name = switch (outcome) {
            case DELETED -> "vigil.cleaner.resources.deleted";
            case ALREADY_GONE -> "vigil.cleaner.resources.already.gone";
            case FAILED -> "vigil.cleaner.resources.failed";
            case REFUSED -> "vigil.cleaner.resources.refused";
            case SPARED -> "vigil.cleaner.resources.spared";
        };
        Counter.builder(name).tag("kind", kind).tag("trigger", tag(trigger)).register(registry).increment();
    }

    public void deadLettered(DeadLetterReason reason) {
        Counter.builder("vigil.cleaner.dead.letters").description("records sent to the dead-letter topic")
                .tag("reason", tag(reason)).register(registry).increment();
    }

    /** A dead letter that could not be sent: its record is read again, nothing after it committed. */
    public void deadLetterFailed(DeadLetterReason reason) {
        Counter.builder("vigil.cleaner.dead.letter.failures")
                .description("dead letters that could not be sent (their records are retried)")
                .tag("reason", tag(reason)).register(registry).increment();
    }

    public void refused(Refusal reason) {
        Counter.builder("vigil.cleaner.cleanups.refused").description("cleanups the cleaner declined, by why")
                .tag("reason", tag(reason)).register(registry).increment();
    }

    public void sweep(SweepResult result) {
        Counter.builder("vigil.cleaner.gc.sweeps").tag("result", tag(result)).register(registry).increment();
    }

    /** Resources of runs Vigil does not know, younger than the orphan age, seen by the last sweep. */
    public void trackUnknownRunResources(Supplier<Number> count) {
        Gauge.builder("vigil.cleaner.gc.unknown.run.resources", count)
                .description("resources whose run Vigil does not know, not yet past the orphan age (last sweep)")
                .register(registry);
    }

    public void orphanFound(String kind, OrphanRun run) {
        Counter.builder("vigil.cleaner.gc.orphans.found").tag("kind", kind).tag("run", tag(run))
                .register(registry).increment();
    }

    /** Registers the resource cache's gauges: the objects it holds, and 1 once it has listed every kind. */
    public void trackCache(Supplier<Number> objects, Supplier<Number> synced) {
        Gauge.builder("vigil.cleaner.cache.objects", objects)
                .description("Vigil-managed objects in the cleaner's watch cache").register(registry);
        Gauge.builder("vigil.cleaner.cache.synced", synced)
                .description("1 once the cleaner's watch cache has listed every namespace and kind").register(registry);
    }

    /** Registers the gauges of tracked runs, live and terminal. */
    public void trackRuns(Supplier<Number> live, Supplier<Number> terminal) {
        Gauge.builder("vigil.cleaner.runs.tracked", live).tag("state", "live")
                .register(registry);
        Gauge.builder("vigil.cleaner.runs.tracked", terminal).tag("state", "terminal")
                .register(registry);
    }

    private static String tag(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }
}
