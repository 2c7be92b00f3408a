package dev.vigil.run.lifecycle;

import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunDeadlineApproaching;
import dev.vigil.contracts.event.RunStarted;
import dev.vigil.contracts.event.RunStatus;
import dev.vigil.contracts.event.RunStopRequested;
import dev.vigil.contracts.event.StopRun;
import dev.vigil.run.RunMetrics;
import dev.vigil.run.outbox.Outbox;
import dev.vigil.run.store.RunRepository;
import dev.vigil.run.store.RunRow;
import dev.vigil.run.store.RunRows;
import io.micronaut.transaction.TransactionOperations;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.time.Instant;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The non-terminal changes the sweeper's events drive: a run starts on its first heartbeat, and a
 * stop that timed out while the agent lives is sent again. Timeouts go through {@link TerminalWrite}.
 */
@Singleton
public class SweeperTransitions {

    private static final Logger LOG = LoggerFactory.getLogger(SweeperTransitions.class);

    private final RunRepository runs;
    private final RunJournal journal;
    private final Outbox outbox;
    private final TransactionOperations<Connection> tx;
    private final RunMetrics metrics;

    public SweeperTransitions(RunRepository runs, RunJournal journal, Outbox outbox,
                              TransactionOperations<Connection> tx, RunMetrics metrics) {
        this.runs = runs;
        this.journal = journal;
        this.outbox = outbox;
        this.tx = tx;
        this.metrics = metrics;
    }

    /** PENDING → RUNNING on the attempt's first heartbeat, announced as RunStarted. */
    public void started(UUID id, int attempt, String agentId, Instant heartbeatAt, String actor) {
        tx.executeWrite(status -> {
            if (runs.start(id, attempt, heartbeatAt, RunRows.now()) == 1) {
                RunRow run = runs.findById(id).orElseThrow();
                outbox.publish(RunStarted.of(id.toString(), attempt, agentId));
                journal.record(run, "started", RunStatus.PENDING.name(), null, actor, "first heartbeat at " + heartbeatAt);
            } else {
                metrics.ignored("stale_start");
            }
            return null;
        });
    }

    /**
     * Flags the attempt's stalled progress ({@code onStall: flag}): the run stays RUNNING and shows as stuck until its
     * progress moves again. Once per attempt; a stall a later report already contradicts is ignored.
     */
    public void stalled(RunRow run, Instant dueAt, String detail, String actor) {
        RunContext.logged(run.id(), run.workspace(), () -> tx.executeWrite(status -> {
            if (runs.stalled(run.id(), run.attempt(), dueAt, RunRows.now()) == 0) {
                metrics.ignored("stale_stall");
                return null;
            }
            journal.record(runs.findById(run.id()).orElseThrow(), "stalled", RunStatus.RUNNING.name(),
                    Reason.PROGRESS_STALLED.code(), actor, detail);
            metrics.flagged(Reason.PROGRESS_STALLED);
            LOG.warn("progress stalled; flagged, the run stays RUNNING: {}", detail);
            return null;
        }));
    }

    /**
     * Notes the sweeper's warning that the attempt's max duration runs out soon, on its timeline, and passes it on to
     * {@code vigil.run-events} for the apps that listen there. Once per attempt, only while it is live.
     */
    public void deadlineApproaching(UUID id, RunDeadlineApproaching warning, String actor) {
        tx.executeWrite(status -> {
            if (runs.deadlineWarned(id, warning.attempt(), warning.dueAt(), RunRows.now()) == 0) {
                metrics.ignored("stale_deadline_warning");
                return null;
            }
            RunRow run = runs.findById(id).orElseThrow();
            RunContext.logged(id, run.workspace(), () -> {
                outbox.publish(RunDeadlineApproaching.of(id.toString(), warning.attempt(), warning.deadlineAt(),
                        warning.dueAt()));
                journal.record(run, "deadline_approaching", run.status().name(), null, actor,
                        "max duration runs out at " + warning.deadlineAt());
                metrics.deadlineWarned();
                LOG.info("deadline approaching: max duration runs out at {}", warning.deadlineAt());
                return null;
            });
            return null;
        });
    }

    /** Re-sends stop {@code stopAttempt}, which timed out while the agent lives; the sweeper re-arms the stop timeout. */
    public RunRow resendStop(RunRow run, int stopAttempt, String actor) {
        return RunContext.logged(run.id(), run.workspace(), () -> tx.executeWrite(status -> {
            if (runs.resendStop(run.id(), run.attempt(), stopAttempt, RunRows.now()) == 0) {
                metrics.ignored("stale_stop_timeout");
                return runs.findById(run.id()).orElseThrow();
            }
            int next = stopAttempt + 1;
            outbox.publish(RunStopRequested.of(run.id().toString(), run.attempt(), next, actor, run.agentId()));
            outbox.publish(StopRun.of(run.id().toString(), run.attempt(), run.workspace(), run.agentId(), next, actor));
            RunRow resent = runs.findById(run.id()).orElseThrow();
            journal.record(resent, "stop_resent", RunStatus.TERMINATING.name(), Reason.STOP_TIMEOUT.code(), actor,
                    "stop " + stopAttempt + " timed out while the agent was alive; sent stop " + next);
            LOG.warn("stop {} timed out while the agent is alive; re-sent as stop {}", stopAttempt, next);
            return resent;
        }));
    }
}
