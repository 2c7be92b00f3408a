package dev.vigil.contracts;

/** Kubernetes label keys and values Vigil uses to find a run's resources. */
public final class Labels {

    /** A resource is Vigil's to delete only if it carries this label with {@link #MANAGED_BY_VIGIL}. */
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String MANAGED_BY_VIGIL = "vigil";
    /** The default label naming the run a resource belongs to ({@code session=<run id>}, as in the seeds). */
    public static final String DEFAULT_RUN_LABEL = "session";

    private Labels() {
    }
}
