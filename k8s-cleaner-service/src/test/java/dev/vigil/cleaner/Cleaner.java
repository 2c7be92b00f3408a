package dev.vigil.cleaner;

import dev.vigil.cleaner.audit.CleanupAudit;
import dev.vigil.cleaner.events.RunEventProcessor;
import dev.vigil.cleaner.events.RunFinishedCleanup;
import dev.vigil.cleaner.gc.GarbageCollector;
import dev.vigil.cleaner.kubernetes.KubernetesRetry;
import dev.vigil.cleaner.kubernetes.ResourceCache;
import dev.vigil.cleaner.kubernetes.ResourceCleaner;
import dev.vigil.cleaner.kubernetes.ResourceKind;
import dev.vigil.cleaner.metrics.CleanerMetrics;
import dev.vigil.cleaner.runstate.RunStateStore;
import dev.vigil.cleaner.settings.CleanerSettings;
import dev.vigil.contracts.topic.TopicCatalog;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;

/**
 * The cleaner's production classes wired as the Micronaut factory wires them, around a test client and output; its
 * resource cache is started. Its watches are closed by {@link #closeAll()}, once the mock API server is destroyed.
 */
public final class Cleaner {

    /**
     * Cleaners whose caches still watch. fabric8's mock API server can block its event loop for up to a minute when
     * a client closes a watch while it runs ({@code WatchEventsListener#onClosed} awaits its executor, whose pending
     * close needs that loop), stalling every request meanwhile: so watches are closed only after the server is gone.
     */
    private static final Queue<Cleaner> WATCHING = new ConcurrentLinkedQueue<>();

    public final CleanerSettings settings;
    public final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    public final CleanerMetrics metrics = new CleanerMetrics(registry);
    public final RecordingOutput output = new RecordingOutput();
    public final RunStateStore store;
    public final KubernetesRetry retry;
    public final ResourceCache cache;
    public final ResourceCleaner resources;
    public final RunEventProcessor processor;
    public final GarbageCollector gc;

    private final KubernetesClient client;

    public Cleaner(KubernetesClient client, CleanerSettings settings) {
        this.client = client;
        this.settings = settings;
        store = new RunStateStore(settings.maxTrackedRuns());
        retry = new KubernetesRetry(settings.retry());
        cache = new ResourceCache(client, settings);
        cache.start();
        WATCHING.add(this);
        resources = new ResourceCleaner(client, cache, settings, retry, new CleanupAudit(output, metrics), metrics,
                store::isLive);
        processor = new RunEventProcessor(new TopicCatalog("test.").runEvents().valueSerde().deserializer(), store,
                new RunFinishedCleanup(settings, resources, metrics), output, metrics, 4);
        gc = new GarbageCollector(cache, settings, store, resources, metrics);
    }

    /**
     * This cleaner, once its cache holds exactly what the API server has (every managed object, at its current
     * resourceVersion): a test that has just created objects acts on them, not on a cache a watch event behind.
     * (The product never waits so: what a cleanup misses, garbage collection finds.)
     */
    public Cleaner cached() {
        Awaitility.await("the cache to hold what the API server has").atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(20)).until(this::cacheIsCurrent);
        return this;
    }

    private boolean cacheIsCurrent() {
        for (String namespace : settings.namespaces()) {
            for (ResourceKind kind : settings.kinds()) {
                if (!versions(kind.list(client, namespace, settings.managedByLabel()))
                        .equals(versions(cache.all(kind, namespace)))) {
                    return false;
                }
            }
        }
        return true;
    }

    private static Map<String, String> versions(List<HasMetadata> objects) {
        return objects.stream().collect(Collectors.toMap(o -> o.getMetadata().getUid(),
                o -> o.getMetadata().getResourceVersion()));
    }

    /** Closes every cleaner's watches; call it after destroying the mock API server. */
    public static void closeAll() {
        for (Cleaner cleaner = WATCHING.poll(); cleaner != null; cleaner = WATCHING.poll()) {
            cleaner.cache.close();
        }
    }

    /** The count of a counter with these tags, 0 if it was never incremented. */
    public double count(String name, String... tags) {
        var counter = registry.find(name).tags(tags).counter();
        return counter == null ? 0 : counter.count();
    }
}
