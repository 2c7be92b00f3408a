package dev.vigil.run;

import dev.vigil.contracts.event.ProgressReported;
import dev.vigil.contracts.event.Reason;
import dev.vigil.run.store.RunRow;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Work that should have moved on by now and has not been timed out (yet): a PENDING attempt past
 * its start timeout, a RUNNING one whose last reported heartbeat is older than its heartbeat
 * timeout or whose progress stalled with {@code onStall: flag}, a TERMINATING one past its stop timeout. The sweeper finalizes such runs by itself within
 * moments; a run that stays stuck means detection is down or lagging, and a person should look.
 * {@link dev.vigil.run.store.RunRepository#STUCK} is the same rule in SQL, for counts and filters.
 *
 * @param reason the timeout that has passed: {@code start_timeout}, {@code heartbeat_timeout}, {@code stop_timeout},
 *        {@code progress_stalled}
 * @param dueAt  when it passed
 * @param detail what is overdue, in words
 */
public record Stuck(Reason reason, Instant dueAt, String detail) {

    /**
     * How far a RUNNING run's last reported heartbeat may lag its worker's real last heartbeat, in
     * seconds. The sweeper does not report every heartbeat: it reports a change of progress every few
     * seconds and, while the progress does not change, re-reports the run as alive at least every
     * {@link ProgressReported#MAX_LIVENESS_SECONDS} (the contract its configuration is checked
     * against). The slack is that plus {@value #DELIVERY_SECONDS} s for delivery (the sweeper's commit,
     * the run-activity consumer, the database write). {@link dev.vigil.run.store.RunRepository#STUCK}
     * uses the same constant.
     */
    public static final int REPORTING_SLACK_SECONDS = ProgressReported.MAX_LIVENESS_SECONDS + Stuck.DELIVERY_SECONDS;
    static final int DELIVERY_SECONDS = 10;

    /** The run's stuckness at {@code now}, or empty if it is terminal or within its timeouts. */
    public static Optional<Stuck> of(RunRow run, Instant now) {
        return switch (run.status()) {
            case PENDING -> due(now, run.attemptCreatedAt(), run.startTimeoutMs(), Reason.START_TIMEOUT,
                    "no first heartbeat within its start timeout");
            case RUNNING -> due(now, run.lastHeartbeatAt() != null ? run.lastHeartbeatAt() : run.startedAt(),
                    run.heartbeatTimeoutMs() + REPORTING_SLACK_SECONDS * 1000L, Reason.HEARTBEAT_TIMEOUT,
                    "no heartbeat reported within its heartbeat timeout").or(() -> stalled(run));
            case TERMINATING -> due(now, run.stopRequestedAt(), run.stopTimeoutMs(), Reason.STOP_TIMEOUT,
                    "not stopped within its stop timeout");
            default -> Optional.empty();
        };
    }

    /** A flagged stall: the run heartbeats, but its progress stood still for its progress timeout. */
    private static Optional<Stuck> stalled(RunRow run) {
        if (run.stalledAt() == null || run.progressTimeoutMs() == null) {
            return Optional.empty();
        }
        return Optional.of(new Stuck(Reason.PROGRESS_STALLED, run.stalledAt(), "progress unchanged for its progress timeout ("
                + Duration.ofMillis(run.progressTimeoutMs()) + ") while it heartbeats, since " + run.stalledAt()));
    }

    private static Optional<Stuck> due(Instant now, Instant since, long timeoutMs, Reason reason, String what) {
        if (since == null) {
            return Optional.empty();
        }
        Duration timeout = Duration.ofMillis(timeoutMs);
        Instant dueAt = since.plus(timeout);
        if (!dueAt.isBefore(now)) {
            return Optional.empty();
        }
        return Optional.of(new Stuck(reason, dueAt, what + " (" + timeout + "), overdue since " + dueAt));
    }
}
