package dev.vigil.benchmark;

import dev.vigil.contracts.ConfigLookup;
import dev.vigil.contracts.KafkaSettings;
import dev.vigil.contracts.event.Heartbeat;
import dev.vigil.contracts.event.RunCreated;
import dev.vigil.contracts.event.RunTimeouts;
import dev.vigil.contracts.heartbeat.HeartbeatClient;
import dev.vigil.contracts.heartbeat.RunHeartbeat;
import dev.vigil.contracts.serde.EventJson;
import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.contracts.topic.TopicProvisioner;
import dev.vigil.infra.KafkaServerProcess;
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
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Vigil's detection path on this machine, against a real broker in its own JVM (long on purpose: its phases
 * share one broker, one topic set and one report, and are read best in order):
 *
 * <ol>
 *   <li>the broker's raw produce rate for heartbeat-sized records (the ceiling);</li>
 *   <li>the heartbeats per second the sweeper sustains, exactly-once, on a backlog;</li>
 *   <li>a live workload: {@code liveRuns} runs heartbeating through the Java client on their schedule;</li>
 *   <li>detection overshoot (timeout seen by a consumer minus the run's due time) for live workers
 *       through the Java client, some of which stop at known times;</li>
 *   <li>the state it keeps per tracked run, at a million runs.</li>
 * </ol>
 * One class because the phases share one broker and report ratios against each other in one run.
 */
final class SweeperBenchmark {

    record Tracked(long runs, long stateBytes, long heapBytes) {
    }

    record Live(int runs, Duration interval, double offeredPerSecond, double processedPerSecond, double behindSeconds,
                double brokerCores) {
    }

    record Overshoot(int died, int detected, int falseTimeouts, Distribution overshoot) {
    }

    record Results(int recordBytes, double rawPerSecond, double ingestPerSecond, Live live, Overshoot overshoot,
                   Tracked tracked, int streamThreads) {
    }

    private static final TopicCatalog TOPICS = new TopicCatalog("bench.");

    /** Every timeout the sweeper emitted in any phase, and when each dying run's worker stopped. */
    private TimeoutWatch watch;
    private final Profile profile;
    private final KafkaServerProcess broker;
    private final Path work;
    private final Map<String, Object> client;
    private KafkaStreams sweeper;

    private SweeperBenchmark(Profile profile, KafkaServerProcess broker, Path work) {
        this.profile = profile;
        this.broker = broker;
        this.work = work;
        this.client = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    }

    static Results measure(Profile profile, Path work) throws Exception {
        try (KafkaServerProcess broker = KafkaServerProcess.start(0, work.resolve("kafka"))) {
            return new SweeperBenchmark(profile, broker, work).run();
        }
    }

    private Results run() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            TopicProvisioner.createMissing(admin, TOPICS, (short) 1);
            admin.createTopics(List.of(new NewTopic("bench.raw", TopicCatalog.RUN_PARTITIONS, (short) 1)
                    .configs(Map.of("message.timestamp.type", "LogAppendTime")))).all().get();
        }
        byte[] sample = EventJson.write(Heartbeat.of("run-000000042", 1, null, 42, 7L, "step 7"));
        double raw = rawProduceRate(sample);

        watch = new TimeoutWatch(broker.bootstrapServers(), TOPICS, "bench-watcher");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SweeperMetrics metrics = new SweeperMetrics(registry);
        Path stateDir = work.resolve("sweeper-state");
        int threads = Integer.getInteger("bench.threads", 2);
        try (WatermarkTicker ticker = new WatermarkTicker(client, List.of(TOPICS.heartbeats().name(),
                TOPICS.agentHeartbeats().name(), TOPICS.runEvents().name()))) {
            ticker.start(SweeperConfig.defaults().tickInterval());
            sweeper = startSweeper(metrics, stateDir, threads);
            try {
                double ingest = ingestRate(registry, () -> startSweeper(metrics, stateDir, threads));
                Live live = live(registry.get("vigil.sweeper.heartbeats").counter());
                Overshoot overshoot = overshoot(registry.get("vigil.sweeper.runs.armed").counter());
                long heapBefore = usedHeapAfterGc();
                int tracked = trackedRuns(registry);
                long heap = Math.max(0, usedHeapAfterGc() - heapBefore);
                watch.close();
                overshoot = new Overshoot(overshoot.died(), overshoot.detected(), watch.falseTimeouts("sweeper"),
                        overshoot.overshoot());
                SweeperService.close(sweeper); // flushes every store to disk before it is measured
                long stateBytes = sizeOf(stateDir);
                return new Results(sample.length, raw, ingest, live, overshoot, new Tracked(tracked, stateBytes, heap),
                        threads);
            } finally {
                SweeperService.close(sweeper);
            }
        }
    }

    /** Kafka's own producer at full speed: the same settings the heartbeat client uses, batching allowed. */
    private double rawProduceRate(byte[] value) throws Exception {
        Bench.log("ceiling: producing %,d heartbeat-sized records (%d bytes) to a %d-partition topic",
                profile.rawRecords(), value.length, TopicCatalog.RUN_PARTITIONS);
        try (KafkaProducer<String, byte[]> producer = producer()) {
            long start = System.nanoTime();
            for (int i = 0; i < profile.rawRecords(); i++) {
                producer.send(new ProducerRecord<>("bench.raw", runId(i % profile.ingestRuns()), value));
            }
            producer.flush();
            return profile.rawRecords() / seconds(start);
        }
    }

    private interface SweeperStart {
        KafkaStreams start() throws InterruptedException;
    }

    /**
     * The sweeper reads a backlog of heartbeats as fast as it can, exactly-once, with its state. The
     * backlog is written while it is stopped, so that like the ceiling it has the machine to itself.
     */
    private double ingestRate(SimpleMeterRegistry registry, SweeperStart restart) throws Exception {
        Bench.log("ingest: %,d runs created, then a backlog of %,d heartbeats", profile.ingestRuns(), profile.ingestHeartbeats());
        createRuns(0, profile.ingestRuns(), Duration.ofHours(1));
        Counter heartbeats = registry.get("vigil.sweeper.heartbeats").counter();
        awaitCount(() -> (long) registry.get("vigil.sweeper.runs.armed").counter().count(), profile.ingestRuns(),
                Duration.ofMinutes(5));
        long before = (long) heartbeats.count();
        SweeperService.close(sweeper);
        try (KafkaProducer<String, byte[]> producer = producer()) {
            byte[][] values = new byte[profile.ingestRuns()][];
            for (int i = 0; i < profile.ingestRuns(); i++) {
                values[i] = EventJson.write(Heartbeat.of(runId(i), 1, null, 0, null, null));
            }
            for (int i = 0; i < profile.ingestHeartbeats(); i++) {
                int run = i % profile.ingestRuns();
                producer.send(new ProducerRecord<>(TOPICS.heartbeats().name(), runId(run), values[run]));
            }
            producer.flush();
        }
        sweeper = restart.start();
        // Time the sweeper from its first to its last heartbeat of the backlog.
        awaitCount(() -> (long) heartbeats.count() - before, 1, Duration.ofMinutes(5));
        long start = System.nanoTime();
        awaitCount(() -> (long) heartbeats.count() - before, profile.ingestHeartbeats(), Duration.ofMinutes(10));
        return profile.ingestHeartbeats() / seconds(start);
    }

    /**
     * The ingest runs heartbeat on their schedule through the Java client: does the sweeper keep up,
     * and what does the broker spend? (The runs were created with an hour's timeout: none times out.)
     */
    private Live live(Counter processed) throws Exception {
        int runs = profile.liveRuns();
        Duration interval = profile.liveInterval();
        Bench.log("live: %,d runs heartbeating through the Java client every %s, measured for %s", runs, interval,
                profile.window());
        ProcessCpu brokerCpu = new ProcessCpu(broker.pid());
        // The client beats every timeout / 3: ask for the timeout that gives this interval.
        try (HeartbeatClient workers = HeartbeatClient.builder(broker.bootstrapServers()).topicPrefix(TOPICS.prefix())
                .build()) {
            List<RunHeartbeat> beats = new ArrayList<>(runs);
            long startNanos = System.nanoTime();
            for (int i = 0; i < runs; i++) {
                beats.add(workers.startRun(runId(i % profile.ingestRuns()), 1, interval.multipliedBy(3)));
                if (i % 1_000 == 999) { // spread the first beats over one interval, as real starts would be
                    long due = startNanos + interval.toNanos() * (i + 1) / runs;
                    Thread.sleep(Math.max(0, (due - System.nanoTime()) / 1_000_000));
                }
            }
            Thread.sleep(interval.toMillis());
            long sentBefore = workers.delivered();
            long processedBefore = (long) processed.count();
            ProcessCpu.Window cpu = new ProcessCpu.Window(brokerCpu);
            long start = System.nanoTime();
            Thread.sleep(profile.window().toMillis());
            double seconds = seconds(start);
            double cores = cpu.cores();
            double offered = (workers.delivered() - sentBefore) / seconds;
            double rate = ((long) processed.count() - processedBefore) / seconds;
            double behind = (workers.delivered() - (long) processed.count() + processedBefore - sentBefore) / offered;
            beats.forEach(RunHeartbeat::close);
            return new Live(runs, interval, offered, rate, Math.max(0, behind), cores);
        }
    }

    private int trackedRuns(SimpleMeterRegistry registry) throws Exception {
        int total = profile.ingestRuns() + profile.trackedRuns();
        Bench.log("tracked: %,d more runs created (%,d in all)", profile.trackedRuns(), total);
        createRuns(profile.ingestRuns(), total, Duration.ofHours(6));
        Counter created = registry.get("vigil.sweeper.runs.armed").counter();
        awaitCount(() -> (long) created.count(), total, Duration.ofMinutes(10));
        return total;
    }

    /** Live workers through the Java client; some stop at known times; a consumer watches the timeouts. */
    private Overshoot overshoot(Counter created) throws Exception {
        int live = profile.detectionRuns();
        Bench.log("overshoot: %,d live workers (heartbeat timeout %s), %,d of them die", live, profile.heartbeatTimeout(),
                profile.dyingRuns());
        int first = 5_000_000;
        double createdBefore = created.count();
        createRuns(first, first + live, profile.heartbeatTimeout());
        awaitCount(() -> (long) (created.count() - createdBefore), live, Duration.ofMinutes(2));
        Set<String> dying = ConcurrentHashMap.newKeySet();
        try (HeartbeatClient workers = HeartbeatClient.builder(broker.bootstrapServers()).topicPrefix(TOPICS.prefix()).build()) {
            List<RunHeartbeat> beats = new ArrayList<>();
            for (int i = 0; i < live; i++) {
                beats.add(workers.startRun(runId(first + i), 1, profile.heartbeatTimeout()));
            }
            Thread.sleep(5_000);
            for (int i = 0; i < profile.dyingRuns(); i++) {
                RunHeartbeat beat = beats.get(i * (live / profile.dyingRuns()));
                dying.add(beat.runId());
                watch.died(beat.runId());
                beat.close();
                Thread.sleep(10_000L / profile.dyingRuns()); // over 10 s, as in the baseline's 1 s phase
            }
            Thread.sleep(profile.heartbeatTimeout().toMillis() + 5_000);
            for (RunHeartbeat beat : beats) { // the phase is over: the others stop too, and time out after it
                watch.died(beat.runId());
                beat.close();
            }
        }
        List<Long> overshoots = watch.overshoots(dying);
        return new Overshoot(dying.size(), overshoots.size(), watch.falseTimeouts("sweeper"),
                Distribution.of("Vigil sweeper: overshoot", overshoots));
    }

    private KafkaStreams startSweeper(SweeperMetrics metrics, Path stateDir, int threads) throws InterruptedException {
        SweeperSettings settings = SweeperSettings.from(ConfigLookup.of(Map.of("vigil.sweeper.application-id", "bench-sweeper",
                "vigil.sweeper.state-dir", stateDir.toString(), "vigil.sweeper.stream-threads", threads)));
        KafkaSettings kafka = KafkaSettings.local(broker.bootstrapServers(), TOPICS.prefix());
        KafkaStreams streams = new KafkaStreams(SweeperTopology.build(TOPICS, settings.sweeperConfig(), metrics, true),
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

    private static String runId(int i) {
        return String.format(Locale.ROOT, "run-%09d", i);
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
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
}
