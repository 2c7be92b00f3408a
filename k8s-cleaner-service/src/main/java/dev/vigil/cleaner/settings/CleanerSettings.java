package dev.vigil.cleaner.settings;

import dev.vigil.cleaner.kubernetes.ResourceKind;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the cleaner may touch and how: the namespace allow-list, the kinds, the two labels a resource
 * must carry, the garbage collection grace period and the retry policy.
 *
 * @param namespaces the only namespaces anything is ever deleted in
 * @param kinds the kinds deleted, in the order they are deleted
 * @param runLabelKey the label naming the run a resource belongs to ({@code session})
 * @param managedByKey the label every deletable resource carries ({@code app.kubernetes.io/managed-by})
 * @param managedByValue its value ({@code vigil})
 * @param gcGrace how long a resource of a run Vigil does not know is left alone
 * @param retry how Kubernetes calls are retried
 * @param maxTrackedRuns how many runs the run state store keeps before it forgets the oldest finished ones
 */
public record CleanerSettings(Set<String> namespaces, List<ResourceKind> kinds, String runLabelKey,
                              String managedByKey, String managedByValue, Duration gcGrace, RetryPolicy retry,
                              int maxTrackedRuns) {

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
        require(!gcGrace.isNegative(), "gc grace must not be negative");
        require(maxTrackedRuns > 0, "max tracked runs must be positive");
    }

    /** Builds settings from configuration text: kind names as {@link ResourceKind#parse} reads them. */
    public static CleanerSettings of(List<String> namespaces, List<String> kinds, String runLabelKey,
                                     String managedByKey, String managedByValue, Duration gcGrace,
                                     RetryPolicy retry, int maxTrackedRuns) {
        List<String> namespaceNames = namespaces.stream().map(String::trim).filter(ns -> !ns.isEmpty()).toList();
        List<ResourceKind> kindList = kinds.stream().filter(k -> !k.isBlank()).map(ResourceKind::parse).toList();
        return new CleanerSettings(new LinkedHashSet<>(namespaceNames), kindList, runLabelKey.trim(), managedByKey.trim(),
                managedByValue.trim(), gcGrace, retry, maxTrackedRuns);
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
