package dev.vigil.cleaner.kubernetes;

import dev.vigil.cleaner.settings.CleanerSettings;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the cleaner reads instead of asking the API server, as a Kubernetes controller does: one informer
 * (a list, then a watch that keeps it current) per allowed namespace and configured kind, selecting only the
 * managed-by label, with the objects indexed by their run label. A cleanup then costs only its deletes, and a
 * garbage collection sweep no API request at all but its deletes.
 *
 * <p>The cache may be a moment behind the API server, and that is safe: every delete still carries the
 * cached object's UID and resourceVersion as preconditions, so an object changed or re-created since is read
 * again and judged again ({@link ResourceCleaner#delete}), never deleted blind; and an object the cache had not
 * seen yet when its run's cleanup read it is one garbage collection finds on its next sweep.
 *
 * <p>Until every informer has listed once ({@link #awaitSynced}) nothing is read from it: an empty cache is
 * not "nothing to delete". An object the cleaner has just deleted, or that is being deleted already (it has a
 * deletionTimestamp), is not read either, though the watch may not have reported it gone yet: a second finish of
 * the run, or a sweep right after, finds nothing to do, as a list would have.
 */
public final class ResourceCache implements AutoCloseable {

    /** The index of objects by the value of their run label. */
    static final String BY_RUN = "vigil-run";

    private static final Logger LOG = LoggerFactory.getLogger(ResourceCache.class);
    private static final Duration FORGET_DELETED_AFTER = Duration.ofMinutes(10);

    private record Key(String namespace, ResourceKind kind) {
        @Override
        public String toString() {
            return kind.plural() + " in " + namespace;
        }
    }

    private final Map<Key, SharedIndexInformer<HasMetadata>> informers = new LinkedHashMap<>();
    /** UIDs of objects deleted here whose deletion the watch has not reported yet, with when (nanoTime). */
    private final Map<String, Long> deleted = new ConcurrentHashMap<>();
    private volatile CompletableFuture<Void> synced;

    /** Builds (does not start) the informers of {@code settings}' namespaces and kinds. */
    public ResourceCache(KubernetesClient client, CleanerSettings settings) {
        String runLabel = settings.runLabelKey();
        for (String namespace : settings.namespaces().stream().sorted().toList()) {
            for (ResourceKind kind : settings.kinds()) {
                Key key = new Key(namespace, kind);
                SharedIndexInformer<HasMetadata> informer = kind.informer(client, namespace, settings.managedByLabel());
                informer.addIndexers(Map.of(BY_RUN, object -> {
                    Map<String, String> labels = object.getMetadata().getLabels();
                    String run = labels == null ? null : labels.get(runLabel);
                    return run == null ? List.of() : List.of(run);
                }));
                // Whatever fails (the API server away, a 403 while RBAC is being fixed), keep trying: fabric8 backs
                // off between tries, and until the list succeeds the cache is not synced, which health shows.
                informer.exceptionHandler((started, error) -> {
                    LOG.warn("the cache of {} could not {} the API server: {}; trying again", key,
                            started ? "watch" : "list", KubernetesRetry.describe(error));
                    return true;
                });
                informer.addEventHandler(new ResourceEventHandler<HasMetadata>() {
                    @Override
                    public void onAdd(HasMetadata object) {
                    }

                    @Override
                    public void onUpdate(HasMetadata before, HasMetadata after) {
                    }

                    @Override
                    public void onDelete(HasMetadata object, boolean finalStateUnknown) {
                        deleted.remove(object.getMetadata().getUid());
                    }
                });
                informers.put(key, informer);
            }
        }
    }

    /** Starts every informer; returns at once (see {@link #awaitSynced}). */
    public synchronized void start() {
        if (synced != null) {
            return;
        }
        LOG.info("caching {} kinds x {} namespaces from the API server (list, then watch)",
                informers.keySet().stream().map(Key::kind).distinct().count(),
                informers.keySet().stream().map(Key::namespace).distinct().count());
        synced = CompletableFuture.allOf(informers.values().stream()
                .map(informer -> informer.start().toCompletableFuture())
                .toArray(CompletableFuture[]::new));
    }

    /**
     * Waits up to {@code bound} for every informer to have listed once. Returns false if that did not happen in
     * time (the caller reads nothing then).
     */
    public boolean awaitSynced(Duration bound) {
        CompletableFuture<Void> started = synced;
        if (started == null) {
            throw new IllegalStateException("the resource cache was never started");
        }
        if (synced()) {
            return true;
        }
        try {
            started.get(bound.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return synced();
        } catch (ExecutionException e) {
            return synced();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CleanupInterruptedException(e);
        }
    }

    /** Whether every informer has listed once. */
    public boolean synced() {
        return synced != null && informers.values().stream().allMatch(SharedIndexInformer::hasSynced);
    }

    /** The cached objects of {@code kind} in {@code namespace} whose run label is {@code runId} (not being deleted). */
    public List<HasMetadata> byRun(ResourceKind kind, String namespace, String runId) {
        return informer(kind, namespace).getIndexer().byIndex(BY_RUN, runId).stream().filter(this::present).toList();
    }

    /** Every cached object of {@code kind} in {@code namespace} (all carry the managed-by label; none being deleted). */
    public List<HasMetadata> all(ResourceKind kind, String namespace) {
        return informer(kind, namespace).getStore().list().stream().filter(this::present).toList();
    }

    /**
     * Notes that {@code object} was deleted, or found gone: it is not read again, though the watch may not have
     * reported it yet. Forgotten when the watch does (or after {@link #FORGET_DELETED_AFTER}, should that report
     * never come).
     */
    public void deleted(HasMetadata object) {
        long now = System.nanoTime();
        deleted.put(object.getMetadata().getUid(), now);
        if (deleted.size() > 10_000) {
            deleted.values().removeIf(at -> now - at > FORGET_DELETED_AFTER.toNanos());
        }
    }

    private boolean present(HasMetadata object) {
        return object.getMetadata().getDeletionTimestamp() == null && !deleted.containsKey(object.getMetadata().getUid());
    }

    /** For health: per {@code <plural> in <namespace>}, whether it has synced, is watching, and how many objects it holds. */
    public Map<String, String> describe() {
        Map<String, String> state = new LinkedHashMap<>();
        informers.forEach((key, informer) -> state.put(key.toString(), !informer.hasSynced() ? "not synced"
                : (informer.isWatching() ? "watching, " : "reconnecting, ") + informer.getStore().list().size()
                        + " objects"));
        return state;
    }

    /** How many objects the cache holds. */
    public int size() {
        return informers.values().stream().mapToInt(informer -> informer.getStore().listKeys().size()).sum();
    }

    private SharedIndexInformer<HasMetadata> informer(ResourceKind kind, String namespace) {
        SharedIndexInformer<HasMetadata> informer = informers.get(new Key(namespace, kind));
        if (informer == null) {
            throw new IllegalArgumentException(kind.plural() + " in " + namespace + " are not cached: not an allowed "
                    + "namespace or a configured kind");
        }
        return informer;
    }

    @Override
    public void close() {
        informers.values().forEach(SharedIndexInformer::close);
    }
}
