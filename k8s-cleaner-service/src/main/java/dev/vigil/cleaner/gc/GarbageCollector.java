package dev.vigil.cleaner.gc;

import dev.vigil.cleaner.kubernetes.ResourceCache;
import dev.vigil.cleaner.kubernetes.ResourceCleaner;
import dev.vigil.cleaner.kubernetes.ResourceKind;
import dev.vigil.cleaner.metrics.CleanerMetrics;
import dev.vigil.cleaner.runstate.RunState;
import dev.vigil.cleaner.runstate.RunStateStore;
import dev.vigil.cleaner.settings.CleanerSettings;
import dev.vigil.contracts.Labels;
import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.event.CleanupTrigger;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic sweep for what the event path missed (a finish that came while the cleaner was down
 * with no committed offset, a resource created after its run ended or that the cache had not seen yet when
 * its run's cleanup read it, a run Vigil never heard of): it reads every resource carrying the managed-by
 * label in the allowed namespaces from the {@link ResourceCache} (no API request but the deletes; while
 * the cache has not listed yet, the sweep is skipped) and, for those that
 * also carry a run label and a workspace label, reads the run id from the run label — only from it —
 * and deletes the resource if its run is terminal (and of that workspace), or unknown and older than
 * the orphan age, which is never shorter than the longest a run may live. A resource of an unknown run
 * is reported as soon as it is seen (the gauge {@code vigil_cleaner_gc_unknown_run_resources}, one
 * {@code SPARED} audit record and one WARN line per object). A live run's resources are never touched.
 *
 * <p>Age is judged against the moment the run state store last had every run event there was
 * ({@link RunStateStore#caughtUpAt()}), not against the wall clock: while the consumer lags or the
 * broker is away nothing new is taken for an orphan, and before the store is rebuilt the sweep does
 * nothing at all.
 */
public final class GarbageCollector {

    /** What one sweep did. */
    public record Sweep(boolean skipped, int examined, int orphans, int deleted, int failed) {
        static Sweep skippedSweep() {
            return new Sweep(true, 0, 0, 0, 0);
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(GarbageCollector.class);

    /**
     * How much older than the run state's horizon a terminal run's resource must be to go: covers a
     * retry's RunCreated still on its way through run-service's outbox, and whole-second creation
     * timestamps.
     */
    static final Duration RETRY_MARGIN = Duration.ofSeconds(30);

    private final ResourceCache cache;
    private final CleanerSettings settings;
    private final RunStateStore store;
    private final ResourceCleaner cleaner;
    private final CleanerMetrics metrics;
    /** UIDs of the unknown runs' resources the last sweep saw (each is reported once, when first seen). */
    private Set<String> unknownSeen = Set.of();
    private volatile int unknownRunResources;

    public GarbageCollector(ResourceCache cache, CleanerSettings settings, RunStateStore store, ResourceCleaner cleaner,
                            CleanerMetrics metrics) {
        this.cache = cache;
        this.settings = settings;
        this.store = store;
        this.cleaner = cleaner;
        this.metrics = metrics;
        metrics.trackUnknownRunResources(() -> unknownRunResources);
    }

    /** Runs one sweep over every allowed namespace and configured kind. */
    public synchronized Sweep sweep() {
        Optional<Instant> caughtUp = store.caughtUpAt();
        if (!store.ready() || caughtUp.isEmpty()) {
            LOG.info("garbage collection skipped: the run state is not rebuilt from the run events yet");
            metrics.sweep(CleanerMetrics.SweepResult.SKIPPED);
            return Sweep.skippedSweep();
        }
        if (!cache.synced()) {
            LOG.warn("garbage collection skipped: the resource cache has not listed every kind yet ({})", cache.describe());
            metrics.sweep(CleanerMetrics.SweepResult.SKIPPED);
            return Sweep.skippedSweep();
        }
        Instant horizon = caughtUp.get();
        int examined = 0;
        int orphans = 0;
        int deleted = 0;
        int failed = 0;
        Set<String> unknown = new HashSet<>();
        for (String namespace : settings.namespaces().stream().sorted().toList()) {
            for (ResourceKind kind : settings.kinds()) {
                for (HasMetadata item : cache.all(kind, namespace)) {
                    examined++;
                    Optional<Orphan> orphan = orphan(kind, item, horizon, unknown);
                    if (orphan.isEmpty()) {
                        continue;
                    }
                    orphans++;
                    metrics.orphanFound(kind.kind(), orphan.get().run());
                    Map<String, String> identity = identity(item);
                    CleanupPerformed done = cleaner.delete(orphan.get().runId(), orphan.get().attempt(), kind, item,
                            CleanupTrigger.GARBAGE_COLLECTION, current -> ResourceCleaner.carriesAll(current, identity));
                    switch (done.outcome()) {
                        case DELETED -> deleted++;
                        case FAILED -> failed++;
                        default -> { }
                    }
                }
            }
        }
        unknownSeen = unknown;
        unknownRunResources = unknown.size();
        LOG.info("garbage collection: {} managed resources examined, {} orphans, {} deleted, {} failures (run state as of {})",
                examined, orphans, deleted, failed, horizon);
        metrics.sweep(CleanerMetrics.SweepResult.COMPLETED);
        return new Sweep(false, examined, orphans, deleted, failed);
    }

    private record Orphan(String runId, int attempt, CleanerMetrics.OrphanRun run) {
    }

    private Optional<Orphan> orphan(ResourceKind kind, HasMetadata item, Instant horizon, Set<String> unknown) {
        Map<String, String> labels = item.getMetadata().getLabels() == null ? Map.of() : item.getMetadata().getLabels();
        String runId = labels.get(settings.runLabelKey());
        String workspace = labels.get(Labels.WORKSPACE);
        if (!ResourceCleaner.carriesAll(item, settings.managedByLabel()) || !CleanerSettings.isLabelValue(runId)
                || workspace == null) {
            return Optional.empty();
        }
        Instant created = created(item);
        if (created == null) {
            return Optional.empty();
        }
        Optional<RunState> state = store.get(runId);
        if (state.isPresent()) {
            if (state.get().live()) {
                return Optional.empty();
            }
            if (state.get().workspace() != null && !state.get().workspace().equals(workspace)) {
                LOG.warn("{} {}/{} names run {} of workspace {} but carries {}={}: left alone", kind.kind(),
                        item.getMetadata().getNamespace(), item.getMetadata().getName(), runId, state.get().workspace(),
                        Labels.WORKSPACE, workspace);
                metrics.refused(CleanerMetrics.Refusal.WORKSPACE_MISMATCH);
                return Optional.empty();
            }
            return belongsToAnEndedAttempt(item, created, state.get().attempt(), horizon)
                    ? Optional.of(new Orphan(runId, state.get().attempt(), CleanerMetrics.OrphanRun.TERMINAL))
                    : Optional.empty();
        }
        if (!created.plus(settings.orphanAge()).isAfter(horizon)) {
            return Optional.of(new Orphan(runId, 1, CleanerMetrics.OrphanRun.UNKNOWN));
        }
        String uid = String.valueOf(item.getMetadata().getUid());
        unknown.add(uid);
        if (!unknownSeen.contains(uid)) {
            cleaner.report(runId, kind, item, CleanupTrigger.GARBAGE_COLLECTION, "run " + runId + " (workspace "
                    + workspace + ") is unknown to Vigil: deleted once it is " + settings.orphanAge()
                    + " old (created " + created + ") unless the run turns up");
        }
        return Optional.empty();
    }

    /** The labels that made {@code item} an orphan: it is deleted only while it still carries them. */
    private Map<String, String> identity(HasMetadata item) {
        Map<String, String> labels = item.getMetadata().getLabels();
        Map<String, String> identity = new HashMap<>(settings.managedByLabel());
        identity.put(settings.runLabelKey(), labels.get(settings.runLabelKey()));
        identity.put(Labels.WORKSPACE, labels.get(Labels.WORKSPACE));
        return identity;
    }

    /**
     * Whether a resource of a run whose newest known attempt {@code attempt} is terminal belongs to an
     * ended attempt: by its attempt label if it has one; otherwise only if it is older than the
     * horizon by {@link #RETRY_MARGIN}, for a resource created shortly before it may belong to a retry
     * whose RunCreated is still in run-service's outbox.
     */
    private static boolean belongsToAnEndedAttempt(HasMetadata item, Instant created, int attempt, Instant horizon) {
        OptionalInt labelled = ResourceCleaner.attemptLabel(item);
        return labelled.isPresent() ? labelled.getAsInt() <= attempt : created.plus(RETRY_MARGIN).isBefore(horizon);
    }

    private static Instant created(HasMetadata item) {
        String timestamp = item.getMetadata().getCreationTimestamp();
        try {
            return timestamp == null ? null : Instant.parse(timestamp);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
