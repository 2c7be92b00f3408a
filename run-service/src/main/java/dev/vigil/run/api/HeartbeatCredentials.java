package dev.vigil.run.api;

import dev.vigil.contracts.heartbeat.HeartbeatTokens;
import dev.vigil.run.RunSettings;
import dev.vigil.run.store.RunRow;
import jakarta.inject.Singleton;
import java.time.Duration;

/**
 * Issues heartbeat credentials ({@link HeartbeatTokens}) from {@code vigil.heartbeats.secret}, the
 * secret the sweeper verifies them with. Without a secret none are issued (workers then beat without
 * tokens, which only a sweeper with {@code require-token} off accepts).
 */
@Singleton
public class HeartbeatCredentials {

    private final HeartbeatTokens tokens;

    private final String publicUrl;

    public HeartbeatCredentials(RunSettings settings) {
        this.publicUrl = settings.heartbeatBaseUrl();
        this.tokens = settings.heartbeatSecret() == null ? null : new HeartbeatTokens(settings.heartbeatSecret());
    }

    /**
     * The run view with what its current attempt's worker needs to heartbeat, when tokens are issued.
     *
     * @param baseUrl run-service's address as the caller reached it (scheme, host, port); {@code
     *        vigil.heartbeats.public-url} wins when set
     */
    RunViews.Run withHeartbeat(RunRow run, String baseUrl) {
        RunViews.Run view = RunMapper.view(run);
        if (tokens == null) {
            return view;
        }
        Duration interval = Duration.ofMillis(Math.max(1, run.heartbeatTimeoutMs() / 3));
        return view.withHeartbeat(new RunViews.Heartbeat(run.attempt(),
                tokens.forRun(run.workspace(), run.id().toString(), run.attempt()), interval.toString(),
                (publicUrl != null ? publicUrl : baseUrl) + "/api/v1/runs/" + run.id() + "/heartbeats"));
    }

    /** The workspace's agent credential. */
    String forAgents(String workspace) {
        if (tokens == null) {
            throw ApiError.notFound("no agent credentials are issued: run-service has no vigil.heartbeats.secret");
        }
        return tokens.forAgent(workspace);
    }
}
