package dev.vigil.contracts;

/** Kubernetes label keys and values Vigil uses to find a run's resources. */
public final class Labels {

    /** A resource is Vigil's to delete only if it carries this label with {@link #MANAGED_BY_VIGIL}. */
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String MANAGED_BY_VIGIL = "vigil";
    /** The default label naming the run a resource belongs to ({@code session=<run id>}, as in the seeds). */
    public static final String DEFAULT_RUN_LABEL = "session";
    /**
     * Optional: the run attempt a resource belongs to. A retried run's resources should carry it, so
     * the cleanup of an older attempt never touches them whenever they were created.
     */
    public static final String ATTEMPT = "vigil.dev/attempt";

    private Labels() {
    }
}
