package dev.vigil.cleaner.kubernetes;

import dev.vigil.contracts.Labels;
import dev.vigil.cleaner.audit.CleanupAudit;
import dev.vigil.cleaner.metrics.CleanerMetrics;
import dev.vigil.cleaner.settings.CleanerSettings;
import dev.vigil.contracts.event.CleanupOutcome;
import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.event.CleanupTrigger;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.OptionalInt;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Deletes Kubernetes resources the way an operator would with {@code kubectl delete <kinds> -l
 * <run label>=<id>,vigil.dev/workspace=<ws>,app.kubernetes.io/managed-by=vigil}, but reading what to delete
 * from the {@link ResourceCache} (a watch of the managed-by label) instead of listing nine kinds: per kind,
 * the cached objects of the run that carry every label of the selector, each deleted by name with background
 * propagation and preconditions on its UID and resourceVersion, each action audited. A cleanup costs one API
 * request per object deleted (more only when an object changed since the cache saw it). What it never does,
 * whoever asks:
 * <ul>
 * <li>act on a selector that lacks the run's own label or its workspace label: it refuses, counts and
 * audits it ({@link CleanupOutcome#REFUSED}), whatever run-service let through;</li>
 * <li>read a cache that has not listed yet: it waits for it, within a bound, and else deletes nothing and
 * audits the failure;</li>
 * <li>delete in a namespace that is not on the allow-list, or anything that does not carry every label
 * of the selector, whatever the API server sent;</li>
 * <li>delete a resource whose run label names a run that is live, in any workspace;</li>
 * <li>delete an object re-created under the same name, or changed so it is no longer the cleanup's,
 * since the cache saw it.</li>
 * </ul>
 * The kinds of one cleanup are deleted concurrently; the records come back in the configured order of
 * kinds. Every refusal above is in this one class on purpose, so the delete path can be read, and audited,
 * top to bottom.
 */
public final class ResourceCleaner implements AutoCloseable {

    /** The {@code name} of a failed list or a refused cleanup in the audit trail: no single resource is concerned. */
    public static final String ANY_NAME = "*";
    /** The {@code kind} of a refused cleanup in the audit trail. */
    public static final String ANY_KIND = "*";

    private static final Logger LOG = LoggerFactory.getLogger(ResourceCleaner.class);
    private static final int MAX_DETAIL_CHARS = 1000;
    /** How many times a delete whose preconditions failed is re-read and tried again (the object kept changing). */
    private static final int MAX_PRECONDITION_ROUNDS = 3;
    /** When a finished run's resources are looked for a second time, for one whose watch event came late. */
    static final Duration LATE_ARRIVAL_RECHECK = Duration.ofSeconds(5);

    private final KubernetesClient client;
    private final ResourceCache cache;
    private final CleanerSettings settings;
    private final KubernetesRetry retry;
    private final CleanupAudit audit;
    private final CleanerMetrics metrics;
    private final Predicate<String> liveRun;
    private final ExecutorService kinds;
    private final ScheduledExecutorService rechecks;

    /** @param liveRun whether the run of that id is live, in any workspace (the run state store) */
    public ResourceCleaner(KubernetesClient client, ResourceCache cache, CleanerSettings settings, KubernetesRetry retry,
                           CleanupAudit audit, CleanerMetrics metrics, Predicate<String> liveRun) {
        this.client = client;
        this.cache = cache;
        this.settings = settings;
        this.retry = retry;
        this.audit = audit;
        this.metrics = metrics;
        this.liveRun = liveRun;
        AtomicInteger threads = new AtomicInteger();
        this.kinds = Executors.newFixedThreadPool(Math.max(2, 2 * settings.kinds().size()), r -> {
            Thread thread = new Thread(r, "vigil-cleanup-kind-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.rechecks = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "vigil-cleanup-recheck");
            thread.setDaemon(true);
            return thread;
        });
    }

    @Override
    public void close() {
        rechecks.shutdownNow();
        kinds.shutdownNow();
    }

    /**
     * Deletes, in {@code namespace}, every resource of the configured kinds that carries all of
     * {@code labels} and the managed-by label, sparing what may belong to a later attempt of the run
     * (see {@link #mayBelongToALaterAttempt}; {@code endedAt} null: no time fence) and what belongs to
     * a live run. Returns what was done, one record per resource; or one {@link CleanupOutcome#FAILED} record
     * of kind {@value #ANY_KIND} if the cache did not sync within {@code vigil.cleaner.cache.sync-timeout}; or one
     * {@link CleanupOutcome#REFUSED} record if {@code labels} lack {@code <run label>=<runId>} or
     * {@code vigil.dev/workspace=<workspace>}.
     */
    public List<CleanupPerformed> deleteLabelled(String runId, int attempt, String workspace, String namespace,
                                                 Map<String, String> labels, CleanupTrigger trigger, Instant endedAt) {
        if (!settings.allows(namespace)) {
            throw new IllegalArgumentException("namespace " + namespace + " is not on the allow-list");
        }
        if (!Labels.scopedToRun(labels, settings.runLabelKey(), runId, workspace)) {
            String why = "selector " + labels + " lacks " + settings.runLabelKey() + "=" + runId + " or "
                    + Labels.WORKSPACE + "=" + workspace + ": it could reach another run's resources; nothing deleted";
            LOG.warn("cleanup of run {} attempt {} in {} refused: {}", runId, attempt, namespace, why);
            metrics.refused(CleanerMetrics.Refusal.UNSCOPED_SELECTOR);
            return List.of(audit.record(CleanupPerformed.of(runId, attempt, namespace, ANY_KIND, ANY_NAME,
                    CleanupOutcome.REFUSED, trigger, why)));
        }
        Duration bound = settings.service().cacheSyncTimeout();
        if (!cache.awaitSynced(bound)) {
            return List.of(audit.record(CleanupPerformed.of(runId, attempt, namespace, ANY_KIND, ANY_NAME,
                    CleanupOutcome.FAILED, trigger, "the resource cache has not listed every kind within " + bound
                            + " (see /health, kubernetesCache): nothing deleted; garbage collection deletes what is "
                            + "left once it has")));
        }
        Map<String, String> selector = new LinkedHashMap<>(labels);
        selector.putAll(settings.managedByLabel());
        if (trigger == CleanupTrigger.RUN_FINISHED) {
            // An object created just before its run ended may reach the cache's watch after this read: read the
            // cache again a little later (no API request unless something is found). What even that misses,
            // garbage collection finds.
            rechecks.schedule(withCallersMdc(() -> {
                try {
                    return deleteFromCache(runId, attempt, namespace, selector, CleanupTrigger.RUN_FINISHED, endedAt);
                } catch (RuntimeException e) {
                    LOG.warn("the second look at run {}'s resources failed: {}", runId, e.toString());
                    return List.of();
                }
            }), LATE_ARRIVAL_RECHECK.toMillis(), TimeUnit.MILLISECONDS);
        }
        return deleteFromCache(runId, attempt, namespace, selector, trigger, endedAt);
    }

    private List<CleanupPerformed> deleteFromCache(String runId, int attempt, String namespace,
                                                   Map<String, String> selector, CleanupTrigger trigger,
                                                   Instant endedAt) {
        List<Future<List<CleanupPerformed>>> perKind = new ArrayList<>();
        for (ResourceKind kind : settings.kinds()) {
            perKind.add(kinds.submit(withCallersMdc(() -> deleteKind(runId, attempt, namespace, kind, selector, trigger,
                    endedAt))));
        }
        List<CleanupPerformed> done = new ArrayList<>();
        for (Future<List<CleanupPerformed>> kind : perKind) {
            try {
                done.addAll(kind.get());
            } catch (InterruptedException e) {
                perKind.forEach(f -> f.cancel(true));
                Thread.currentThread().interrupt();
                throw new CleanupInterruptedException(e);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            }
        }
        return done;
    }

    /** {@code task} run on another thread with the logging context (run id, workspace) of the calling one. */
    private static <T> Callable<T> withCallersMdc(Callable<T> task) {
        Map<String, String> mdc = MDC.getCopyOfContextMap();
        return () -> {
            if (mdc != null) {
                MDC.setContextMap(mdc);
            }
            try {
                return task.call();
            } finally {
                MDC.clear();
            }
        };
    }

    private List<CleanupPerformed> deleteKind(String runId, int attempt, String namespace, ResourceKind kind,
                                              Map<String, String> selector, CleanupTrigger trigger, Instant endedAt) {
        List<CleanupPerformed> done = new ArrayList<>();
        // The run's objects by the index; those of another workspace, or lacking a label of the target, are not
        // the selector's (as an API server's list would not have returned them), and every label is checked here
        // whatever the cache was fed: an API server that ignored the informer's selector changes nothing.
        for (HasMetadata item : cache.byRun(kind, namespace, runId)) {
            if (!carriesAll(item, selector)) {
                continue;
            }
            String name = item.getMetadata().getName();
            if (mayBelongToALaterAttempt(item, attempt, endedAt)) {
                LOG.info("{} {}/{} was created after run {} attempt {} ended: it belongs to a later attempt; left alone",
                        kind, namespace, name, runId, attempt);
                metrics.refused(CleanerMetrics.Refusal.CREATED_AFTER_END);
                continue;
            }
            done.add(delete(runId, attempt, kind, item, trigger, current -> carriesAll(current, selector)));
        }
        return done;
    }

    /**
     * Deletes one listed object the caller has checked is Vigil's to delete, unless its run label names a
     * live run. The delete carries the object's UID and resourceVersion as preconditions; when they fail
     * the object is read again: gone is {@link CleanupOutcome#ALREADY_GONE}, a different UID (re-created
     * under the same name) or one that {@code stillDeletable} no longer accepts (relabelled) is
     * {@link CleanupOutcome#SPARED}, otherwise (only its status changed) the delete is tried again with
     * the new resourceVersion. 404, now or after a retry, is {@link CleanupOutcome#ALREADY_GONE}.
     */
    public CleanupPerformed delete(String runId, int attempt, ResourceKind kind, HasMetadata listed, CleanupTrigger trigger,
                                   Predicate<HasMetadata> stillDeletable) {
        String namespace = listed.getMetadata().getNamespace();
        String name = listed.getMetadata().getName();
        if (!settings.allows(namespace)) {
            throw new IllegalArgumentException("namespace " + namespace + " is not on the allow-list");
        }
        HasMetadata current = listed;
        for (int round = 1; ; round++) {
            String live = liveRunOf(current);
            if (live != null) {
                return spare(runId, attempt, kind, namespace, name, trigger, CleanerMetrics.Refusal.LIVE_RUN,
                        "its run label names run " + live + ", which is live");
            }
            HasMetadata target = current;
            ResourceKind.Deletion result;
            try {
                result = retry.call("delete " + kind.plural() + " " + name + " -n " + namespace,
                        () -> kind.delete(client, target));
            } catch (KubernetesRetry.GaveUpException e) {
                return record(runId, attempt, kind, namespace, name, CleanupOutcome.FAILED, trigger, detail(e));
            }
            if (result == ResourceKind.Deletion.DELETED) {
                cache.deleted(target);
                return record(runId, attempt, kind, namespace, name, CleanupOutcome.DELETED, trigger, null);
            }
            if (result == ResourceKind.Deletion.GONE) {
                cache.deleted(target);
                return record(runId, attempt, kind, namespace, name, CleanupOutcome.ALREADY_GONE, trigger, null);
            }
            try {
                current = retry.call("get " + kind.plural() + " " + name + " -n " + namespace,
                        () -> kind.get(client, namespace, name));
            } catch (KubernetesRetry.GaveUpException e) {
                return record(runId, attempt, kind, namespace, name, CleanupOutcome.FAILED, trigger, detail(e));
            }
            if (current == null) {
                return record(runId, attempt, kind, namespace, name, CleanupOutcome.ALREADY_GONE, trigger, null);
            }
            if (!Objects.equals(current.getMetadata().getUid(), listed.getMetadata().getUid())) {
                return spare(runId, attempt, kind, namespace, name, trigger, CleanerMetrics.Refusal.REPLACED,
                        "re-created under the same name after it was listed (uid " + listed.getMetadata().getUid()
                                + ", now " + current.getMetadata().getUid() + "): the new object is not this cleanup's");
            }
            if (!stillDeletable.test(current)) {
                return spare(runId, attempt, kind, namespace, name, trigger, CleanerMetrics.Refusal.SELECTOR_MISMATCH,
                        "its labels changed after it was listed: no longer this cleanup's");
            }
            if (round >= MAX_PRECONDITION_ROUNDS) {
                return record(runId, attempt, kind, namespace, name, CleanupOutcome.FAILED, trigger,
                        "it changed between every read and delete (" + round + " tries)");
            }
        }
    }

    /** Audits a resource left alone on purpose ({@link CleanupOutcome#SPARED}), e.g. one of a run Vigil does not know. */
    public CleanupPerformed report(String runId, ResourceKind kind, HasMetadata resource, CleanupTrigger trigger,
                                   String detail) {
        return record(runId, 1, kind, resource.getMetadata().getNamespace(), resource.getMetadata().getName(),
                CleanupOutcome.SPARED, trigger, detail);
    }

    private String liveRunOf(HasMetadata resource) {
        Map<String, String> labels = resource.getMetadata().getLabels();
        String run = labels == null ? null : labels.get(settings.runLabelKey());
        return run != null && liveRun.test(run) ? run : null;
    }

    private CleanupPerformed spare(String runId, int attempt, ResourceKind kind, String namespace, String name,
                                   CleanupTrigger trigger, CleanerMetrics.Refusal why, String detail) {
        metrics.refused(why);
        return record(runId, attempt, kind, namespace, name, CleanupOutcome.SPARED, trigger, detail);
    }

    private CleanupPerformed record(String runId, int attempt, ResourceKind kind, String namespace, String name,
                                    CleanupOutcome outcome, CleanupTrigger trigger, String detail) {
        return audit.record(CleanupPerformed.of(runId, attempt, namespace, kind.kind(), name, outcome, trigger, detail));
    }

    /**
     * Whether {@code resource} may belong to an attempt later than {@code attempt}, which ended at
     * {@code endedAt} (null: no time fence). A resource carrying the {@value Labels#ATTEMPT} label is
     * judged by it alone. Without it, a resource created in or after the second the attempt ended is
     * spared: creation timestamps have one-second resolution, so the ending second is ambiguous, and
     * leaving an old attempt's resource to garbage collection (or to the later attempt's own cleanup)
     * is recoverable where deleting a live attempt's resource is not.
     */
    static boolean mayBelongToALaterAttempt(HasMetadata resource, int attempt, Instant endedAt) {
        OptionalInt labelled = attemptLabel(resource);
        if (labelled.isPresent()) {
            return labelled.getAsInt() > attempt;
        }
        String created = resource.getMetadata().getCreationTimestamp();
        return endedAt != null && created != null && !Instant.parse(created).truncatedTo(ChronoUnit.SECONDS)
                .isBefore(endedAt.truncatedTo(ChronoUnit.SECONDS));
    }

    /** The attempt the resource's {@value Labels#ATTEMPT} label names, if it carries a valid one. */
    public static OptionalInt attemptLabel(HasMetadata resource) {
        Map<String, String> labels = resource.getMetadata().getLabels();
        String label = labels == null ? null : labels.get(Labels.ATTEMPT);
        try {
            return label == null ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(label));
        } catch (NumberFormatException notANumber) {
            return OptionalInt.empty();
        }
    }

    /** Whether {@code resource} carries every label of {@code selector} with the same value. */
    public static boolean carriesAll(HasMetadata resource, Map<String, String> selector) {
        Map<String, String> labels = resource.getMetadata().getLabels();
        return labels != null && selector.entrySet().stream()
                .allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }

    private static String detail(RuntimeException e) {
        String message = e.getMessage();
        return message.length() <= MAX_DETAIL_CHARS ? message : message.substring(0, MAX_DETAIL_CHARS) + "...";
    }
}
