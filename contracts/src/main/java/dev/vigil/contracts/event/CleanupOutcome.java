package dev.vigil.contracts.event;

/** What happened when the cleaner deleted one Kubernetes resource. */
public enum CleanupOutcome {
    /** The API server accepted the delete. */
    DELETED,
    /** It was already gone (404): a repeated delete is a success. */
    ALREADY_GONE,
    /** Retries were exhausted; the record also went to the dead-letter topic. */
    FAILED,
    /**
     * Nothing was deleted because the request was unsafe: a selector without the run's own label and
     * workspace label (name {@code *}). Never retried.
     */
    REFUSED,
    /**
     * Left alone on purpose, {@code detail} says why: it belongs to a live run, to a run Vigil does not
     * know that is younger than the orphan age, or it was replaced under the same name.
     */
    SPARED
}
