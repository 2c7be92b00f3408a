package dev.vigil.cleaner.runstate;

import dev.vigil.contracts.event.CleanupTarget;
import java.time.Instant;

/**
 * What the cleaner knows about one run: its newest attempt and whether that attempt is over.
 *
 * @param workspace the tenant the run belongs to, as its RunCreated or RunFinished said; null if only
 *                  other events were seen
 * @param target where its resources are, as the run's events said; null if they did not say
 * @param updatedAt when the event that set this state occurred
 */
public record RunState(String runId, int attempt, boolean terminal, String workspace, CleanupTarget target,
                       Instant updatedAt) {

    /** Whether the run's newest attempt is still going (created, started or stopping). */
    public boolean live() {
        return !terminal;
    }
}
