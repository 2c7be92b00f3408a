package dev.vigil.contracts.topic;

import dev.vigil.contracts.event.AgentHeartbeat;
import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.event.Heartbeat;
import dev.vigil.contracts.event.RunActivity;
import dev.vigil.contracts.event.RunCommand;
import dev.vigil.contracts.event.RunEvent;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.serde.JsonSerde;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Every topic Vigil uses, in one place: names (under a configurable prefix, so two deployments can
 * share a cluster), partition counts, configs and serdes. Keys are strings: the run id, or the agent
 * id on {@code agent-heartbeats}. The topics the sweeper reads use {@code LogAppendTime} so gaps and
 * deadlines are measured on the broker's clock, not the senders'.
 */
public final class TopicCatalog {

    /** The default prefix: topics are named {@code vigil.heartbeats}, {@code vigil.run-events}, ... */
    public static final String DEFAULT_PREFIX = "vigil.";

    /** Partitions of the per-run topics; they must match, since the sweeper joins them by run id. */
    public static final int RUN_PARTITIONS = 12;

    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9._-]{0,200}");
    private static final String LOG_APPEND_TIME = "LogAppendTime";

    private final String prefix;
    private final Topic<String, Heartbeat> heartbeats;
    private final Topic<String, AgentHeartbeat> agentHeartbeats;
    private final Topic<String, RunEvent> runEvents;
    private final Topic<String, RunActivity> runActivity;
    private final Topic<String, RunTimedOut> timeouts;
    private final Topic<String, RunCommand> commands;
    private final Topic<String, CleanupPerformed> cleanups;
    private final Topic<String, byte[]> cleanerRunState;
    private final Topic<byte[], byte[]> deadLetters;

    public TopicCatalog(String prefix) {
        if (prefix == null || !PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("topic prefix must be letters, digits, '.', '_' or '-', was '" + prefix + "'");
        }
        this.prefix = prefix;
        Serde<String> key = Serdes.String();
        heartbeats = new Topic<>(prefix + "heartbeats", RUN_PARTITIONS,
                configs(LOG_APPEND_TIME, Duration.ofDays(1)), key, JsonSerde.of(Heartbeat.class));
        agentHeartbeats = new Topic<>(prefix + "agent-heartbeats", RUN_PARTITIONS,
                configs(LOG_APPEND_TIME, Duration.ofDays(1)), key, JsonSerde.of(AgentHeartbeat.class));
        runEvents = new Topic<>(prefix + "run-events", RUN_PARTITIONS,
                configs(LOG_APPEND_TIME, Duration.ofDays(7)), key, JsonSerde.of(RunEvent.class));
        runActivity = new Topic<>(prefix + "run-activity", RUN_PARTITIONS,
                configs(null, Duration.ofDays(1)), key, JsonSerde.of(RunActivity.class));
        timeouts = new Topic<>(prefix + "timeouts", RUN_PARTITIONS,
                configs(null, Duration.ofDays(7)), key, JsonSerde.of(RunTimedOut.class));
        commands = new Topic<>(prefix + "commands", 6,
                configs(null, Duration.ofDays(1)), key, JsonSerde.of(RunCommand.class));
        cleanups = new Topic<>(prefix + "cleanups", 6,
                configs(null, Duration.ofDays(30)), key, JsonSerde.of(CleanupPerformed.class));
        cleanerRunState = new Topic<>(prefix + "cleaner-run-state", 6,
                Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "60000"), key, Serdes.ByteArray());
        deadLetters = new Topic<>(prefix + "dead-letters", 3,
                configs(null, Duration.ofDays(30)), Serdes.ByteArray(), Serdes.ByteArray());
    }

    /** The catalogue under the default prefix {@value #DEFAULT_PREFIX}. */
    public static TopicCatalog withDefaultPrefix() {
        return new TopicCatalog(DEFAULT_PREFIX);
    }

    public String prefix() {
        return prefix;
    }

    /** Run heartbeats from workers, keyed by run id. Read by the sweeper. */
    public Topic<String, Heartbeat> heartbeats() {
        return heartbeats;
    }

    /** Agent heartbeats, keyed by agent id. Read by the sweeper. */
    public Topic<String, AgentHeartbeat> agentHeartbeats() {
        return agentHeartbeats;
    }

    /** Run lifecycle events from run-service's outbox, keyed by run id. Read by the sweeper and the cleaner. */
    public Topic<String, RunEvent> runEvents() {
        return runEvents;
    }

    /** First heartbeats and progress summaries from the sweeper, keyed by run id. Read by run-service. */
    public Topic<String, RunActivity> runActivity() {
        return runActivity;
    }

    /** Timeouts detected by the sweeper, keyed by run id. Read by run-service. */
    public Topic<String, RunTimedOut> timeouts() {
        return timeouts;
    }

    /** Commands to agents (stop), keyed by run id. Read by agents. */
    public Topic<String, RunCommand> commands() {
        return commands;
    }

    /** What the cleaner did, one record per resource, keyed by run id. */
    public Topic<String, CleanupPerformed> cleanups() {
        return cleanups;
    }

    /**
     * The cleaner's own changelog of what it knows about each run (newest attempt, live or terminal,
     * workspace, cleanup target), keyed by run id, compacted: the latest state of every run it has not
     * forgotten stays, however old, so a restarted cleaner knows a run that is still live after
     * {@code run-events} retention dropped its {@code RunCreated}. Values are JSON written and read
     * only by k8s-cleaner-service; a tombstone means the cleaner forgot the run.
     */
    public Topic<String, byte[]> cleanerRunState() {
        return cleanerRunState;
    }

    /** Records any consumer rejected, byte for byte, with the reason in headers. */
    public Topic<byte[], byte[]> deadLetters() {
        return deadLetters;
    }

    /** Every topic, in the order above. */
    public List<Topic<?, ?>> all() {
        return List.of(heartbeats, agentHeartbeats, runEvents, runActivity, timeouts, commands, cleanups, cleanerRunState,
                deadLetters);
    }

    private static Map<String, String> configs(String timestampType, Duration retention) {
        String retentionMs = Long.toString(retention.toMillis());
        return timestampType == null
                ? Map.of("retention.ms", retentionMs)
                : Map.of("retention.ms", retentionMs, "message.timestamp.type", timestampType);
    }
}
