package dev.vigil.contracts.event;

/** Why the cleaner acted. */
public enum CleanupTrigger {
    /** A terminal run event. */
    RUN_FINISHED,
    /** The periodic sweep found a labelled resource whose run is terminal or unknown. */
    GARBAGE_COLLECTION
}
