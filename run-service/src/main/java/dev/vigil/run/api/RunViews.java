package dev.vigil.run.api;

import dev.vigil.contracts.event.RunStatus;
import dev.vigil.contracts.event.RunTimeouts;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The JSON shapes of the run API. */
public final class RunViews {

    private RunViews() {
    }

    /** {@code POST /api/v1/runs}. Unknown fields are rejected. */
    @Serdeable
    public record CreateRun(
            String key,
            @Nullable String kind,
            @Nullable String agentId,
            @Nullable Timeouts timeouts,
            @Nullable Cleanup cleanup) {
    }

    /**
     * Per-run timeouts as ISO-8601 durations ({@code PT30S}); any left out take the deployment's defaults.
     * {@code progress}: how long the run's progress (its heartbeats' steps and message) may stand still while it
     * heartbeats (absent: not watched, unless the deployment sets a default); {@code onStall}: {@code fail} (the
     * default: TIMED_OUT, {@code progress_stalled}) or {@code flag} (the run stays live and shows as stuck);
     * {@code warnAt}: the share of {@code maxDuration} (above 0, below 1, e.g. {@code 0.8}) at which a live attempt is
     * warned that its deadline approaches ({@code RunDeadlineApproaching}; absent: never, unless the deployment sets a
     * default).
     */
    @Serdeable
    public record Timeouts(
            @Nullable String heartbeat,
            @Nullable String start,
            @Nullable String stop,
            @Nullable String maxDuration,
            @Nullable String progress,
            @Nullable String onStall,
            @Nullable Double warnAt) {

        static Timeouts of(RunTimeouts timeouts) {
            return new Timeouts(timeouts.heartbeat().toString(), timeouts.start().toString(), timeouts.stop().toString(),
                    timeouts.maxDuration().toString(), timeouts.progress() == null ? null : timeouts.progress().toString(),
                    timeouts.onStall() == null ? null : timeouts.onStall().code(), timeouts.warnAt());
        }
    }

    /**
     * Where the run's Kubernetes resources are. The selector always holds {@code session=<run id>} (the
     * key is configurable), {@code app.kubernetes.io/managed-by=vigil} and {@code
     * vigil.dev/workspace=<workspace>}; {@code labels} can only add to it, and naming one of those keys
     * or any {@code vigil.dev/*} key is a 400.
     */
    @Serdeable
    public record Cleanup(String namespace, @Nullable Map<String, String> labels) {
    }

    /**
     * {@code POST /api/v1/runs/{id}/retry}, optional: the new attempt's timeouts, each one left out kept from the
     * run's (a progress timeout is kept too; it cannot be switched off by a retry).
     */
    @Serdeable
    public record Retry(@Nullable Timeouts timeouts) {
    }

    /** {@code POST /api/v1/runs/{id}/finish}. {@code attempt}, if given, must be the run's current attempt. */
    @Serdeable
    public record Finish(RunStatus outcome, @Nullable String error, @Nullable Integer attempt) {
    }

    /** A run as the API shows it. */
    @Serdeable
    public record Run(
            String id,
            String workspace,
            String key,
            @Nullable String kind,
            @Nullable String agentId,
            int attempt,
            RunStatus status,
            @Nullable String reason,
            @Nullable String error,
            Timeouts timeouts,
            @Nullable Cleanup cleanup,
            Progress progress,
            int stopAttempts,
            Instant createdAt,
            @Nullable Instant startedAt,
            @Nullable Instant stopRequestedAt,
            @Nullable Instant finishedAt,
            Instant attemptCreatedAt,
            @Nullable Instant deadlineWarnedAt,
            @Nullable Stuck stuck,
            @Nullable Heartbeat heartbeat) {

        Run withHeartbeat(Heartbeat heartbeat) {
            return new Run(id, workspace, key, kind, agentId, attempt, status, reason, error, timeouts, cleanup, progress,
                    stopAttempts, createdAt, startedAt, stopRequestedAt, finishedAt, attemptCreatedAt, deadlineWarnedAt,
                    stuck, heartbeat);
        }
    }

    /**
     * What a worker needs to heartbeat the run's current attempt: its token (verifiable by the sweeper and by
     * run-service without a database read; another attempt's token does not verify), the interval to beat at,
     * and the URL to POST beats to over HTTP (with the token as bearer). Only on create, retry and a read of one
     * run, and only when run-service has a heartbeat secret.
     */
    @Serdeable
    public record Heartbeat(int attempt, String token, String interval, String url) {
    }

    /**
     * An active run whose current timeout has passed without it being timed out (yet): {@code reason}
     * is {@code start_timeout} (PENDING), {@code heartbeat_timeout} (RUNNING) or {@code stop_timeout}
     * (TERMINATING); {@code dueAt} is when it passed.
     */
    @Serdeable
    public record Stuck(String reason, Instant dueAt, String detail) {
    }

    /**
     * {@code GET /api/v1/runs/summary}: the caller's workspace at {@code at}. {@code counts} has every
     * status (zeros too); {@code stuck} the active statuses, counted by the same rule as {@link Run#stuck()}.
     */
    @Serdeable
    public record Summary(String workspace, Map<String, Long> counts, long total, Map<String, Long> stuck,
                          long stuckTotal, Instant at) {
    }

    /**
     * {@code GET /api/v1/runs/{id}/timeline}: the run as it is now and what happened to it, oldest first:
     * each audited transition ({@code kind} "audit"; {@code action} created, started, stop_requested,
     * stop_resent, stalled, timed_out, finished, force_terminated, force_stopped, retried), each Kubernetes
     * resource the cleaner handled ({@code kind} "cleanup", with {@code resource}), and the latest
     * progress of the current attempt ({@code kind} "progress").
     */
    @Serdeable
    public record Timeline(Run run, List<TimelineEntry> entries) {
    }

    /** One thing that happened to a run. */
    @Serdeable
    public record TimelineEntry(
            Instant at,
            int attempt,
            String kind,
            String action,
            @Nullable String fromStatus,
            @Nullable String toStatus,
            @Nullable String reason,
            @Nullable String actor,
            @Nullable String detail,
            @Nullable Resource resource) {
    }

    /** A Kubernetes resource the cleaner handled: {@code outcome} DELETED, ALREADY_GONE or FAILED. */
    @Serdeable
    public record Resource(String namespace, String kind, String name, String outcome, String trigger) {
    }

    /** What the sweeper last reported of the run's heartbeats. */
    @Serdeable
    public record Progress(@Nullable Long steps, @Nullable String message, long heartbeats,
                           @Nullable Instant lastHeartbeatAt, @Nullable Instant changedAt) {
    }

    /** One page of runs, newest first; pass {@code nextCursor} back as {@code cursor} for the next. */
    @Serdeable
    public record Page(List<Run> items, @Nullable String nextCursor) {
    }
}
