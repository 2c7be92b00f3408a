package dev.vigil.benchmark;

import dev.vigil.contracts.event.Heartbeat;
import dev.vigil.contracts.event.RunCreated;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.event.RunTimeouts;
import dev.vigil.contracts.heartbeat.HeartbeatClient;
import dev.vigil.contracts.heartbeat.RunHeartbeat;
import dev.vigil.contracts.serde.EventJson;
import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.contracts.topic.TopicProvisioner;
import dev.vigil.infra.KafkaServerProcess;
import dev.vigil.sweeper.KafkaSettings;
import dev.vigil.sweeper.SweeperConfig;
import dev.vigil.sweeper.SweeperMetrics;
import dev.vigil.sweeper.SweeperService;
import dev.vigil.sweeper.SweeperSettings;
import dev.vigil.sweeper.SweeperTopology;
import dev.vigil.sweeper.WatermarkTicker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The sweeper benchmark: on this machine, against a real broker in its own JVM, measures
 *
 * <ol>
 *   <li>the broker's raw produce rate for heartbeat-sized records (the ceiling);</li>
 *   <li>the heartbeats per second the sweeper sustains, exactly-once, on a backlog;</li>
 *   <li>the state it keeps per tracked run, at a million runs;</li>
 *   <li>detection overshoot (timeout seen by a consumer minus the run's due time) for live workers
 *       through the Java client, some of which stop at known times.</li>
 * </ol>
 *
 * and prints a Markdown report of ratios. Sizes: {@code -Dbench.profile=quick|full} (default full).
 */
public final class SweeperBenchmark {

    private static final TopicCatalog TOPICS = new TopicCatalog("bench.");

    private final Profile profile;
    private final KafkaServerProcess broker;
    private final Path work;
    private final Map<String, Object> client;

    private SweeperBenchmark(Profile profile, KafkaServerProcess broker, Path work) {
        this.profile = profile;
        this.broker = broker;
        this.work = work;
        this.client = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    }

    /** How big a run is. */
    record Profile(String name, int rawRecords, int ingestRuns, int ingestHeartbeats, int trackedRuns,
                   int liveRuns, int dyingRuns, Duration heartbeatTimeout) {
        static Profile of(String name) {
            return switch (name) {
                case "quick" -> new Profile(name, 300_000, 10_000, 300_000, 100_000, 500, 100, Duration.ofSeconds(2));
                default -> new Profile("full", 3_000_000, 100_000, 2_000_000, 1_000_000, 2_000, 400, Duration.ofSeconds(2));
            };
        }
    }

    public static void main(String[] args) throws Exception {
        Profile profile = Profile.of(System.getProperty("bench.profile", "full"));
        Path work = Files.createTempDirectory("vigil-bench");
        try (KafkaServerProcess broker = KafkaServerProcess.start(0, work.resolve("kafka"))) {
            String report = new SweeperBenchmark(profile, broker, work).run();
            System.out.println(report);
            Path out = Path.of(System.getProperty("bench.report", "target/sweeper-benchmark.md"));
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, report);
            System.out.println("report written to " + out.toAbsolutePath());
        }
    }

    private String run() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            TopicProvisioner.createMissing(admin, TOPICS, (short) 1);
            admin.createTopics(List.of(new NewTopic("bench.raw", TopicCatalog.RUN_PARTITIONS, (short) 1)
                    .configs(Map.of("message.timestamp.type", "LogAppendTime")))).all().get();
        }
        byte[] sample = EventJson.write(Heartbeat.of("run-000000042", 1, null, 42, 7L, "step 7"));
        double raw = rawProduceRate(sample);

        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SweeperMetrics metrics = new SweeperMetrics(registry);
        Path stateDir = work.resolve("sweeper-state");
        try (WatermarkTicker ticker = new WatermarkTicker(client, List.of(TOPICS.heartbeats().name(),
                TOPICS.agentHeartbeats().name(), TOPICS.runEvents().name()))) {
            ticker.start(SweeperConfig.defaults().tickInterval());
            KafkaStreams sweeper = startSweeper(metrics, stateDir);
            try {
                double ingest = ingestRate(registry);
                Overshoot overshoot = overshoot(registry.get("vigil.sweeper.runs.created").counter());
                long heapBefore = usedHeapAfterGc();
                int tracked = trackedRuns(registry);
                long heap = Math.max(0, usedHeapAfterGc() - heapBefore);
                SweeperService.close(sweeper); // flushes every store to disk before it is measured
                long stateBytes = sizeOf(stateDir);
                return report(sample.length, raw, ingest, new Tracked(tracked, stateBytes, heap), overshoot);
            } finally {
                SweeperService.close(sweeper);
            }
        }
    }

    /** Kafka's own producer at full speed: the same settings the heartbeat client uses, batching allowed. */
    private double rawProduceRate(byte[] value) throws Exception {
        log("ceiling: producing %,d heartbeat-sized records (%d bytes) to a %d-partition topic",
                profile.rawRecords, value.length, TopicCatalog.RUN_PARTITIONS);
        try (KafkaProducer<String, byte[]> producer = producer()) {
            long start = System.nanoTime();
            for (int i = 0; i < profile.rawRecords; i++) {
                producer.send(new ProducerRecord<>("bench.raw", runId(i % profile.ingestRuns), value));
            }
            producer.flush();
            return profile.rawRecords / seconds(start);
        }
    }

    /** The sweeper reads a backlog of heartbeats as fast as it can, exactly-once, with its state. */
    private double ingestRate(SimpleMeterRegistry registry) throws Exception {
        log("ingest: %,d runs created, then a backlog of %,d heartbeats", profile.ingestRuns, profile.ingestHeartbeats);
        createRuns(0, profile.ingestRuns, Duration.ofHours(1));
        Counter heartbeats = registry.get("vigil.sweeper.heartbeats").counter();
        awaitCount(() -> (long) registry.get("vigil.sweeper.runs.created").counter().count(), profile.ingestRuns,
                Duration.ofMinutes(5));
        long before = (long) heartbeats.count();
        try (KafkaProducer<String, byte[]> producer = producer()) {
            byte[][] values = new byte[profile.ingestRuns][];
            for (int i = 0; i < profile.ingestRuns; i++) {
                values[i] = EventJson.write(Heartbeat.of(runId(i), 1, null, 0, null, null));
            }
            for (int i = 0; i < profile.ingestHeartbeats; i++) {
                int run = i % profile.ingestRuns;
                producer.send(new ProducerRecord<>(TOPICS.heartbeats().name(), runId(run), values[run]));
            }
            producer.flush();
        }
        // Time the sweeper from its first to its last heartbeat of the backlog.
        awaitCount(() -> (long) heartbeats.count() - before, 1, Duration.ofMinutes(5));
        long start = System.nanoTime();
        awaitCount(() -> (long) heartbeats.count() - before, profile.ingestHeartbeats, Duration.ofMinutes(10));
        return profile.ingestHeartbeats / seconds(start);
    }

    record Tracked(long runs, long stateBytes, long heapBytes) {
    }

    private int trackedRuns(SimpleMeterRegistry registry) throws Exception {
        int total = profile.ingestRuns + profile.trackedRuns;
        log("tracked: %,d more runs created (%,d in all)", profile.trackedRuns, total);
        createRuns(profile.ingestRuns, total, Duration.ofHours(6));
        Counter created = registry.get("vigil.sweeper.runs.created").counter();
        awaitCount(() -> (long) created.count(), total, Duration.ofMinutes(10));
        return total;
    }

    record Overshoot(int died, int detected, int falseTimeouts, long p50, long p99, long max) {
    }

    /** Live workers through the Java client; some stop at known times; a consumer watches the timeouts. */
    private Overshoot overshoot(Counter created) throws Exception {
        int live = profile.liveRuns;
        log("overshoot: %,d live workers (heartbeat timeout %s), %,d of them die", live, profile.heartbeatTimeout,
                profile.dyingRuns);
        int first = 5_000_000;
        double createdBefore = created.count();
        createRuns(first, first + live, profile.heartbeatTimeout);
        awaitCount(() -> (long) (created.count() - createdBefore), live, Duration.ofMinutes(2));
        Map<String, Long> seenAt = new ConcurrentHashMap<>();
        Map<String, RunTimedOut> timeouts = new ConcurrentHashMap<>();
        Thread watcher = new Thread(() -> watchTimeouts(seenAt, timeouts), "timeout-watcher");
        watcher.setDaemon(true);
        watcher.start();
        Set<String> dying = ConcurrentHashMap.newKeySet();
        try (HeartbeatClient workers = HeartbeatClient.builder(broker.bootstrapServers()).topicPrefix(TOPICS.prefix()).build()) {
            List<RunHeartbeat> beats = new ArrayList<>();
            for (int i = 0; i < live; i++) {
                beats.add(workers.startRun(runId(first + i), 1, profile.heartbeatTimeout));
            }
            Thread.sleep(5_000);
            for (int i = 0; i < profile.dyingRuns; i++) {
                RunHeartbeat beat = beats.get(i * (live / profile.dyingRuns));
                dying.add(beat.runId());
                beat.close();
                Thread.sleep(10_000L / profile.dyingRuns);
            }
            Thread.sleep(profile.heartbeatTimeout.toMillis() + 5_000);
            beats.forEach(RunHeartbeat::close);
        }
        watcher.interrupt();
        List<Long> overshoots = new ArrayList<>();
        int falseTimeouts = 0;
        for (Map.Entry<String, RunTimedOut> entry : timeouts.entrySet()) {
            if (!dying.contains(entry.getKey())) {
                falseTimeouts++;
                continue;
            }
            overshoots.add(seenAt.get(entry.getKey()) - entry.getValue().dueAt().toEpochMilli());
        }
        overshoots.sort(Long::compare);
        return new Overshoot(dying.size(), overshoots.size(), falseTimeouts, percentile(overshoots, 0.5),
                percentile(overshoots, 0.99), overshoots.isEmpty() ? -1 : overshoots.get(overshoots.size() - 1));
    }

    private void watchTimeouts(Map<String, Long> seenAt, Map<String, RunTimedOut> timeouts) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-watcher");
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, RunTimedOut> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                TOPICS.timeouts().valueSerde().deserializer())) {
            consumer.subscribe(List.of(TOPICS.timeouts().name()));
            while (!Thread.currentThread().isInterrupted()) {
                for (ConsumerRecord<String, RunTimedOut> record : consumer.poll(Duration.ofMillis(20))) {
                    long now = System.currentTimeMillis();
                    if (record.key().startsWith("run-005")) {
                        seenAt.putIfAbsent(record.key(), now);
                        timeouts.putIfAbsent(record.key(), record.value());
                    }
                }
            }
        } catch (org.apache.kafka.common.errors.InterruptException stop) {
            Thread.currentThread().interrupt();
        }
    }

    private KafkaStreams startSweeper(SweeperMetrics metrics, Path stateDir) throws InterruptedException {
        SweeperSettings settings = new SweeperSettings();
        settings.setApplicationId("bench-sweeper");
        settings.setStateDir(stateDir.toString());
        settings.setStreamThreads(Integer.getInteger("bench.threads", 2));
        settings.setReplicationFactor((short) 1);
        KafkaSettings kafka = new KafkaSettings();
        kafka.setBootstrapServers(broker.bootstrapServers());
        KafkaStreams streams = new KafkaStreams(SweeperTopology.build(TOPICS, settings.toConfig(), metrics, true),
                SweeperService.streamsConfig(settings, kafka));
        streams.start();
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        return streams;
    }

    private void createRuns(int from, int to, Duration heartbeatTimeout) throws Exception {
        RunTimeouts timeouts = new RunTimeouts(heartbeatTimeout, Duration.ofHours(1), Duration.ofMinutes(5), Duration.ofHours(12));
        try (KafkaProducer<String, byte[]> producer = producer()) {
            for (int i = from; i < to; i++) {
                String runId = runId(i);
                producer.send(new ProducerRecord<>(TOPICS.runEvents().name(), runId,
                        EventJson.write(RunCreated.of(runId, 1, "bench", runId, "bench", null, timeouts, null))));
            }
            producer.flush();
        }
    }

    private KafkaProducer<String, byte[]> producer() {
        Map<String, Object> config = new HashMap<>(client);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }

    private String report(int recordBytes, double raw, double ingest, Tracked tracked, Overshoot overshoot) {
        String machine = String.format(Locale.ROOT, "%d cores, %d MiB max heap, %s %s, Java %s",
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20,
                System.getProperty("os.name"), System.getProperty("os.arch"), System.getProperty("java.version"));
        StringBuilder out = new StringBuilder();
        out.append("## Sweeper benchmark (").append(profile.name).append(" profile, ").append(Instant.now()).append(")\n\n");
        out.append("Machine: ").append(machine).append("; one KRaft broker in its own JVM on the same machine; ")
                .append("the sweeper with exactly_once_v2, RocksDB stores, ")
                .append(Integer.getInteger("bench.threads", 2)).append(" stream threads.\n\n");
        out.append("| measure | value | target | verdict |\n|---|---|---|---|\n");
        out.append(row("raw produce rate, " + recordBytes + "-byte heartbeats (ceiling)", fmt("%,.0f rec/s", raw), "", ""));
        out.append(row("sweeper ingest, exactly-once, " + fmt("%,d", profile.ingestRuns) + " runs",
                fmt("%,.0f heartbeats/s", ingest), "", ""));
        double ratio = ingest / raw;
        out.append(row("ingest / raw produce rate", fmt("%.0f %%", 100 * ratio), ">= 50 %", ratio >= 0.5 ? "met" : "missed"));
        double perRun = (double) tracked.stateBytes / tracked.runs;
        out.append(row("tracked runs", fmt("%,d", tracked.runs), "1,000,000", tracked.runs >= 1_000_000 ? "met" : "scaled down"));
        out.append(row("state on disk per tracked run (RocksDB, runs + deadlines)", fmt("%.0f B", perRun), "<= 200 B",
                perRun <= 200 ? "met" : "missed"));
        out.append(row("heap per tracked run", fmt("%.1f B", (double) tracked.heapBytes / tracked.runs), "", ""));
        out.append(row("workers that died / timeouts seen", overshoot.died + " / " + overshoot.detected, "equal",
                overshoot.died == overshoot.detected ? "met" : "missed"));
        out.append(row("false timeouts of live workers", Integer.toString(overshoot.falseTimeouts), "0",
                overshoot.falseTimeouts == 0 ? "met" : "missed"));
        out.append(row("detection overshoot p50 / p99 / max", overshoot.p50 + " / " + overshoot.p99 + " / " + overshoot.max + " ms",
                "p99 <= 250 ms", overshoot.p99 <= 250 ? "met" : "missed"));
        out.append("\nOvershoot = wall-clock time a read_committed consumer saw the timeout minus the run's due time ")
                .append("(last heartbeat's broker append time + timeout), ").append(profile.liveRuns)
                .append(" workers heartbeating through the Java client every ").append(profile.heartbeatTimeout.toMillis() / 3)
                .append(" ms, measured after the ingest backlog is processed and before the million runs are loaded.\n");
        return out.toString();
    }

    private static String row(String measure, String value, String target, String verdict) {
        return "| " + measure + " | " + value + " | " + target + " | " + verdict + " |\n";
    }

    private static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    private static String runId(int i) {
        return String.format(Locale.ROOT, "run-%09d", i);
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static long percentile(List<Long> sorted, double p) {
        return sorted.isEmpty() ? -1 : sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(p * sorted.size()) - 1));
    }

    private static void awaitCount(LongSupplier count, long atLeast, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (count.getAsLong() < atLeast) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting: " + count.getAsLong() + " < " + atLeast);
            }
            Thread.sleep(5);
        }
    }

    private static long sizeOf(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static long usedHeapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static void log(String format, Object... args) {
        System.out.println("[bench] " + String.format(Locale.ROOT, format, args));
    }
}
