package dev.vigil.cleaner.audit;

import dev.vigil.cleaner.metrics.CleanerMetrics;
import dev.vigil.cleaner.output.CleanerOutput;
import dev.vigil.contracts.event.CleanupOutcome;
import dev.vigil.contracts.event.CleanupPerformed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The audit trail: every action on a resource is logged (with the run id in the MDC and the
 * message), counted, and published to {@code vigil.cleanups}. A failure is logged as exactly one
 * ERROR line that names run, kind, namespace, name and cause, so {@code grep 'cleanup FAILED'} finds
 * every give-up.
 */
public final class CleanupAudit {

    private static final Logger LOG = LoggerFactory.getLogger(CleanupAudit.class);

    private final CleanerOutput output;
    private final CleanerMetrics metrics;

    public CleanupAudit(CleanerOutput output, CleanerMetrics metrics) {
        this.output = output;
        this.metrics = metrics;
    }

    /** Logs, counts and publishes what was done to one resource. */
    public CleanupPerformed record(CleanupPerformed event) {
        String previousRunId = MDC.get("runId");
        MDC.put("runId", event.runId());
        try {
            if (event.outcome() == CleanupOutcome.FAILED) {
                LOG.error("cleanup FAILED run={} attempt={} kind={} namespace={} name={} trigger={} cause: {}",
                        event.runId(), event.attempt(), event.kind(), event.namespace(), event.name(), event.trigger(),
                        event.detail());
            } else if (event.outcome() == CleanupOutcome.REFUSED || event.outcome() == CleanupOutcome.SPARED) {
                LOG.warn("cleanup {} run={} attempt={} kind={} namespace={} name={} trigger={} why: {}", event.outcome(),
                        event.runId(), event.attempt(), event.kind(), event.namespace(), event.name(), event.trigger(),
                        event.detail());
            } else {
                LOG.info("cleanup {} run={} attempt={} kind={} namespace={} name={} trigger={}", event.outcome(),
                        event.runId(), event.attempt(), event.kind(), event.namespace(), event.name(), event.trigger());
            }
        } finally {
            if (previousRunId == null) {
                MDC.remove("runId");
            } else {
                MDC.put("runId", previousRunId);
            }
        }
        metrics.outcome(event.kind(), event.outcome(), event.trigger());
        output.cleanupPerformed(event);
        return event;
    }
}
