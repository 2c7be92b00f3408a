package dev.vigil.run.api;

import dev.vigil.contracts.event.RunStatus;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import java.time.Duration;
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

    /** Per-run timeouts as ISO-8601 durations ({@code PT30S}); any left out take the deployment's defaults. */
    @Serdeable
    public record Timeouts(
            @Nullable String heartbeat,
            @Nullable String start,
            @Nullable String stop,
            @Nullable String maxDuration) {

        static Timeouts of(Duration heartbeat, Duration start, Duration stop, Duration maxDuration) {
            return new Timeouts(heartbeat.toString(), start.toString(), stop.toString(), maxDuration.toString());
        }
    }

    /**
     * Where the run's Kubernetes resources are. {@code labels} defaults to {@code session=<run id>}
     * (the label key is configurable).
     */
    @Serdeable
    public record Cleanup(String namespace, @Nullable Map<String, String> labels) {
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
            @Nullable Instant finishedAt) {
    }

    /** What the sweeper last reported of the run's heartbeats. */
    @Serdeable
    public record Progress(@Nullable Long steps, @Nullable String message, long heartbeats,
                           @Nullable Instant lastHeartbeatAt) {
    }

    /** One page of runs, newest first; pass {@code nextCursor} back as {@code cursor} for the next. */
    @Serdeable
    public record Page(List<Run> items, @Nullable String nextCursor) {
    }
}
