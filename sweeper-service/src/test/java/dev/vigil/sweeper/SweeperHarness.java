package dev.vigil.sweeper;

import dev.vigil.contracts.VigilHeaders;
import dev.vigil.contracts.event.AgentHeartbeat;
import dev.vigil.contracts.event.CleanupTarget;
import dev.vigil.contracts.event.Heartbeat;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunActivity;
import dev.vigil.contracts.event.RunCreated;
import dev.vigil.contracts.event.RunEvent;
import dev.vigil.contracts.event.RunFinished;
import dev.vigil.contracts.event.RunStatus;
import dev.vigil.contracts.event.RunStopRequested;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.event.RunTimeouts;
import dev.vigil.contracts.topic.TopicCatalog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;

/**
 * Drives the production topology in a {@link TopologyTestDriver}. Times are milliseconds of broker
 * time (what {@code LogAppendTime} would stamp). It plays the watermark ticker too: before each
 * record it pipes the ticks (every {@value #TICK_MS} ms) that the ticker would have written since the
 * last one, unless a test declares a {@link #blackout(long)}.
 */
final class SweeperHarness implements AutoCloseable {

    static final TopicCatalog TOPICS = TopicCatalog.withDefaultPrefix();
    static final long TICK_MS = 500;

    final SweeperConfig config;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final SweeperMetrics metrics = new SweeperMetrics(registry);
    final TopologyTestDriver driver;
    private final TestInputTopic<String, Heartbeat> heartbeats;
    private final TestInputTopic<String, AgentHeartbeat> agentHeartbeats;
    private final TestInputTopic<String, RunEvent> runEvents;
    private final List<TestInputTopic<byte[], byte[]>> raw = new ArrayList<>();
    private final TestOutputTopic<String, RunTimedOut> timeouts;
    private final TestOutputTopic<String, RunActivity> activity;
    private final TestOutputTopic<byte[], byte[]> deadLetters;
    private final List<RunTimedOut> timedOut = new ArrayList<>();
    private final List<RunActivity> activities = new ArrayList<>();
    private long lastTick = Long.MIN_VALUE;

    SweeperHarness() {
        this(SweeperConfig.defaults());
    }

    SweeperHarness(SweeperConfig config) {
        this.config = config;
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "sweeper-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        driver = new TopologyTestDriver(SweeperTopology.build(TOPICS, config, metrics, false), props, Instant.EPOCH);
        heartbeats = driver.createInputTopic(TOPICS.heartbeats().name(), new StringSerializer(),
                TOPICS.heartbeats().valueSerde().serializer());
        agentHeartbeats = driver.createInputTopic(TOPICS.agentHeartbeats().name(), new StringSerializer(),
                TOPICS.agentHeartbeats().valueSerde().serializer());
        runEvents = driver.createInputTopic(TOPICS.runEvents().name(), new StringSerializer(),
                TOPICS.runEvents().valueSerde().serializer());
        for (String topic : List.of(TOPICS.heartbeats().name(), TOPICS.runEvents().name(), TOPICS.agentHeartbeats().name())) {
            raw.add(driver.createInputTopic(topic, new ByteArraySerializer(), new ByteArraySerializer()));
        }
        timeouts = driver.createOutputTopic(TOPICS.timeouts().name(), new StringDeserializer(),
                TOPICS.timeouts().valueSerde().deserializer());
        activity = driver.createOutputTopic(TOPICS.runActivity().name(), new StringDeserializer(),
                TOPICS.runActivity().valueSerde().deserializer());
        deadLetters = driver.createOutputTopic(TOPICS.deadLetters().name(), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
    }

    static RunTimeouts timeouts(long heartbeatMs, long startMs, long stopMs, long maxMs) {
        return new RunTimeouts(Duration.ofMillis(heartbeatMs), Duration.ofMillis(startMs), Duration.ofMillis(stopMs),
                Duration.ofMillis(maxMs));
    }

    void created(String runId, int attempt, long at, RunTimeouts timeouts) {
        created(runId, attempt, at, timeouts, null);
    }

    void created(String runId, int attempt, long at, RunTimeouts timeouts, String agentId) {
        tickUpTo(at);
        runEvents.pipeInput(new TestRecord<>(runId, RunCreated.of(runId, attempt, "acme", "key-" + runId, "test",
                agentId, timeouts, CleanupTarget.of("agents", "session", runId)), Instant.ofEpochMilli(at)));
    }

    void heartbeat(String runId, int attempt, long at) {
        heartbeat(runId, attempt, at, null, null);
    }

    void heartbeat(String runId, int attempt, long at, Long steps, String message) {
        tickUpTo(at);
        heartbeats.pipeInput(new TestRecord<>(runId, Heartbeat.of(runId, attempt, null, 0, steps, message),
                Instant.ofEpochMilli(at)));
    }

    /** Heartbeats every {@code everyMs} from {@code from} (inclusive) to {@code to} (exclusive). */
    void heartbeats(String runId, int attempt, long from, long to, long everyMs) {
        for (long at = from; at < to; at += everyMs) {
            heartbeat(runId, attempt, at);
        }
    }

    void agentHeartbeat(String agentId, long at, Duration grace) {
        tickUpTo(at);
        agentHeartbeats.pipeInput(new TestRecord<>(agentId, AgentHeartbeat.of(agentId, "instance-1", 0, grace),
                Instant.ofEpochMilli(at)));
    }

    void stopRequested(String runId, int attempt, int stopAttempt, long at) {
        tickUpTo(at);
        runEvents.pipeInput(new TestRecord<>(runId, RunStopRequested.of(runId, attempt, stopAttempt, "user:test", null),
                Instant.ofEpochMilli(at)));
    }

    void finished(String runId, int attempt, long at) {
        tickUpTo(at);
        runEvents.pipeInput(new TestRecord<>(runId, RunFinished.of(runId, attempt, "acme", "key-" + runId,
                RunStatus.SUCCEEDED, Reason.COMPLETED, null, null), Instant.ofEpochMilli(at)));
    }

    /** Nothing is appended anywhere until {@code until} (the broker is down): no ticks either. */
    void blackout(long until) {
        lastTick = until;
    }

    private void tickUpTo(long at) {
        if (lastTick == Long.MIN_VALUE) {
            lastTick = at;
            return;
        }
        for (long t = lastTick + TICK_MS; t < at; t += TICK_MS) {
            tick(t);
        }
    }

    /** One watermark tick on every input topic at broker time {@code at}, as the ticker writes them. */
    void tick(long at) {
        lastTick = Math.max(lastTick, at);
        for (TestInputTopic<byte[], byte[]> topic : raw) {
            RecordHeaders headers = new RecordHeaders();
            headers.add(VigilHeaders.WATERMARK, new byte[0]);
            topic.pipeInput(new TestRecord<>(null, null, headers, Instant.ofEpochMilli(at)));
        }
    }

    /** Ticks every {@code everyMs} up to and including {@code to}. */
    void ticks(long from, long to, long everyMs) {
        tickUpTo(from);
        for (long at = from; at <= to; at += everyMs) {
            tick(at);
        }
    }


    void rawHeartbeat(byte[] key, byte[] value, long at) {
        raw.get(0).pipeInput(new TestRecord<>(key, value, new RecordHeaders(), Instant.ofEpochMilli(at)));
    }

    void rawRunEvent(byte[] key, byte[] value, long at) {
        raw.get(1).pipeInput(new TestRecord<>(key, value, new RecordHeaders(), Instant.ofEpochMilli(at)));
    }

    void rawAgentHeartbeat(byte[] key, byte[] value, long at) {
        raw.get(2).pipeInput(new TestRecord<>(key, value, new RecordHeaders(), Instant.ofEpochMilli(at)));
    }

    /** Every timeout emitted so far. */
    List<RunTimedOut> timedOut() {
        timeouts.readValuesToList().forEach(timedOut::add);
        return timedOut;
    }

    List<RunTimedOut> timedOut(String runId) {
        return timedOut().stream().filter(t -> t.runId().equals(runId)).toList();
    }

    List<RunActivity> activity() {
        activity.readValuesToList().forEach(activities::add);
        return activities;
    }

    List<TestRecord<byte[], byte[]>> deadLetters() {
        return deadLetters.readRecordsToList();
    }

    /**
     * A new sweeper restored from this one's stores as they would be committed (what a restarted or
     * newly assigned instance restores from the changelog), without anything it kept only in memory;
     * its broker clock continues where this one's ticks stopped. This one is closed.
     */
    @SuppressWarnings("unchecked")
    SweeperHarness restarted() {
        SweeperHarness next = new SweeperHarness(config);
        driver.getAllStateStores().forEach((name, store) -> {
            if (store instanceof KeyValueStore<?, ?> from) {
                KeyValueStore<Object, Object> to = next.driver.getKeyValueStore(name);
                try (KeyValueIterator<?, ?> all = from.all()) {
                    all.forEachRemaining(entry -> to.put(entry.key, entry.value));
                }
            }
        });
        next.lastTick = lastTick;
        close();
        return next;
    }

    private boolean closed;

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            driver.close();
        }
    }
}
