package dev.vigil.contracts.event;

/** What happened when the cleaner deleted one Kubernetes resource. */
public enum CleanupOutcome {
    /** The API server accepted the delete. */
    DELETED,
    /** It was already gone (404): a repeated delete is a success. */
    ALREADY_GONE,
    /** Retries were exhausted; the record also went to the dead-letter topic. */
    FAILED
}
