package dev.vigil.contracts.event;

import java.time.Duration;
import java.time.Instant;

/**
 * "This agent process is alive", sent to {@code vigil.agent-heartbeats}, keyed by agent id. An agent
 * hosts many runs; when it goes silent for the agent grace period its runs time out as
 * {@code agent_lost}.
 *
 * @param instanceId identifies the agent's process incarnation (a new pod gets a new one)
 * @param seq the sender's counter, from 0
 * @param grace how long the agent may be silent before its runs are lost (the sweeper's default if absent)
 */
public record AgentHeartbeat(
        String eventId,
        String agentId,
        @Nullable String instanceId,
        long seq,
        @Nullable Duration grace,
        Instant occurredAt,
        int version) implements VigilEvent {

    public AgentHeartbeat {
        Check.envelope(eventId, occurredAt, version);
        Check.id(agentId, "agentId");
        Check.optionalId(instanceId, "instanceId");
        Check.notNegative(seq, "seq");
        if (grace != null) {
            Check.positive(grace, "grace");
        }
    }

    public static AgentHeartbeat of(String agentId, String instanceId, long seq, Duration grace) {
        return new AgentHeartbeat(Events.newId(), agentId, instanceId, seq, grace, Events.now(), VERSION);
    }

    @Override
    public String partitionKey() {
        return agentId;
    }
}
