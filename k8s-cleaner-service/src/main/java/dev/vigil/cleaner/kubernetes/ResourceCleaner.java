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
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.OptionalInt;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Deletes Kubernetes resources the way an operator would with {@code kubectl delete <kinds> -l
 * <run label>,app.kubernetes.io/managed-by=vigil}: per kind, list by equality selector, then delete
 * each by name with background propagation, each action audited. It refuses namespaces that are not
 * on the allow-list and anything that does not carry every label of the selector, whatever the API
 * server answered. The kinds of one cleanup are listed and deleted concurrently (a dozen round trips
 * in the time of about two); the records come back in the configured order of kinds.
 */
public final class ResourceCleaner implements AutoCloseable {

    /** The {@code name} of a failed list in the audit trail: no single resource is concerned. */
    public static final String ANY_NAME = "*";

    private static final Logger LOG = LoggerFactory.getLogger(ResourceCleaner.class);
    private static final int MAX_DETAIL_CHARS = 1000;

    private final KubernetesClient client;
    private final CleanerSettings settings;
    private final KubernetesRetry retry;
    private final CleanupAudit audit;
    private final CleanerMetrics metrics;
    private final ExecutorService kinds;

    public ResourceCleaner(KubernetesClient client, CleanerSettings settings, KubernetesRetry retry, CleanupAudit audit,
                           CleanerMetrics metrics) {
        this.client = client;
        this.settings = settings;
        this.retry = retry;
        this.audit = audit;
        this.metrics = metrics;
        AtomicInteger threads = new AtomicInteger();
        this.kinds = Executors.newFixedThreadPool(Math.max(2, 2 * settings.kinds().size()), r -> {
            Thread thread = new Thread(r, "vigil-cleanup-kind-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    @Override
    public void close() {
        kinds.shutdownNow();
    }

    /**
     * Deletes, in {@code namespace}, every resource of the configured kinds that carries all of
     * {@code runLabels} and the managed-by label. Returns what was done, one record per resource
     * (plus one {@link CleanupOutcome#FAILED} record named {@value #ANY_NAME} per kind it could not list).
     */
    public List<CleanupPerformed> deleteLabelled(String runId, int attempt, String namespace,
                                                 Map<String, String> runLabels, CleanupTrigger trigger) {
        return deleteLabelled(runId, attempt, namespace, runLabels, trigger, null);
    }

    /**
     * Like {@link #deleteLabelled(String, int, String, Map, CleanupTrigger)}, sparing what may belong to
     * a later attempt of the run: a retry's new attempt can create its resources — with the same run
     * label — before this cleanup of the old attempt runs. See {@link #mayBelongToALaterAttempt}.
     */
    public List<CleanupPerformed> deleteLabelled(String runId, int attempt, String namespace,
                                                 Map<String, String> runLabels, CleanupTrigger trigger,
                                                 Instant endedAt) {
        if (!settings.allows(namespace)) {
            throw new IllegalArgumentException("namespace " + namespace + " is not on the allow-list");
        }
        Map<String, String> selector = new LinkedHashMap<>(runLabels);
        selector.putAll(settings.managedByLabel());
        String selectorText = selector.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(","));
        Map<String, String> mdc = MDC.getCopyOfContextMap();
        List<Future<List<CleanupPerformed>>> perKind = new ArrayList<>();
        for (ResourceKind kind : settings.kinds()) {
            perKind.add(kinds.submit(() -> {
                if (mdc != null) {
                    MDC.setContextMap(mdc);
                }
                try {
                    return deleteKind(runId, attempt, namespace, kind, selector, selectorText, trigger, endedAt);
                } finally {
                    MDC.clear();
                }
            }));
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

    private List<CleanupPerformed> deleteKind(String runId, int attempt, String namespace, ResourceKind kind,
                                              Map<String, String> selector, String selectorText, CleanupTrigger trigger,
                                              Instant endedAt) {
        List<HasMetadata> items;
        try {
            items = retry.call("list " + kind.plural() + " -n " + namespace + " -l " + selectorText,
                    () -> kind.list(client, namespace, selector));
        } catch (KubernetesRetry.GaveUpException e) {
            return List.of(audit.record(CleanupPerformed.of(runId, attempt, namespace, kind.kind(), ANY_NAME,
                    CleanupOutcome.FAILED, trigger, detail(e))));
        }
        List<CleanupPerformed> done = new ArrayList<>();
        for (HasMetadata item : items) {
            String name = item.getMetadata().getName();
            if (!carriesAll(item, selector)) {
                LOG.warn("the API server listed {} {}/{} for selector {} but it does not carry those labels: left alone",
                        kind, namespace, name, selectorText);
                metrics.refused(CleanerMetrics.Refusal.SELECTOR_MISMATCH);
                continue;
            }
            if (mayBelongToALaterAttempt(item, attempt, endedAt)) {
                LOG.info("{} {}/{} was created after run {} attempt {} ended: it belongs to a later attempt; left alone",
                        kind, namespace, name, runId, attempt);
                metrics.refused(CleanerMetrics.Refusal.CREATED_AFTER_END);
                continue;
            }
            done.add(deleteOne(runId, attempt, kind, namespace, name, trigger));
        }
        return done;
    }

    /**
     * Deletes one resource the caller has already checked is Vigil's to delete (garbage collection).
     * 404, now or after a retry, is {@link CleanupOutcome#ALREADY_GONE}.
     */
    public CleanupPerformed deleteOne(String runId, int attempt, ResourceKind kind, String namespace, String name,
                                      CleanupTrigger trigger) {
        if (!settings.allows(namespace)) {
            throw new IllegalArgumentException("namespace " + namespace + " is not on the allow-list");
        }
        CleanupOutcome outcome;
        String detail = null;
        try {
            boolean deleted = retry.call("delete " + kind.plural() + " " + name + " -n " + namespace,
                    () -> kind.delete(client, namespace, name));
            outcome = deleted ? CleanupOutcome.DELETED : CleanupOutcome.ALREADY_GONE;
        } catch (KubernetesRetry.GaveUpException e) {
            if (e.getCause() instanceof KubernetesClientException k && k.getCode() == 404) {
                outcome = CleanupOutcome.ALREADY_GONE;
            } else {
                outcome = CleanupOutcome.FAILED;
                detail = detail(e);
            }
        }
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
