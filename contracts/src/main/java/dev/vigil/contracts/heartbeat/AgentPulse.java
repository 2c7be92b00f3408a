package dev.vigil.contracts.heartbeat;

import dev.vigil.contracts.event.AgentHeartbeat;
import dev.vigil.contracts.event.VigilEvent;
import java.time.Duration;

/** Heartbeats of one agent process (agent mode); close it when the agent shuts down. */
public final class AgentPulse extends Pulse {

    private final String workspace;
    private final String agentId;
    private final String instanceId;
    private final Duration grace;
    private final String credential;

    AgentPulse(HeartbeatClient client, String workspace, String agentId, String instanceId, Duration grace,
               String credential, Duration interval) {
        super(client, interval);
        this.workspace = workspace;
        this.agentId = agentId;
        this.instanceId = instanceId;
        this.grace = grace;
        this.credential = credential;
    }

    public String agentId() {
        return agentId;
    }

    @Override
    VigilEvent beat(long seq) {
        return AgentHeartbeat.of(workspace, agentId, instanceId, seq, grace, credential);
    }
}
