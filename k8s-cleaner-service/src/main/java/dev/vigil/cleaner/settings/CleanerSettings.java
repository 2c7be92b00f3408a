package dev.vigil.cleaner.settings;

import dev.vigil.cleaner.kubernetes.ResourceKind;
import dev.vigil.contracts.ConfigLookup;
import dev.vigil.contracts.Labels;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the cleaner may touch and how: the namespace allow-list, the kinds, the labels a resource
 * must carry (the run label, managed-by and {@code vigil.dev/workspace}), the orphan age and the retry
 * policy.
 *
 * @param namespaces the only namespaces anything is ever deleted in
 * @param kinds the kinds deleted, in the order they are deleted
 * @param runLabelKey the label naming the run a resource belongs to ({@code session})
 * @param managedByKey the label every deletable resource carries ({@code app.kubernetes.io/managed-by})
 * @param managedByValue its value ({@code vigil})
 * @param orphanAge how old a resource of a run Vigil does not know must be before garbage collection
 *                  deletes it; never less than {@code maxRunDuration}
 * @param maxRunDuration the longest a run may live (run-service's {@code vigil.runs.max-max-duration})
 * @param retry how Kubernetes calls are retried
 * @param maxTrackedRuns how many runs the run state store keeps before it forgets the oldest finished ones
 * @param service how the service reads and reaches its inputs
 */
public record CleanerSettings(Set<String> namespaces, List<ResourceKind> kinds, String runLabelKey,
                              String managedByKey, String managedByValue, Duration orphanAge,
                              Duration maxRunDuration, RetryPolicy retry, int maxTrackedRuns, Service service) {

    /** The kinds deleted by default, in this order. */
    public static final List<String> DEFAULT_KINDS = List.of("Deployment", "StatefulSet", "Job", "Service", "Pod",
            "ConfigMap", "Secret", "PersistentVolumeClaim", "Ingress");

    /**
     * @param concurrency how many runs' cleanups run at once (one run's finishes stay in order)
     * @param consumerGroupId the run-events consumer group
     * @param pollTimeout the run-events consumer's poll timeout
     * @param kubernetesMasterUrl an API server to use (e.g. {@code kubectl proxy}'s); null: configured like
     *        {@code kubectl} (in-cluster service account, else kubeconfig)
     * @param cacheSyncTimeout how long a cleanup waits for the resource cache's first list before it gives up
     *        (nothing deleted, one ERROR; garbage collection deletes the run's resources once the cache is there)
     */
    public record Service(int concurrency, String consumerGroupId, Duration pollTimeout, String kubernetesMasterUrl,
                          Duration cacheSyncTimeout) {

        public static final Service DEFAULTS = new Service(8, "vigil-k8s-cleaner", Duration.ofMillis(500), null,
                Duration.ofMinutes(1));

        public Service {
            require(concurrency > 0, "concurrency must be positive");
            require(!cacheSyncTimeout.isNegative() && !cacheSyncTimeout.isZero(), "cache.sync-timeout must be positive");
        }
    }

    /**
     * The cleaner's configuration, {@code vigil.cleaner.*} (env {@code VIGIL_CLEANER_*}), read once at start; every
     * default is written here.
     */
    public static CleanerSettings from(ConfigLookup config) {
        Duration maxRunDuration = config.duration("vigil.cleaner.max-run-duration", Duration.ofDays(30));
        return of(config.list("vigil.cleaner.namespaces", List.of("agents")),
                config.list("vigil.cleaner.kinds", DEFAULT_KINDS),
                config.text("vigil.cleaner.run-label-key", "session"),
                config.text("vigil.cleaner.managed-by-label-key", "app.kubernetes.io/managed-by"),
                config.text("vigil.cleaner.managed-by-label-value", "vigil"),
                config.duration("vigil.cleaner.gc.orphan-age", maxRunDuration.plusDays(1)),
                maxRunDuration,
                new RetryPolicy(config.integer("vigil.cleaner.retry.attempts", 5),
                        config.duration("vigil.cleaner.retry.initial-backoff", Duration.ofMillis(200)),
                        config.duration("vigil.cleaner.retry.max-backoff", Duration.ofSeconds(5))),
                config.integer("vigil.cleaner.state.max-runs", 1_000_000),
                new Service(config.integer("vigil.cleaner.concurrency", Service.DEFAULTS.concurrency()),
                        config.text("vigil.cleaner.consumer.group-id", Service.DEFAULTS.consumerGroupId()),
                        config.duration("vigil.cleaner.consumer.poll-timeout", Service.DEFAULTS.pollTimeout()),
                        config.text("vigil.cleaner.kubernetes.master-url", Service.DEFAULTS.kubernetesMasterUrl()),
                        config.duration("vigil.cleaner.cache.sync-timeout", Service.DEFAULTS.cacheSyncTimeout())));
    }

    private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern LABEL_KEY =
            Pattern.compile("([a-z0-9.-]{1,253}/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
    private static final Pattern LABEL_VALUE = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");

    public CleanerSettings {
        namespaces.forEach(ns -> require(NAMESPACE.matcher(ns).matches(), "namespace '" + ns + "' is not a namespace name"));
        namespaces = Set.copyOf(new LinkedHashSet<>(namespaces));
        require(!kinds.isEmpty(), "at least one resource kind must be configured");
        kinds = List.copyOf(new LinkedHashSet<>(kinds));
        require(LABEL_KEY.matcher(runLabelKey).matches(), "run label key '" + runLabelKey + "' is not a label key");
        require(LABEL_KEY.matcher(managedByKey).matches(), "managed-by label key '" + managedByKey + "' is not a label key");
        require(isLabelValue(managedByValue), "managed-by label value '" + managedByValue + "' is not a label value");
        require(!runLabelKey.equals(managedByKey), "the run label and the managed-by label must differ");
        require(!runLabelKey.equals(Labels.WORKSPACE), "the run label and the workspace label must differ");
        require(!maxRunDuration.isNegative() && !maxRunDuration.isZero(), "max run duration must be positive");
        require(orphanAge.compareTo(maxRunDuration) >= 0, "gc orphan age (" + orphanAge + ") must not be shorter than "
                + "the longest a run may live (" + maxRunDuration + "): a live run Vigil forgot would lose its resources");
        require(maxTrackedRuns > 0, "max tracked runs must be positive");
    }

    /** Builds settings from configuration text: kind names as {@link ResourceKind#parse} reads them. */
    public static CleanerSettings of(List<String> namespaces, List<String> kinds, String runLabelKey,
                                     String managedByKey, String managedByValue, Duration orphanAge,
                                     Duration maxRunDuration, RetryPolicy retry, int maxTrackedRuns, Service service) {
        List<String> namespaceNames = namespaces.stream().map(String::trim).filter(ns -> !ns.isEmpty()).toList();
        List<ResourceKind> kindList = kinds.stream().filter(k -> !k.isBlank()).map(ResourceKind::parse).toList();
        return new CleanerSettings(new LinkedHashSet<>(namespaceNames), kindList, runLabelKey.trim(), managedByKey.trim(),
                managedByValue.trim(), orphanAge, maxRunDuration, retry, maxTrackedRuns, service);
    }

    /** Whether anything may be deleted in {@code namespace}. */
    public boolean allows(String namespace) {
        return namespaces.contains(namespace);
    }

    /** The managed-by label as a one-entry map. */
    public Map<String, String> managedByLabel() {
        return Map.of(managedByKey, managedByValue);
    }

    /** Whether {@code value} can be a label value (so a run id can be matched by {@code <run label>=<id>}). */
    public static boolean isLabelValue(String value) {
        return value != null && LABEL_VALUE.matcher(value).matches();
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException("vigil.cleaner: " + message);
        }
    }
}
