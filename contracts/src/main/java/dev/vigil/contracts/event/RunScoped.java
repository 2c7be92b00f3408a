package dev.vigil.contracts.event;

import com.fasterxml.jackson.annotation.JsonIgnore;

/** An event about one attempt of one run; keyed by the run id. */
public sealed interface RunScoped extends VigilEvent
        permits Heartbeat, RunEvent, RunActivity, RunTimedOut, RunCommand, CleanupPerformed {

    String runId();

    /** The run attempt it belongs to; anything from an older attempt than the run's current one is ignored. */
    int attempt();

    @Override
    @JsonIgnore
    default String partitionKey() {
        return runId();
    }
}
