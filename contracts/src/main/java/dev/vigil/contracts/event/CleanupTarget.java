package dev.vigil.contracts.event;

import dev.vigil.contracts.serde.InvalidEventException;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where a run's Kubernetes resources are and how to find them: every resource in {@code namespace}
 * carrying all of {@code labels} (and the managed-by label) belongs to the run.
 */
public record CleanupTarget(String namespace, Map<String, String> labels) {

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern LABEL_KEY = Pattern.compile("([a-z0-9.-]{1,253}/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
    private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?");

    public CleanupTarget {
        Check.required(namespace, "cleanup.namespace");
        if (!DNS_LABEL.matcher(namespace).matches()) {
            throw new InvalidEventException("cleanup.namespace '" + Check.abbreviate(namespace)
                    + "' is not a Kubernetes namespace name");
        }
        Check.required(labels, "cleanup.labels");
        if (labels.isEmpty()) {
            throw new InvalidEventException("cleanup.labels must name at least one label");
        }
        labels.forEach((key, value) -> {
            if (key == null || !LABEL_KEY.matcher(key).matches()) {
                throw new InvalidEventException("cleanup.labels has an invalid label key '" + key + "'");
            }
            if (value == null || !LABEL_VALUE.matcher(value).matches()) {
                throw new InvalidEventException("cleanup.labels." + key + " has an invalid label value '" + value + "'");
            }
        });
        labels = Map.copyOf(labels);
    }

    /** The seeds' convention: the run's resources carry {@code <labelKey>=<runId>} in {@code namespace}. */
    public static CleanupTarget of(String namespace, String labelKey, String runId) {
        return new CleanupTarget(namespace, Map.of(labelKey, runId));
    }
}
