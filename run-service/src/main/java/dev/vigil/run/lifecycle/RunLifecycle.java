package dev.vigil.run.lifecycle;

import dev.vigil.contracts.event.CleanupTarget;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunCreated;
import dev.vigil.contracts.event.RunStatus;
import dev.vigil.contracts.event.RunStopRequested;
import dev.vigil.contracts.event.RunTimeouts;
import dev.vigil.contracts.event.StopRun;
import dev.vigil.run.RunMetrics;
import dev.vigil.run.RunSettings;
import dev.vigil.run.outbox.Outbox;
import dev.vigil.run.store.RunRepository;
import dev.vigil.run.store.RunRow;
import dev.vigil.run.store.RunRows;
import io.micronaut.data.exceptions.DataAccessException;
import io.micronaut.transaction.TransactionOperations;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.time.Instant;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run lifecycle as callers drive it: create, stop, retry, force stop, finish. Each change is one
 * transaction holding the guarded row update, its outbox events and its audit record. Refusals are
 * {@link RunRefused}; the API has validated the request before it gets here.
 */
@Singleton
public class RunLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(RunLifecycle.class);

    private final RunRepository runs;
    private final RunJournal journal;
    private final Outbox outbox;
    private final TransactionOperations<Connection> tx;
    private final TerminalWrite terminal;
    private final RunSettings settings;
    private final RunMetrics metrics;

    public RunLifecycle(RunRepository runs, RunJournal journal, Outbox outbox, TransactionOperations<Connection> tx,
                        TerminalWrite terminal, RunSettings settings, RunMetrics metrics) {
        this.runs = runs;
        this.journal = journal;
        this.outbox = outbox;
        this.tx = tx;
        this.terminal = terminal;
        this.settings = settings;
        this.metrics = metrics;
    }

    /** Creates a PENDING run; refused naming the active run if the key has one (also when two creates race). */
    public RunRow create(String workspace, String actor, NewRun request) {
        UUID id = UUID.randomUUID();
        Instant now = RunRows.now();
        CleanupTarget cleanup = request.cleanup(id, workspace, settings.runLabelKey());
        RunRow row = new RunRow(id, workspace, request.key(), request.kind(), request.agentId(), 1, RunStatus.PENDING,
                null, null, request.timeouts().heartbeat().toMillis(), request.timeouts().start().toMillis(),
                request.timeouts().stop().toMillis(), request.timeouts().maxDuration().toMillis(),
                cleanup == null ? null : cleanup.namespace(), cleanup == null ? null : RunRows.labels(cleanup.labels()),
                null, null, 0, null, 0, now, null, null, null, now, now,
                request.timeouts().progress() == null ? null : request.timeouts().progress().toMillis(),
                request.timeouts().onStall() == null ? null : request.timeouts().onStall().code(), null, null,
                request.timeouts().warnAt(), null);
        return oneActive(workspace, request.key(), () -> RunContext.logged(id, workspace, () -> tx.executeWrite(status -> {
            RunRow saved = runs.save(row);
            outbox.publish(RunCreated.of(id.toString(), 1, workspace, request.key(), request.kind(), request.agentId(),
                    request.timeouts(), cleanup));
            journal.record(saved, "created", null, null, actor, null);
            LOG.info("run created (key {})", request.key());
            return saved;
        })));
    }

    /** The workspace's run; refused as not found if it is another workspace's or none at all. */
    public RunRow get(String workspace, UUID id) {
        return runs.findByIdAndWorkspace(id, workspace).orElseThrow(() -> RunRefused.notFound(id));
    }

    /**
     * Asks the run's attempt to stop: TERMINATING, its stop timeout starts, and a {@code StopRun} goes
     * to the agent — through Kafka, so any instance of the agent (or of run-service) can act on it.
     * Idempotent: stopping a TERMINATING attempt returns it as it is. A finished run, a stop naming an
     * attempt that is not the current one, or a retry racing the stop is refused: a stop never lands
     * on an attempt other than the one it names (or the one read when it was asked).
     */
    public RunRow stop(String workspace, String actor, UUID id, Integer attempt) {
        RunRow run = get(workspace, id);
        requireCurrent(run, attempt);
        return RunContext.logged(run.id(), workspace, () -> tx.executeWrite(status -> {
            if (runs.requestStop(run.id(), run.attempt(), RunRows.now()) == 0) {
                RunRow current = runs.findById(run.id()).orElseThrow();
                requireCurrent(current, run.attempt());
                if (current.status().isTerminal()) {
                    throw RunRefused.conflict("run " + id + " already finished: " + current.status());
                }
                return current;
            }
            outbox.publish(RunStopRequested.of(run.id().toString(), run.attempt(), 1, actor, run.agentId()));
            outbox.publish(StopRun.of(run.id().toString(), run.attempt(), run.workspace(), run.agentId(), 1, actor));
            RunRow stopping = runs.findById(run.id()).orElseThrow();
            journal.record(stopping, "stop_requested", run.status().name(), Reason.USER_STOP.code(), actor, null);
            LOG.info("stop requested by {}", actor);
            return stopping;
        }));
    }

    /**
     * Starts attempt N+1 of a run that failed, was aborted or timed out: PENDING, timeouts re-armed
     * (a new RunCreated) with the timeouts {@code timeouts} makes of the run's current ones, everything of the old
     * attempt fenced off. Refused for a run that succeeded or is still active, or when another run of the key is
     * active.
     */
    public RunRow retry(String workspace, String actor, UUID id, UnaryOperator<RunTimeouts> timeouts) {
        RunRow run = get(workspace, id);
        RunTimeouts next = timeouts.apply(RunRows.timeouts(run));
        return oneActive(workspace, run.key(), () -> RunContext.logged(run.id(), workspace, () -> tx.executeWrite(status -> {
            if (runs.retry(run.id(), RunRows.now(), next.heartbeat().toMillis(), next.start().toMillis(),
                    next.stop().toMillis(), next.maxDuration().toMillis(),
                    next.progress() == null ? null : next.progress().toMillis(),
                    next.onStall() == null ? null : next.onStall().code(), next.warnAt()) == 0) {
                RunRow current = runs.findById(run.id()).orElseThrow();
                throw RunRefused.conflict(current.status() == RunStatus.SUCCEEDED
                        ? "run " + id + " succeeded; only failed, aborted or timed-out runs can be retried"
                        : "run " + id + " is still " + current.status() + "; stop it or wait for it to end first");
            }
            RunRow retried = runs.findById(run.id()).orElseThrow();
            outbox.publish(RunCreated.of(run.id().toString(), retried.attempt(), workspace, retried.key(),
                    retried.kind(), retried.agentId(), RunRows.timeouts(retried), RunRows.cleanup(retried)));
            journal.record(retried, "retried", run.status().name(), null, actor,
                    "attempt " + run.attempt() + " -> " + retried.attempt());
            LOG.info("run retried by {}: attempt {}", actor, retried.attempt());
            return retried;
        })));
    }

    /** An operator's "the agent is gone, I know it, stop waiting": ABORTED ({@code user_force}) at once. */
    public RunRow forceStop(String workspace, String actor, UUID id, Integer attempt) {
        RunRow run = get(workspace, id);
        requireCurrent(run, attempt);
        if (run.status().isTerminal()) {
            throw RunRefused.conflict("run " + id + " already finished: " + run.status());
        }
        RunRow after = terminal.finalize(run, RunStatus.ABORTED, Reason.USER_FORCE, "force-stopped by " + actor, actor,
                "force_stopped");
        if (after.attempt() == run.attempt() && after.reason() != null && !Reason.USER_FORCE.code().equals(after.reason())) {
            throw RunRefused.conflict("run " + id + " finished before the force stop: " + after.status());
        }
        return after;
    }

    /**
     * The worker's own terminal write ({@code outcome} SUCCEEDED, FAILED or ABORTED). At most once: a
     * repeated or racing finish (or one that lost to a timeout) changes nothing and returns the run as
     * it is. A finish of an older attempt is refused: that is a zombie.
     */
    public RunRow finish(String workspace, String actor, UUID id, int attempt, RunStatus outcome, String error) {
        RunRow run = get(workspace, id);
        if (attempt != run.attempt()) {
            metrics.ignored("stale_finish");
        }
        requireCurrent(run, attempt);
        Reason reason = switch (outcome) {
            case SUCCEEDED -> Reason.COMPLETED;
            case FAILED -> Reason.ERROR;
            case ABORTED -> Reason.USER_STOP;
            default -> throw new IllegalArgumentException("a worker cannot finish a run as " + outcome);
        };
        return terminal.finalize(run, outcome, reason, error, actor, "finished");
    }

    private static void requireCurrent(RunRow run, Integer attempt) {
        if (attempt != null && attempt != run.attempt()) {
            throw RunRefused.conflict("attempt " + attempt + " of run " + run.id() + " is not its current attempt ("
                    + run.attempt() + ")");
        }
    }

    /** Runs a write that may meet the one-active-run index, refusing it by naming the run that holds the key. */
    private RunRow oneActive(String workspace, String key, Supplier<RunRow> write) {
        try {
            return write.get();
        } catch (DataAccessException e) {
            if (RunContext.violatesOneActive(e)) {
                String active = runs.findActive(workspace, key).map(r -> r.id().toString()).orElse("(just finished)");
                throw RunRefused.conflict("another run is active for key '" + key + "': " + active);
            }
            throw e;
        }
    }
}
