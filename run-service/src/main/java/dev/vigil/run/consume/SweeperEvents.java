package dev.vigil.run.consume;

import dev.vigil.contracts.event.Check;
import dev.vigil.contracts.event.FirstHeartbeatReceived;
import dev.vigil.contracts.event.ProgressReported;
import dev.vigil.contracts.event.RunDeadlineApproaching;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunActivity;
import dev.vigil.contracts.event.RunStatus;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.event.StallAction;
import dev.vigil.run.RunMetrics;
import dev.vigil.run.RunSettings;
import dev.vigil.run.lifecycle.SweeperTransitions;
import dev.vigil.run.lifecycle.TerminalWrite;
import dev.vigil.run.store.RunRepository;
import dev.vigil.run.store.RunRow;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What run-service does with the sweeper's events. Every path is idempotent: a duplicate, a
 * redelivery, a timeout of an older attempt or of a run already finished changes nothing (and is
 * counted), because every write is guarded by the run's state and attempt.
 */
@Singleton
public class SweeperEvents {

    static final String SWEEPER = "vigil:sweeper";
    private static final Logger LOG = LoggerFactory.getLogger(SweeperEvents.class);

    private final RunRepository runs;
    private final SweeperTransitions transitions;
    private final TerminalWrite terminal;
    private final RunSettings settings;
    private final RunMetrics metrics;

    public SweeperEvents(RunRepository runs, SweeperTransitions transitions, TerminalWrite terminal,
                         RunSettings settings, RunMetrics metrics) {
        this.runs = runs;
        this.transitions = transitions;
        this.terminal = terminal;
        this.settings = settings;
        this.metrics = metrics;
    }

    /**
     * Finalizes the run with the timeout's reason if it is still live at that attempt. A stop timeout
     * re-sends the stop while the agent lives and attempts remain, and forces the run otherwise.
     */
    public void onTimeout(RunTimedOut timeout) {
        Optional<RunRow> found = find(timeout.runId());
        if (found.isEmpty()) {
            metrics.ignored("unknown_run");
            return;
        }
        RunRow run = found.get();
        if (timeout.attempt() != run.attempt()) {
            metrics.ignored("stale_attempt");
            LOG.debug("ignored {} of attempt {} for run {} at attempt {}", timeout.reason(), timeout.attempt(),
                    run.id(), run.attempt());
            return;
        }
        if (run.status().isTerminal()) {
            metrics.ignored("already_terminal");
            return;
        }
        if (timeout.reason() == Reason.STOP_TIMEOUT) {
            if (run.status() != RunStatus.TERMINATING || timeout.stopAttempt() == null
                    || timeout.stopAttempt() != run.stopAttempts()) {
                metrics.ignored("stale_stop_timeout");
                return;
            }
            if (timeout.agentAlive() && run.stopAttempts() < settings.maxStopAttempts()) {
                transitions.resendStop(run, run.stopAttempts(), SWEEPER);
                return;
            }
            String why = timeout.agentAlive()
                    ? "the agent ignored " + run.stopAttempts() + " stop requests"
                    : "the agent is gone";
            terminal.finalize(run, RunStatus.TIMED_OUT, Reason.STOP_TIMEOUT, why + "; forced", SWEEPER, "force_terminated");
            return;
        }
        if (timeout.reason() == Reason.PROGRESS_STALLED && StallAction.FLAG.code().equals(run.onStall())) {
            transitions.stalled(run, timeout.dueAt(), describe(run, timeout), SWEEPER);
            return;
        }
        terminal.finalize(run, RunStatus.TIMED_OUT, timeout.reason(), describe(run, timeout), SWEEPER, "timed_out");
    }

    public void onActivity(RunActivity activity) {
        Optional<UUID> id = uuid(activity.runId());
        if (id.isEmpty()) {
            metrics.ignored("unknown_run");
            return;
        }
        if (activity instanceof FirstHeartbeatReceived first) {
            transitions.started(id.get(), first.attempt(), first.agentId(), first.heartbeatAt(), SWEEPER);
        } else if (activity instanceof RunDeadlineApproaching warning) {
            transitions.deadlineApproaching(id.get(), warning, SWEEPER);
        } else if (activity instanceof ProgressReported progress) {
            if (runs.progress(id.get(), progress.attempt(), progress.steps(), progress.message(), progress.heartbeats(),
                    progress.lastHeartbeatAt(), Instant.now()) == 0) {
                metrics.ignored("stale_progress");
            }
        }
    }

    private static String describe(RunRow run, RunTimedOut timeout) {
        return switch (timeout.reason()) {
            case PROGRESS_STALLED -> "progress (" + (run.steps() == null ? "no steps" : "steps " + run.steps())
                    + (run.progressMessage() == null ? "" : ", '" + Check.shortened(run.progressMessage(), MAX_QUOTED, "…") + "'")
                    + ") unchanged since " + timeout.progressChangedAt() + " while it heartbeat (last "
                    + timeout.lastHeartbeatAt() + ")";
            case HEARTBEAT_TIMEOUT -> "no heartbeat since " + timeout.lastHeartbeatAt();
            case START_TIMEOUT -> "no first heartbeat by " + timeout.dueAt();
            case AGENT_LOST -> "agent " + timeout.agentId() + " silent past its grace period (" + timeout.dueAt() + ")";
            case DEADLINE_EXCEEDED -> "ran past its max duration (" + timeout.dueAt() + ")";
            default -> timeout.reason().code() + " at " + timeout.dueAt();
        };
    }

    /**
     * How much of the progress message a run's error quotes: a message of any allowed length leaves room for the
     * rest, so the error stays within what an event may carry.
     */
    static final int MAX_QUOTED = 200;

    private Optional<RunRow> find(String runId) {
        return uuid(runId).flatMap(runs::findById);
    }

    private static Optional<UUID> uuid(String runId) {
        try {
            return Optional.of(UUID.fromString(runId));
        } catch (IllegalArgumentException notOurs) {
            return Optional.empty();
        }
    }
}
