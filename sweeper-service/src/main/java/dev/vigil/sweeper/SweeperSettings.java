package dev.vigil.sweeper;

import dev.vigil.contracts.ConfigLookup;
import dev.vigil.contracts.heartbeat.HeartbeatTokens;
import java.time.Duration;

/**
 * The sweeper service's configuration, {@code vigil.sweeper.*} and {@code vigil.heartbeats.*} (env
 * {@code VIGIL_SWEEPER_*}, {@code VIGIL_HEARTBEATS_*}), read once at start by {@link #from}; every default
 * is written there or, for the detection tunables, in {@link SweeperConfig#defaults()}.
 *
 * @param applicationId the Kafka Streams application id (consumer group, internal topic prefix)
 * @param stateDir where the local state stores live
 * @param streamThreads stream threads per instance
 * @param standbyReplicas warm copies of each task's state on other instances, so a task that moves (an instance
 *        dies, leaves or joins) resumes from a caught-up copy instead of restoring its changelog first
 * @param commitInterval how often a task commits (exactly-once: how long its output waits to be visible)
 * @param stateDirLockWait how long to wait at start for a state directory another process still holds
 * @param requireToken heartbeats without their attempt's token are dead-lettered (needs {@code heartbeatSecret})
 * @param heartbeatSecret the secret run-service signs heartbeat tokens with; may be null when tokens are not required
 * @param detection the detection tunables (ticks, blackouts, intervals, retentions)
 */
public record SweeperSettings(String applicationId, String stateDir, int streamThreads, int standbyReplicas,
                              Duration commitInterval, Duration stateDirLockWait, boolean requireToken,
                              String heartbeatSecret, SweeperConfig detection) {

    public static SweeperSettings from(ConfigLookup config) {
        SweeperConfig defaults = SweeperConfig.defaults();
        return new SweeperSettings(
                config.text("vigil.sweeper.application-id", "vigil-sweeper"),
                config.text("vigil.sweeper.state-dir", System.getProperty("java.io.tmpdir") + "/vigil-sweeper"),
                config.integer("vigil.sweeper.stream-threads", 1),
                config.integer("vigil.sweeper.standby-replicas", 1),
                config.duration("vigil.sweeper.commit-interval", Duration.ofMillis(50)),
                config.duration("vigil.sweeper.state-dir-lock-wait", Duration.ofSeconds(60)),
                config.flag("vigil.heartbeats.require-token", false),
                config.secret("vigil.heartbeats.secret"),
                new SweeperConfig(
                        config.duration("vigil.sweeper.tick-interval", defaults.tickInterval()),
                        config.duration("vigil.sweeper.punctuate-interval", defaults.punctuateInterval()),
                        config.duration("vigil.sweeper.blackout-threshold", defaults.blackoutThreshold()),
                        config.duration("vigil.sweeper.progress-interval", defaults.progressInterval()),
                        config.duration("vigil.sweeper.liveness-interval", defaults.livenessInterval()),
                        config.duration("vigil.sweeper.finished-retention", defaults.finishedRetention()),
                        config.duration("vigil.sweeper.unknown-retention", defaults.unknownRetention()),
                        config.duration("vigil.sweeper.agent-grace", defaults.defaultAgentGrace()),
                        config.duration("vigil.sweeper.agent-retention", defaults.agentRetention()),
                        defaults.maxDuePerPunctuation(), null));
    }

    /**
     * The detection configuration, requiring heartbeat tokens if configured to; without the secret a sweeper
     * told to require them refuses to start ({@link HeartbeatTokens} says why).
     */
    public SweeperConfig sweeperConfig() {
        return requireToken ? detection.requiringTokens(new HeartbeatTokens(heartbeatSecret)) : detection;
    }
}
