package dev.vigil.benchmark;

import dev.vigil.contracts.event.RunCreated;
import dev.vigil.contracts.event.RunTimeouts;
import dev.vigil.contracts.heartbeat.HeartbeatClient;
import dev.vigil.contracts.heartbeat.RunHeartbeat;
import dev.vigil.contracts.serde.EventJson;
import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.contracts.topic.TopicProvisioner;
import dev.vigil.infra.JavaProcess;
import dev.vigil.infra.KafkaServerProcess;
import dev.vigil.local.LocalStack;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Detection at a million tracked runs, as deployed: a KRaft broker and two sweeper-service instances, each in its
 * own JVM with the production flags, exactly-once. Runs are announced as run-service announces them
 * ({@code RunCreated} on run-events). A hundred thousand heartbeat every 10 s through the Java client (10,000
 * beats/s) for the whole phase, while the tracked count grows in steps to a million (the others are quiet runs,
 * tracked and never due in the phase). At each step, after a warm-up round, a batch of runs with a 2 s heartbeat
 * timeout dies at known times. Per step it reports the overshoot of their timeouts (visible to a read_committed
 * consumer minus due) and the mean cost of one sweep, from the sweepers' own
 * {@code vigil_sweeper_sweep_duration_seconds}: neither may grow with the runs tracked. False timeouts are counted
 * over the whole phase, the heartbeating runs included. Like every phase it counts what went wrong and never aborts
 * on it.
 */
final class ScaleBenchmark {

    /**
     * @param tracked runs tracked (announced) when the step was measured
     * @param sweeps sweeps the two sweepers made during the step
     * @param sweepMicros their mean duration
     */
    record Step(long tracked, long sweeps, double sweepMicros, int died, int detected, Distribution overshoot) {
    }

    record Results(long tracked, int heartbeating, double heartbeatsPerSecond, List<Step> steps, int falseTimeouts,
                   double sweeperCores) {

        Step last() {
            return steps.get(steps.size() - 1);
        }
    }

    private static final TopicCatalog TOPICS = new TopicCatalog("scale.");
    private static final int SWEEPERS = 2;
    private static final Duration LIVE_INTERVAL = Duration.ofSeconds(10);
    private static final Duration DYING_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration DEATH_SPREAD = Duration.ofSeconds(20);
    /** Quiet runs: tracked, never heard from, and never due while the phase lasts. */
    private static final RunTimeouts QUIET = new RunTimeouts(Duration.ofHours(6), Duration.ofHours(6),
            Duration.ofMinutes(5), Duration.ofHours(12));

    private final Profile profile;
    private final KafkaServerProcess broker;
    private final List<JavaProcess> sweepers = new ArrayList<>();
    private final List<String> metricsUrls = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private int announced;

    private ScaleBenchmark(Profile profile, KafkaServerProcess broker) {
        this.profile = profile;
        this.broker = broker;
    }

    static Results measure(Profile profile, Path work, Path repo) throws Exception {
        try (KafkaServerProcess broker = KafkaServerProcess.start(0, work.resolve("scale-kafka"))) {
            ScaleBenchmark bench = new ScaleBenchmark(profile, broker);
            try {
                bench.startSweepers(work, repo);
                return bench.run();
            } finally {
                bench.sweepers.forEach(JavaProcess::close);
            }
        }
    }

    private void startSweepers(Path work, Path repo) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            TopicProvisioner.createMissing(admin, TOPICS, (short) 1);
        }
        Path jar = repo.resolve("sweeper-service").resolve("target").resolve("vigil-sweeper-service.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: build first with ./mvnw -q install -DskipTests");
        }
        for (int i = 0; i < SWEEPERS; i++) {
            int port = KafkaServerProcess.freePort();
            metricsUrls.add("http://localhost:" + port + "/prometheus");
            sweepers.add(new JavaProcess("scale-sweeper-" + i, jar, LocalStack.PRODUCTION_JVM, Map.of(
                    "PORT", Integer.toString(port),
                    "KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                    "VIGIL_TOPIC_PREFIX", TOPICS.prefix(),
                    "VIGIL_SWEEPER_STATE_DIR", work.resolve("scale-sweeper-state-" + i).toString()),
                    work.resolve("logs").resolve("scale-sweeper-" + i + ".log"),
                    "http://localhost:" + port + "/health").start());
        }
        sweepers.forEach(sweeper -> sweeper.awaitHealthy(Duration.ofMinutes(3)));
    }

    private Results run() throws Exception {
        int heartbeating = profile.scaleHeartbeating();
        TreeSet<Integer> levels = new TreeSet<>(List.of(heartbeating, profile.scaleTracked() / 4,
                profile.scaleTracked() / 2, profile.scaleTracked()));
        levels.headSet(heartbeating).clear();
        List<ProcessCpu.Window> cpu = sweepers.stream().map(s -> new ProcessCpu.Window(new ProcessCpu(s.pid()))).toList();
        try (TimeoutWatch watch = new TimeoutWatch(broker.bootstrapServers(), TOPICS, "scale-watcher");
             HeartbeatClient workers = HeartbeatClient.builder(broker.bootstrapServers()).topicPrefix(TOPICS.prefix())
                     .build()) {
            Duration liveTimeout = LIVE_INTERVAL.multipliedBy(3); // the client beats every timeout / 3
            List<String> liveIds = announce(heartbeating, new RunTimeouts(liveTimeout, Duration.ofHours(1),
                    Duration.ofMinutes(5), Duration.ofHours(12)));
            List<RunHeartbeat> live = startSpread(workers, liveIds, liveTimeout);
            // A warm-up round first, not reported: the sweepers' JIT, and the heartbeating runs' first beats (each
            // a first heartbeat, written through) all at once.
            Thread.sleep(LIVE_INTERVAL.toMillis());
            Bench.log("scale: a warm-up round");
            step(workers, watch);
            long deliveredBefore = workers.delivered();
            long start = System.nanoTime();
            List<Step> steps = new ArrayList<>();
            for (int level : levels) {
                if (announced < level) {
                    announce(level - announced, QUIET);
                }
                steps.add(step(workers, watch));
            }
            double beatsPerSecond = (workers.delivered() - deliveredBefore) / ((System.nanoTime() - start) / 1e9);
            double cores = cpu.stream().mapToDouble(ProcessCpu.Window::cores).sum();
            live.forEach(beat -> {
                watch.died(beat.runId());
                beat.close();
            });
            return new Results(announced, heartbeating, beatsPerSecond, steps, watch.falseTimeouts("scale"), cores);
        }
    }

    /** One step: a batch dies at known times while the sweepers' sweep cost is read before and after. */
    private Step step(HeartbeatClient workers, TimeoutWatch watch) throws Exception {
        long tracked = announced + profile.scaleDying();
        Bench.log("scale: %,d runs tracked; %,d of them (heartbeat timeout %s) die over %s", tracked,
                profile.scaleDying(), Bench.duration(DYING_TIMEOUT), Bench.duration(DEATH_SPREAD));
        List<String> dying = announce(profile.scaleDying(), new RunTimeouts(DYING_TIMEOUT, Duration.ofMinutes(1),
                Duration.ofMinutes(5), Duration.ofHours(12)));
        List<RunHeartbeat> beats = new ArrayList<>();
        for (String id : dying) {
            beats.add(workers.startRun(id, 1, DYING_TIMEOUT));
        }
        Thread.sleep(5_000);
        double[] before = sweepTotals();
        for (RunHeartbeat beat : beats) {
            watch.died(beat.runId());
            beat.close(); // the worker is OOM-killed
            Thread.sleep(DEATH_SPREAD.toMillis() / beats.size());
        }
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (dying.stream().anyMatch(id -> !watch.seen(id)) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        double[] after = sweepTotals();
        long sweeps = (long) (after[1] - before[1]);
        double micros = sweeps == 0 ? Double.NaN : (after[0] - before[0]) / sweeps * 1e6;
        List<Long> overshoots = watch.overshoots(dying);
        Step step = new Step(tracked, sweeps, micros, dying.size(), overshoots.size(),
                Distribution.of(String.format(Locale.ROOT, "%,d tracked", tracked), overshoots));
        Bench.log("scale: %,d tracked: overshoot %s (%d of %d detected); %,d sweeps, %.0f us each", tracked,
                step.overshoot().summary(), step.detected(), step.died(), sweeps, micros);
        return step;
    }

    /** The workers' first beats spread over one interval, as real starts would be. */
    private static List<RunHeartbeat> startSpread(HeartbeatClient workers, List<String> ids, Duration timeout)
            throws InterruptedException {
        Bench.log("scale: %,d runs heartbeating every %s through the Java client", ids.size(),
                Bench.duration(LIVE_INTERVAL));
        List<RunHeartbeat> beats = new ArrayList<>(ids.size());
        long startNanos = System.nanoTime();
        for (int i = 0; i < ids.size(); i++) {
            beats.add(workers.startRun(ids.get(i), 1, timeout));
            if (i % 1_000 == 999) {
                long due = startNanos + LIVE_INTERVAL.toNanos() * (i + 1) / ids.size();
                Thread.sleep(Math.max(0, (due - System.nanoTime()) / 1_000_000));
            }
        }
        return beats;
    }

    /**
     * Announces {@code count} more runs and waits until both sweepers together have armed all runs announced so
     * far (at most 10 minutes; a shortfall shows in the steps' counts).
     */
    private List<String> announce(int count, RunTimeouts timeouts) throws Exception {
        List<String> ids = new ArrayList<>(count);
        Map<String, Object> config = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config, new StringSerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < count; i++) {
                String runId = String.format(Locale.ROOT, "run-%09d", announced++);
                ids.add(runId);
                producer.send(new ProducerRecord<>(TOPICS.runEvents().name(), runId,
                        EventJson.write(RunCreated.of(runId, 1, "bench", runId, "bench", null, timeouts, null))));
            }
        }
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        double armed;
        while ((armed = metric("vigil_sweeper_runs_armed_total")) < announced && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
        if (armed < announced) {
            Bench.log("scale: only %,.0f of %,d runs armed after 10 minutes", armed, announced);
        }
        return ids;
    }

    /** The sweepers' sweep time (seconds) and sweep count so far, both sweepers together. */
    private double[] sweepTotals() throws Exception {
        return new double[] {metric("vigil_sweeper_sweep_duration_seconds_sum"),
                metric("vigil_sweeper_sweep_duration_seconds_count")};
    }

    /** The sum, over both sweepers and every series, of a Prometheus metric ({@code NaN} parts count as 0). */
    private double metric(String name) throws Exception {
        double total = 0;
        for (String url : metricsUrls) {
            String body;
            try {
                body = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
            } catch (IOException e) { // a sweeper down counts as nothing; its absence shows in the steps
                Bench.log("scale: could not read %s: %s", url, e);
                continue;
            }
            for (String line : body.split("\n")) {
                if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                    double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                    total += Double.isNaN(value) ? 0 : value;
                }
            }
        }
        return total;
    }
}
