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
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;

/**
 * Drives the production topology in a {@link TopologyTestDriver} (long on purpose: every sweeper test, and
 * the interleaved rerun of them, speaks to the topology through it alone). Times are milliseconds of broker
 * time (what {@code LogAppendTime} would stamp). It plays the watermark ticker too: before each
 * record it pipes the ticks (every {@value #TICK_MS} ms) that the ticker would have written since the
 * last one, unless a test declares a {@link #blackout(long)}.
 *
 * <p>Records reach the task in the order piped, unless the harness reorders partitions the way a real
 * consumer may: {@link #interleaved(long)} delivers the input topics in a random (seeded) interleaving
 * that keeps each topic's own order, and {@link #hold(String)} keeps one topic's records back until
 * {@link #release(String)}. Outputs, metrics and stores are read only after everything piped is in.
 * Longer than most files: it is the one driver every topology test (ordered and interleaved) shares.
 */
final class SweeperHarness implements AutoCloseable {

    static final TopicCatalog TOPICS = TopicCatalog.withDefaultPrefix();
    static final long TICK_MS = 500;

    final SweeperConfig config;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final SweeperMetrics metrics = new SweeperMetrics(registry);
    final TopologyTestDriver driver;
    private final List<TestInputTopic<byte[], byte[]>> raw = new ArrayList<>();
    private final List<String> inputNames = List.of(TOPICS.heartbeats().name(), TOPICS.runEvents().name(),
            TOPICS.agentHeartbeats().name());
    private final List<ArrayDeque<TestRecord<byte[], byte[]>>> queued = List.of(new ArrayDeque<>(), new ArrayDeque<>(),
            new ArrayDeque<>());
    private final boolean[] held = new boolean[3];
    private Random interleave;
    private Long seed;
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
        for (String topic : inputNames) {
            raw.add(driver.createInputTopic(topic, new ByteArraySerializer(), new ByteArraySerializer()));
        }
        timeouts = driver.createOutputTopic(TOPICS.timeouts().name(), new StringDeserializer(),
                TOPICS.timeouts().valueSerde().deserializer());
        activity = driver.createOutputTopic(TOPICS.runActivity().name(), new StringDeserializer(),
                TOPICS.runActivity().valueSerde().deserializer());
        deadLetters = driver.createOutputTopic(TOPICS.deadLetters().name(), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
    }

    /** Delivers the input topics in a random interleaving from now on (each topic in its own order). */
    SweeperHarness interleaved(long seed) {
        this.seed = seed;
        this.interleave = new Random(seed);
        return this;
    }

    /** The interleaving's seed, or null if records are delivered as piped. */
    Long seed() {
        return seed;
    }

    /** Keeps {@code topic}'s records back (as if its partition lagged) until {@link #release}. */
    void hold(String topic) {
        held[inputNames.indexOf(topic)] = true;
    }

    /** Delivers what was held back of {@code topic}, and from now on its records as they come. */
    void release(String topic) {
        held[inputNames.indexOf(topic)] = false;
        deliver();
    }

    private void pipe(int topic, TestRecord<byte[], byte[]> record) {
        queued.get(topic).add(record);
        if (interleave == null) {
            deliver();
        }
    }

    /** Delivers everything queued that is not held back, in order per topic, interleaved when asked to. */
    private void deliver() {
        List<Integer> ready = new ArrayList<>(3);
        while (true) {
            ready.clear();
            for (int i = 0; i < queued.size(); i++) {
                if (!held[i] && !queued.get(i).isEmpty()) {
                    ready.add(i);
                }
            }
            if (ready.isEmpty()) {
                return;
            }
            int topic = interleave == null ? ready.get(0) : ready.get(interleave.nextInt(ready.size()));
            raw.get(topic).pipeInput(queued.get(topic).poll());
        }
    }

    private static byte[] bytes(String key) {
        return key == null ? null : key.getBytes(StandardCharsets.UTF_8);
    }

    static RunTimeouts timeouts(long heartbeatMs, long startMs, long stopMs, long maxMs) {
        return new RunTimeouts(Duration.ofMillis(heartbeatMs), Duration.ofMillis(startMs), Duration.ofMillis(stopMs),
                Duration.ofMillis(maxMs));
    }

    void created(String runId, int attempt, long at, RunTimeouts timeouts) {
        created(runId, attempt, at, timeouts, null);
    }

    void created(String runId, int attempt, long at, RunTimeouts timeouts, String agentId) {
        created("acme", runId, attempt, at, timeouts, agentId);
    }

    void created(String workspace, String runId, int attempt, long at, RunTimeouts timeouts, String agentId) {
        tickUpTo(at);
        runEvent(RunCreated.of(runId, attempt, workspace, "key-" + runId, "test",
                agentId, timeouts, CleanupTarget.of("agents", "session", runId)), at);
    }

    void heartbeat(String runId, int attempt, long at) {
        heartbeat(runId, attempt, at, null, null);
    }

    void heartbeat(String runId, int attempt, long at, Long steps, String message) {
        heartbeat(Heartbeat.of(runId, attempt, null, 0, steps, message), at);
    }

    /** A heartbeat carrying {@code token}. */
    void heartbeat(String runId, int attempt, long at, String token) {
        heartbeat(Heartbeat.of(runId, attempt, null, 0, null, null, token), at);
    }

    private void heartbeat(Heartbeat beat, long at) {
        tickUpTo(at);
        pipe(0, new TestRecord<>(bytes(beat.runId()), TOPICS.heartbeats().valueSerde().serializer().serialize("",
                beat), new RecordHeaders(), Instant.ofEpochMilli(at)));
    }

    /** Heartbeats every {@code everyMs} from {@code from} (inclusive) to {@code to} (exclusive). */
    void heartbeats(String runId, int attempt, long from, long to, long everyMs) {
        for (long at = from; at < to; at += everyMs) {
            heartbeat(runId, attempt, at);
        }
    }

    void agentHeartbeat(String agentId, long at, Duration grace) {
        agentHeartbeat("acme", agentId, at, grace);
    }

    void agentHeartbeat(String workspace, String agentId, long at, Duration grace) {
        agentHeartbeat(workspace, agentId, at, grace, null);
    }

    void agentHeartbeat(String workspace, String agentId, long at, Duration grace, String credential) {
        tickUpTo(at);
        AgentHeartbeat beat = AgentHeartbeat.of(workspace, agentId, "instance-1", 0, grace, credential);
        pipe(2, new TestRecord<>(bytes(beat.partitionKey()), TOPICS.agentHeartbeats().valueSerde().serializer()
                .serialize("", beat), new RecordHeaders(), Instant.ofEpochMilli(at)));
    }

    void stopRequested(String runId, int attempt, int stopAttempt, long at) {
        tickUpTo(at);
        runEvent(RunStopRequested.of(runId, attempt, stopAttempt, "user:test", null), at);
    }

    void finished(String runId, int attempt, long at) {
        tickUpTo(at);
        runEvent(RunFinished.of(runId, attempt, "acme", "key-" + runId, RunStatus.SUCCEEDED, Reason.COMPLETED, null,
                null), at);
    }

    private void runEvent(RunEvent event, long at) {
        pipe(1, new TestRecord<>(bytes(event.runId()), TOPICS.runEvents().valueSerde().serializer().serialize("", event),
                new RecordHeaders(), Instant.ofEpochMilli(at)));
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
        for (int topic = 0; topic < raw.size(); topic++) {
            tick(topic, at);
        }
    }

    /** One watermark tick on {@code topic} alone. */
    void tick(String topic, long at) {
        tick(inputNames.indexOf(topic), at);
    }

    private void tick(int topic, long at) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(VigilHeaders.WATERMARK, new byte[0]);
        pipe(topic, new TestRecord<>(null, null, headers, Instant.ofEpochMilli(at)));
    }

    /** Ticks every {@code everyMs} up to and including {@code to}. */
    void ticks(long from, long to, long everyMs) {
        tickUpTo(from);
        for (long at = from; at <= to; at += everyMs) {
            tick(at);
        }
    }


    void rawHeartbeat(byte[] key, byte[] value, long at) {
        pipe(0, new TestRecord<>(key, value, new RecordHeaders(), Instant.ofEpochMilli(at)));
    }

    void rawRunEvent(byte[] key, byte[] value, long at) {
        pipe(1, new TestRecord<>(key, value, new RecordHeaders(), Instant.ofEpochMilli(at)));
    }

    void rawAgentHeartbeat(byte[] key, byte[] value, long at) {
        pipe(2, new TestRecord<>(key, value, new RecordHeaders(), Instant.ofEpochMilli(at)));
    }

    /** Delivers everything piped that is not held back; every read below does it first. */
    SweeperHarness flush() {
        deliver();
        return this;
    }

    SweeperMetrics metrics() {
        flush();
        return metrics;
    }

    double counter(String name) {
        flush();
        return registry.get(name).counter().count();
    }

    KeyValueStore<Object, Object> store(String name) {
        flush();
        return driver.getKeyValueStore(name);
    }

    /** Every timeout emitted so far. */
    List<RunTimedOut> timedOut() {
        flush();
        timeouts.readValuesToList().forEach(timedOut::add);
        return timedOut;
    }

    List<RunTimedOut> timedOut(String runId) {
        return timedOut().stream().filter(t -> t.runId().equals(runId)).toList();
    }

    List<RunActivity> activity() {
        flush();
        activity.readValuesToList().forEach(activities::add);
        return activities;
    }

    List<TestRecord<byte[], byte[]>> deadLetters() {
        flush();
        return deadLetters.readRecordsToList();
    }

    /**
     * A new sweeper restored from this one's stores as they would be committed (what a restarted or
     * newly assigned instance restores from the changelog), without anything it kept only in memory;
     * its broker clock continues where this one's ticks stopped. This one is closed.
     */
    @SuppressWarnings("unchecked")
    SweeperHarness restarted() {
        flush();
        SweeperHarness next = new SweeperHarness(config);
        if (seed != null) {
            next.interleaved(seed + 1);
        }
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
