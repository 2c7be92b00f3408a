package dev.vigil.contracts.event;

import java.time.Duration;
import java.time.Instant;

/**
 * "This agent process is alive", sent to {@code vigil.agent-heartbeats}, keyed by
 * {@link #agentKey(String, String) workspace/agentId}. An agent hosts many runs; when it goes silent
 * for the agent grace period its runs time out as {@code agent_lost}. An agent belongs to a workspace:
 * the same agent id in two workspaces is two agents, and only runs of its own workspace are its runs.
 *
 * @param workspace the tenant the agent works for (the {@code workspace} of its runs' RunCreated)
 * @param token the workspace's agent credential; required when the sweeper runs with
 *        {@code vigil.heartbeats.require-token}
 * @param instanceId identifies the agent's process incarnation (a new pod gets a new one)
 * @param seq the sender's counter, from 0
 * @param grace how long the agent may be silent before its runs are lost (the sweeper's default if absent)
 */
public record AgentHeartbeat(
        String eventId,
        String workspace,
        String agentId,
        @Nullable String instanceId,
        long seq,
        @Nullable Duration grace,
        @Nullable String token,
        Instant occurredAt,
        int version) implements VigilEvent {

    private static final char KEY_SEPARATOR = '/';

    public AgentHeartbeat {
        Check.envelope(eventId, occurredAt, version);
        Check.id(workspace, "workspace");
        Check.id(agentId, "agentId");
        Check.optionalId(instanceId, "instanceId");
        Check.notNegative(seq, "seq");
        if (grace != null) {
            Check.positive(grace, "grace");
        }
        Check.optionalToken(token, "token");
    }

    public static AgentHeartbeat of(String workspace, String agentId, String instanceId, long seq, Duration grace) {
        return of(workspace, agentId, instanceId, seq, grace, null);
    }

    public static AgentHeartbeat of(String workspace, String agentId, String instanceId, long seq, Duration grace,
                                    String token) {
        return new AgentHeartbeat(Events.newId(), workspace, agentId, instanceId, seq, grace, token, Events.now(),
                VERSION);
    }

    /**
     * An agent's identity across workspaces and its record key: {@code workspace/agentId} (ids never
     * contain {@code /}, so the key is unambiguous).
     */
    public static String agentKey(String workspace, String agentId) {
        return workspace + KEY_SEPARATOR + agentId;
    }

    /** The agent id within its workspace, from an {@link #agentKey(String, String) agent key}. */
    public static String agentIdOf(String agentKey) {
        return agentKey.substring(agentKey.indexOf(KEY_SEPARATOR) + 1);
    }

    @Override
    public String partitionKey() {
        return agentKey(workspace, agentId);
    }
}
