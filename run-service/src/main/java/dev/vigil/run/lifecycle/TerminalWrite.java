package dev.vigil.run.lifecycle;

import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunFinished;
import dev.vigil.contracts.event.RunStatus;
import dev.vigil.run.RunMetrics;
import dev.vigil.run.outbox.Outbox;
import dev.vigil.run.store.RunRepository;
import dev.vigil.run.store.RunRow;
import dev.vigil.run.store.RunRows;
import io.micronaut.transaction.TransactionOperations;
import jakarta.inject.Singleton;
import java.sql.Connection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one terminal write, shared by the worker's finish, an operator's force stop and the sweeper's
 * timeouts: a guarded update ({@link RunRepository#finish}, which matches only a live row at the
 * same attempt), then RunFinished and the audit record in the same transaction. At most once per
 * attempt: a second, racing or stale write changes nothing and is counted.
 */
@Singleton
public class TerminalWrite {

    private static final Logger LOG = LoggerFactory.getLogger(TerminalWrite.class);

    private final RunRepository runs;
    private final RunJournal journal;
    private final Outbox outbox;
    private final TransactionOperations<Connection> tx;
    private final RunMetrics metrics;

    public TerminalWrite(RunRepository runs, RunJournal journal, Outbox outbox, TransactionOperations<Connection> tx,
                         RunMetrics metrics) {
        this.runs = runs;
        this.journal = journal;
        this.outbox = outbox;
        this.tx = tx;
        this.metrics = metrics;
    }

    /** Finalizes {@code run}'s attempt as {@code status}; returns the run as it is afterwards. */
    public RunRow finalize(RunRow run, RunStatus status, Reason reason, String error, String actor, String action) {
        return RunContext.logged(run.id(), run.workspace(), () -> tx.executeWrite(txStatus -> {
            int updated = runs.finish(run.id(), run.attempt(), status.name(), reason.code(), error, RunRows.now());
            RunRow current = runs.findById(run.id()).orElseThrow();
            if (updated == 0) {
                metrics.ignored("already_terminal");
                LOG.debug("{} of attempt {} changed nothing: run is {} at attempt {}", action, run.attempt(),
                        current.status(), current.attempt());
                return current;
            }
            outbox.publish(RunFinished.of(run.id().toString(), run.attempt(), run.workspace(), run.key(), status, reason,
                    error, RunRows.cleanup(run)));
            journal.record(current, action, run.status().name(), reason.code(), actor, error);
            metrics.finalized(reason);
            LOG.info("run {} by {}: {} ({})", action, actor, status, reason.code());
            return current;
        }));
    }
}
