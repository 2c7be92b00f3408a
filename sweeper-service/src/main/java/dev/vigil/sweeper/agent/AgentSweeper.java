package dev.vigil.sweeper.agent;

import dev.vigil.contracts.event.AgentHeartbeat;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.heartbeat.HeartbeatTokens;
import dev.vigil.contracts.serde.EventJson;
import dev.vigil.contracts.serde.InvalidEventException;
import dev.vigil.sweeper.SweeperConfig;
import dev.vigil.sweeper.SweeperMetrics;
import dev.vigil.sweeper.stream.Emitted;
import dev.vigil.sweeper.stream.SweepingProcessor;
import dev.vigil.sweeper.time.DeadlineQueue;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tracks agents (processes hosting many runs) from their heartbeats, and the runs linked to each
 * (from the run sweeper, re-keyed by agent). An agent is keyed by {@code workspace/agentId}
 * ({@link AgentHeartbeat#agentKey}): the same agent id in another workspace is another agent. When an agent is silent for its grace period on the
 * broker's clock, every run still linked to it times out as {@code agent_lost} — once: the links are
 * dropped as the timeouts go out. A run created for an agent after it was lost is left to its own
 * start and heartbeat timeouts.
 */
public final class AgentSweeper extends SweepingProcessor {

    public static final String AGENTS = "agents";
    public static final String AGENT_RUNS = "agent-runs";
    public static final String DEADLINES = "agent-deadlines";
    public static final String CLOCK = "agent-clock";
    /** Header marking a run-to-agent link record (as opposed to an agent heartbeat). */
    public static final String LINK_HEADER = "vigil-agent-link";

    private static final Logger LOG = LoggerFactory.getLogger(AgentSweeper.class);
    private static final char SEPARATOR = '\u0000';
    private static final long NONE = Long.MIN_VALUE;

    private final SweeperConfig config;
    private KeyValueStore<String, byte[]> agents;
    private KeyValueStore<String, byte[]> agentRuns;

    /**
     * The watermark is the agent heartbeats' partition alone: the links are data, re-keyed from other tasks
     * with their own times, and an agent's liveness depends only on its own beats being processed.
     */
    public AgentSweeper(String agentHeartbeatsTopic, SweeperConfig config, SweeperMetrics metrics) {
        super(CLOCK, DEADLINES, List.of(agentHeartbeatsTopic), config.punctuateInterval(), config.blackoutThreshold(),
                config.maxDuePerPunctuation(), metrics);
        this.config = config;
    }

    @Override
    public void init(ProcessorContext<String, Emitted> context) {
        super.init(context);
        agents = context.getStateStore(AGENTS);
        agentRuns = context.getStateStore(AGENT_RUNS);
    }

    @Override
    protected void handle(Record<byte[], byte[]> record, String topic) {
        String agentKey = key(record);
        if (record.headers().lastHeader(LINK_HEADER) != null) {
            Emitted.AgentLink link = Emitted.AgentLink.decode(record.value());
            String key = agentKey + SEPARATOR + link.runId();
            if (link.linked()) {
                agentRuns.put(key, ByteBuffer.allocate(4).putInt(link.attempt()).array());
            } else {
                agentRuns.delete(key);
            }
            return;
        }
        AgentHeartbeat heartbeat = EventJson.read(record.value(), AgentHeartbeat.class);
        requireKey(record, heartbeat.partitionKey());
        HeartbeatTokens tokens = config.requiredTokens();
        if (tokens != null && !tokens.verifiesAgent(heartbeat.token(), heartbeat.workspace())) {
            throw new InvalidEventException("agent credential " + (heartbeat.token() == null ? "missing" : "not valid")
                    + " for workspace " + heartbeat.workspace());
        }
        long at = record.timestamp();
        Agent agent = load(agentKey);
        if (agent == null) {
            agent = new Agent();
        }
        if (agent.lost) {
            LOG.info("agent {} is back (instance {}) after being declared lost", agentKey, heartbeat.instanceId());
        }
        agent.lost = false;
        agent.lastSeen = at;
        agent.grace = heartbeat.grace() != null ? heartbeat.grace().toMillis() : config.defaultAgentGrace().toMillis();
        long due = clock.dueAt(at, agent.grace, at);
        if (agent.scheduledAt == NONE || due < agent.scheduledAt) {
            if (agent.scheduledAt != NONE) {
                deadlines.remove(agent.scheduledAt, agentKey);
            }
            agent.scheduledAt = due;
            deadlines.add(due, agentKey);
        }
        save(agentKey, agent);
    }

    @Override
    protected void onDue(DeadlineQueue.Due due, long now) {
        String agentKey = due.id();
        Agent agent = load(agentKey);
        if (agent == null || agent.scheduledAt != due.at()) {
            return;
        }
        long next;
        if (agent.lost) {
            next = agent.lastSeen + config.agentRetention().toMillis();
            if (now >= next) {
                agents.delete(agentKey);
                return;
            }
        } else {
            long lostAt = clock.dueAt(agent.lastSeen, agent.grace, now);
            if (lostAt <= now) {
                lose(agentKey, agent, lostAt, now);
                next = agent.lastSeen + config.agentRetention().toMillis();
            } else {
                next = lostAt;
            }
        }
        agent.scheduledAt = next;
        deadlines.add(next, agentKey);
        save(agentKey, agent);
    }

    private void lose(String agentKey, Agent agent, long lostAt, long now) {
        agent.lost = true;
        String agentId = AgentHeartbeat.agentIdOf(agentKey);
        List<String> linked = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> runs = agentRuns.prefixScan(agentKey + SEPARATOR, new StringSerializer())) {
            while (runs.hasNext()) {
                KeyValue<String, byte[]> link = runs.next();
                linked.add(link.key);
                String runId = link.key.substring(agentKey.length() + 1);
                int attempt = ByteBuffer.wrap(link.value).getInt();
                RunTimedOut timeout = RunTimedOut.of(runId, attempt, Reason.AGENT_LOST, Instant.ofEpochMilli(lostAt),
                        null, agentId, false, null);
                emit(runId, new Emitted.Timeout(timeout), now);
                metrics.timeout(Reason.AGENT_LOST, System.currentTimeMillis() - lostAt);
            }
        }
        linked.forEach(agentRuns::delete);
        LOG.info("agent {} lost: silent since {} (grace {} ms); {} run(s) timed out as agent_lost",
                agentKey, Instant.ofEpochMilli(agent.lastSeen), agent.grace, linked.size());
    }

    private Agent load(String agentKey) {
        byte[] bytes = agents.get(agentKey);
        return bytes == null ? null : Agent.decode(bytes);
    }

    private void save(String agentKey, Agent agent) {
        agents.put(agentKey, agent.encode());
    }

    /** One agent's liveness. */
    static final class Agent {
        long lastSeen = NONE;
        long grace;
        boolean lost;
        long scheduledAt = NONE;

        byte[] encode() {
            return ByteBuffer.allocate(25).putLong(lastSeen).putLong(grace).put((byte) (lost ? 1 : 0))
                    .putLong(scheduledAt).array();
        }

        static Agent decode(byte[] bytes) {
            ByteBuffer in = ByteBuffer.wrap(bytes);
            Agent agent = new Agent();
            agent.lastSeen = in.getLong();
            agent.grace = in.getLong();
            agent.lost = in.get() == 1;
            agent.scheduledAt = in.getLong();
            return agent;
        }
    }

}
