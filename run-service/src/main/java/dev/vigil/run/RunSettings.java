package dev.vigil.run;

import dev.vigil.contracts.ConfigLookup;
import dev.vigil.contracts.event.StallAction;
import java.time.Duration;

/**
 * run-service's configuration, read once at start by {@link #from}, where every default is written:
 * {@code vigil.runs.*} (env {@code VIGIL_RUNS_*}), {@code vigil.heartbeats.secret} and {@code vigil.security.*}.
 *
 * @param defaultHeartbeatTimeout a run's heartbeat timeout when its create request does not give one
 * @param defaultStartTimeout its start timeout (create to first heartbeat)
 * @param defaultStopTimeout its stop timeout (stop requested to finished)
 * @param defaultMaxDuration its longest life
 * @param minTimeout the shortest timeout a request may ask for
 * @param maxTimeout the longest heartbeat, start or stop timeout a request may ask for
 * @param maxMaxDuration the longest life a request may ask for (the cleaner's {@code max-run-duration})
 * @param maxStopAttempts stops sent to a live agent that does not act on them before the run is forced
 * @param runLabelKey the label naming a run on its Kubernetes resources, unless the request names another
 * @param heartbeatSecret signs the per-attempt heartbeat tokens and agent credentials (the sweeper verifies them
 *        with the same secret); null: none are issued
 * @param heartbeatBaseUrl run-service's address as workers reach it, for the heartbeat URL a run's view carries
 *        ({@code vigil.heartbeats.public-url}, e.g. {@code https://vigil.example.com}); null: the address the caller
 *        used (its {@code Host}), which a proxy that rewrites it or terminates TLS makes wrong
 * @param security how bearer tokens are checked
 * @param defaultProgressTimeout a run's progress timeout when its create request does not give one; null: a run's
 *        progress is watched only when its request asks
 * @param defaultOnStall what a stalled progress does when the request does not say ({@code fail} unless set)
 * @param defaultWarnAt the share of its max duration at which a run is warned of its deadline when its create request
 *        does not say; null: only runs that ask are warned
 */
public record RunSettings(Duration defaultHeartbeatTimeout, Duration defaultStartTimeout, Duration defaultStopTimeout,
                          Duration defaultMaxDuration, Duration minTimeout, Duration maxTimeout, Duration maxMaxDuration,
                          int maxStopAttempts, String runLabelKey, String heartbeatSecret, String heartbeatBaseUrl,
                          Security security, Duration defaultProgressTimeout, StallAction defaultOnStall,
                          Double defaultWarnAt) {

    /** Each default within the bounds a request's own value must keep: a wrong one stops run-service at start. */
    public RunSettings {
        within("vigil.runs.default-heartbeat-timeout", defaultHeartbeatTimeout, minTimeout, maxTimeout);
        within("vigil.runs.default-start-timeout", defaultStartTimeout, minTimeout, maxTimeout);
        within("vigil.runs.default-stop-timeout", defaultStopTimeout, minTimeout, maxTimeout);
        within("vigil.runs.default-max-duration", defaultMaxDuration, minTimeout, maxMaxDuration);
        if (defaultProgressTimeout != null) {
            within("vigil.runs.default-progress-timeout", defaultProgressTimeout, minTimeout, maxMaxDuration);
        }
        if (defaultWarnAt != null && !(defaultWarnAt > 0 && defaultWarnAt < 1)) {
            throw new IllegalArgumentException("vigil.runs.default-warn-at must be above 0 and below 1, was "
                    + defaultWarnAt);
        }
    }

    private static void within(String key, Duration value, Duration min, Duration max) {
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException(key + " must be between " + min + " and " + max + ", was " + value);
        }
    }

    /**
     * The HS256 key bearer tokens are signed with (env {@code VIGIL_JWT_SECRET}), and the issuer and audience they must
     * name; each null when unset or blank.
     */
    public record Security(String jwtSecret, String issuer, String audience) {
    }

    public static RunSettings from(ConfigLookup config) {
        return new RunSettings(
                config.duration("vigil.runs.default-heartbeat-timeout", Duration.ofSeconds(30)),
                config.duration("vigil.runs.default-start-timeout", Duration.ofMinutes(2)),
                config.duration("vigil.runs.default-stop-timeout", Duration.ofSeconds(45)),
                config.duration("vigil.runs.default-max-duration", Duration.ofHours(6)),
                config.duration("vigil.runs.min-timeout", Duration.ofSeconds(1)),
                config.duration("vigil.runs.max-timeout", Duration.ofDays(1)),
                config.duration("vigil.runs.max-max-duration", Duration.ofDays(30)),
                config.integer("vigil.runs.max-stop-attempts", 3),
                config.text("vigil.runs.run-label-key", "session"),
                config.secret("vigil.heartbeats.secret"),
                config.get("vigil.heartbeats.public-url", String.class).map(url -> url.trim().replaceAll("/+$", ""))
                        .filter(url -> !url.isEmpty()).orElse(null),
                new Security(config.secret("vigil.security.jwt-secret"), config.text("vigil.security.issuer", null),
                        config.text("vigil.security.audience", null)),
                config.duration("vigil.runs.default-progress-timeout", null),
                onStall(config.text("vigil.runs.default-on-stall", StallAction.FAIL.code())),
                config.strictly("vigil.runs.default-warn-at", Double.class).orElse(null));
    }

    private static StallAction onStall(String code) {
        try {
            return StallAction.fromCode(code);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("vigil.runs.default-on-stall: " + e.getMessage(), e);
        }
    }
}
