package dev.vigil.contracts;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Kubernetes label keys and values Vigil uses to find a run's resources, and the one rule that
 * builds a run's cleanup selector: {@code <run label>=<run id>}, {@value #MANAGED_BY}={@value
 * #MANAGED_BY_VIGIL} and {@value #WORKSPACE}{@code =<workspace>}, to which a tenant's own labels
 * can only be added. The keys of those three (and everything under {@value #RESERVED_PREFIX}) are
 * reserved: a tenant cannot set them.
 */
public final class Labels {

    /** A resource is Vigil's to delete only if it carries this label with {@link #MANAGED_BY_VIGIL}. */
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String MANAGED_BY_VIGIL = "vigil";
    /** The default label naming the run a resource belongs to ({@code session=<run id>}, as in the seeds). */
    public static final String DEFAULT_RUN_LABEL = "session";
    /** Label keys under this prefix are Vigil's: no tenant may put them in a cleanup selector. */
    public static final String RESERVED_PREFIX = "vigil.dev/";
    /** The workspace (tenant) the run of a resource belongs to. */
    public static final String WORKSPACE = RESERVED_PREFIX + "workspace";
    /**
     * Optional: the run attempt a resource belongs to. A retried run's resources should carry it, so
     * the cleanup of an older attempt never touches them whenever they were created.
     */
    public static final String ATTEMPT = RESERVED_PREFIX + "attempt";

    private Labels() {
    }

    /** Whether a tenant is refused {@code key} in a cleanup selector: the run label, managed-by, {@code vigil.dev/*}. */
    public static boolean reserved(String key, String runLabelKey) {
        return key.equals(runLabelKey) || key.equals(MANAGED_BY) || key.startsWith(RESERVED_PREFIX);
    }

    /** The labels every resource of the run carries and every cleanup selector of the run contains. */
    public static Map<String, String> ofRun(String runLabelKey, String runId, String workspace) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(runLabelKey, runId);
        labels.put(MANAGED_BY, MANAGED_BY_VIGIL);
        labels.put(WORKSPACE, workspace);
        return labels;
    }

    /**
     * The run's cleanup selector: {@link #ofRun} plus the tenant's {@code userLabels}, which can only
     * narrow it. Throws {@link IllegalArgumentException} naming the first reserved key among them.
     */
    public static Map<String, String> selector(String runLabelKey, String runId, String workspace,
                                               Map<String, String> userLabels) {
        Map<String, String> selector = new LinkedHashMap<>();
        if (userLabels != null) {
            userLabels.keySet().stream().filter(key -> key != null && reserved(key, runLabelKey)).findFirst()
                    .ifPresent(key -> {
                        throw new IllegalArgumentException("cleanup.labels may not set the reserved label '" + key
                                + "': Vigil sets " + runLabelKey + ", " + MANAGED_BY + " and " + RESERVED_PREFIX + "* itself");
                    });
            selector.putAll(userLabels);
        }
        selector.putAll(ofRun(runLabelKey, runId, workspace));
        return selector;
    }

    /** Whether {@code selector} contains the run's own label and its workspace label (so it cannot reach another run's). */
    public static boolean scopedToRun(Map<String, String> selector, String runLabelKey, String runId, String workspace) {
        return selector != null && runId != null && workspace != null
                && runId.equals(selector.get(runLabelKey)) && workspace.equals(selector.get(WORKSPACE));
    }
}
