package dev.vigil.run.lifecycle;

import dev.vigil.contracts.Labels;
import dev.vigil.contracts.event.CleanupTarget;
import dev.vigil.contracts.event.RunTimeouts;
import java.util.Map;
import java.util.UUID;

/**
 * A run to create, as the API validated it (defaults filled in, limits and reserved labels checked).
 *
 * @param cleanupNamespace where its Kubernetes resources live, or null if it has none
 * @param cleanupLabels    the caller's labels, which can only narrow the run's own selector
 */
public record NewRun(String key, String kind, String agentId, RunTimeouts timeouts, String cleanupNamespace,
                     Map<String, String> cleanupLabels) {

    /**
     * The run's cleanup target: its own label, managed-by and its workspace label, plus the caller's
     * labels ({@link Labels#selector}, which refuses a reserved key with IllegalArgumentException).
     */
    public CleanupTarget cleanup(UUID id, String workspace, String labelKey) {
        return cleanupNamespace == null ? null
                : new CleanupTarget(cleanupNamespace, Labels.selector(labelKey, id.toString(), workspace, cleanupLabels));
    }
}
