package dev.vigil.sweeper;

import dev.vigil.contracts.heartbeat.HeartbeatTokens;
import dev.vigil.contracts.event.ProgressReported;
import java.time.Duration;

/**
 * The sweeper's tuning, all durations on the broker's clock.
 *
 * @param tickInterval how often each instance writes a watermark tick to every input partition
 * @param punctuateInterval how often (in stream time) due deadlines are scanned
 * @param blackoutThreshold a jump in broker time between consecutive input records longer than this
 *        means nothing could be appended (broker down): silence inside it is not held against runs
 * @param progressInterval a heartbeat whose progress (steps or message) differs from the last reported one is
 *        summarized at most once per this interval (a change inside it goes out with the first heartbeat after it)
 * @param livenessInterval while a run's progress does not change, its summary is re-sent at most once per this
 *        interval, as run-service's sign of life for the run (one database write per run per interval instead of
 *        one per heartbeat); at most {@link ProgressReported#MAX_LIVENESS_SECONDS}, which run-service's stuck rule counts on
 * @param finishedRetention how long a finished run attempt is remembered, to ignore its late heartbeats
 * @param unknownRetention how long heartbeats of a run never created are remembered (its RunCreated may be late)
 * @param defaultAgentGrace an agent's grace period when its heartbeats do not say
 * @param agentRetention how long a lost agent is remembered
 * @param maxDuePerPunctuation the most deadlines handled in one punctuation (the rest come next time)
 * @param requiredTokens when set, heartbeats must carry their attempt's token and agent heartbeats their
 *        workspace's credential ({@code vigil.heartbeats.require-token}); others are dead-lettered
 */
public record SweeperConfig(
        Duration tickInterval,
        Duration punctuateInterval,
        Duration blackoutThreshold,
        Duration progressInterval,
        Duration livenessInterval,
        Duration finishedRetention,
        Duration unknownRetention,
        Duration defaultAgentGrace,
        Duration agentRetention,
        int maxDuePerPunctuation,
        HeartbeatTokens requiredTokens) {

    public SweeperConfig {
        if (livenessInterval.compareTo(Duration.ofSeconds(ProgressReported.MAX_LIVENESS_SECONDS)) > 0) {
            throw new IllegalArgumentException("vigil.sweeper.liveness-interval is " + livenessInterval
                    + ": at most " + ProgressReported.MAX_LIVENESS_SECONDS + " s, or run-service would show live runs as stuck");
        }
    }

    public static SweeperConfig defaults() {
        return new SweeperConfig(Duration.ofMillis(50), Duration.ofMillis(10), Duration.ofSeconds(2),
                Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofHours(1), Duration.ofHours(1),
                Duration.ofSeconds(30), Duration.ofDays(1), 10_000, null);
    }

    /** The same, requiring heartbeat tokens checked with {@code tokens} (none if null). */
    public SweeperConfig requiringTokens(HeartbeatTokens tokens) {
        return new SweeperConfig(tickInterval, punctuateInterval, blackoutThreshold, progressInterval,
                livenessInterval, finishedRetention, unknownRetention, defaultAgentGrace, agentRetention,
                maxDuePerPunctuation, tokens);
    }
}
