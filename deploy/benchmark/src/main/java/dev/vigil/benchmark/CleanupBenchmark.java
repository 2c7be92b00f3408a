package dev.vigil.benchmark;

import dev.vigil.contracts.Labels;
import dev.vigil.contracts.event.CleanupOutcome;
import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.event.RunFinished;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.heartbeat.HeartbeatClient;
import dev.vigil.contracts.heartbeat.RunHeartbeat;
import dev.vigil.contracts.topic.Topic;
import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.local.KubernetesApi;
import dev.vigil.local.LocalStack;
import dev.vigil.local.RunApi;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The whole pipeline on the local stack (broker, PostgreSQL, Kubernetes API, run-service, the cleaner
 * and two sweepers, each in its own JVM with the full JIT, as the container images run them): runs
 * created through the API with a Deployment, Service and Pod each, heartbeating through the Java client;
 * they die at known times, and halfway through one sweeper is stopped and started again (two
 * rebalances while runs die). For each it measures when the timeout became visible (read_committed),
 * when run-service made the row terminal ({@code RunFinished}'s time) and when the cleaner had deleted
 * the last of its resources ({@code CleanupPerformed}), after a warm-up round; and what the cleanups cost the
 * Kubernetes API, counted at the API server. A last round has the same number of runs die ten times as fast. It
 * counts, and never aborts on, what went wrong: runs timed out while their worker still beat (false timeouts),
 * runs that never became RUNNING.
 */
final class CleanupBenchmark {

    /**
     * @param overshoot runs due outside the forced rebalance (from the bounce until {@link #SETTLE} after it)
     * @param rebalanceOvershoot runs due inside it
     * @param cost what the measured round's cleanups asked of the Kubernetes API
     * @param fast the round at ten times the pace
     */
    record Results(int runs, int timedOut, int terminal, int cleaned, int falseTimeouts, int neverRunning,
                   Distribution overshoot, Distribution rebalanceOvershoot, Distribution toTerminal,
                   Distribution toDeleted, ApiCost cost, Fast fast) {
    }

    /** The round whose runs die ten times as fast, over {@code spread}. */
    record Fast(int runs, Duration spread, int cleaned, Distribution toDeleted, ApiCost cost) {
    }

    /**
     * The Kubernetes API requests made while one round's runs were cleaned up (from the first death until the
     * last run was clean; the harness sends none then), and how many objects were deleted.
     */
    record ApiCost(int cleanups, long reads, long watches, long deletes) {

        double perCleanup() {
            return cleanups == 0 ? Double.NaN : (double) (reads + watches + deletes) / cleanups;
        }

        double deletesPerCleanup() {
            return cleanups == 0 ? Double.NaN : (double) deletes / cleanups;
        }
    }

    /** What one round left behind: its runs, and what their cleanups cost the API. */
    private record Round(List<String> ids, ApiCost cost) {
    }

    /** How long after the bounced sweeper is healthy again its second rebalance may still be settling. */
    private static final Duration SETTLE = Duration.ofSeconds(15);

    private static final String NAMESPACE = "agents";
    private static final String WORKSPACE = "bench";
    private static final int RESOURCES_PER_RUN = 3;
    private static final int WARM_UP_RUNS = 10;
    /** Held so the setting sticks: the mock API server logs every request at INFO through JUL. */
    private static final java.util.logging.Logger MOCK_SERVER_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    private volatile boolean watching = true;
    private final LocalStack stack;
    private final RunApi api;
    private final Map<String, Long> seenAt = new ConcurrentHashMap<>();
    private final Map<String, Long> dueAt = new ConcurrentHashMap<>();
    private final Map<String, Long> finishedAt = new ConcurrentHashMap<>();
    private final Map<String, List<Long>> deletedAt = new ConcurrentHashMap<>();
    /** When each run's worker stopped beating: a timeout due before that is false. */
    private final Map<String, Long> diedAt = new ConcurrentHashMap<>();
    private int neverRunning;
    private volatile long bounceStart = Long.MAX_VALUE;
    private volatile long bounceEnd = Long.MAX_VALUE;

    private CleanupBenchmark(LocalStack stack) {
        this.stack = stack;
        this.api = new RunApi(stack.runServiceUrl(), stack.token("benchmark", WORKSPACE));
    }

    /** The local stack the whole-stack phases share: two sweepers, the services on the full JIT. */
    static LocalStack startStack(Path work, Path repo) {
        MOCK_SERVER_LOG.setLevel(Level.WARNING);
        Bench.log("end to end: starting the local stack (broker, PostgreSQL, Kubernetes API, three services)");
        return LocalStack.start(LocalStack.Options.onFreePorts(work.resolve("stack"), repo, 2).production());
    }

    static Results measure(Profile profile, LocalStack stack) throws Exception {
        return new CleanupBenchmark(stack).run(profile);
    }

    private Results run(Profile profile) throws Exception {
        int count = profile.endToEndRuns();
        Duration timeout = profile.heartbeatTimeout();
        Thread watcher = new Thread(this::watch, "e2e-watcher");
        watcher.setDaemon(true);
        watcher.start();
        KubernetesClient kubernetes = stack.kubernetes().client();
        // A warm-up round first: the services' first cleanup loads classes and opens connections.
        Bench.log("end to end: a warm-up round of %d runs", WARM_UP_RUNS);
        round(kubernetes, "warm-up-", WARM_UP_RUNS, timeout, Duration.ofSeconds(2), false);
        Round measured = round(kubernetes, "bench-", count, timeout, profile.deathSpread(), true);
        List<String> ids = measured.ids();
        Duration fastSpread = profile.deathSpread().dividedBy(10);
        Bench.log("end to end: %d more runs dying ten times as fast (over %s)", count, Bench.duration(fastSpread));
        Round fast = round(kubernetes, "fast-", count, timeout, fastSpread, false);
        watching = false;
        watcher.join();
        List<Long> overshoot = new ArrayList<>();
        List<Long> rebalanceOvershoot = new ArrayList<>();
        List<Long> toTerminal = new ArrayList<>();
        List<Long> toDeleted = new ArrayList<>();
        int falseTimeouts = 0;
        for (String id : dueAt.keySet()) { // both rounds
            Long died = diedAt.get(id);
            if (died == null || dueAt.get(id) < died) {
                falseTimeouts++;
                Bench.log("end to end: FALSE TIMEOUT of run %s (due %d, its worker beat until %s)", id, dueAt.get(id), died);
            }
        }
        for (String id : ids) {
            Long seen = seenAt.get(id);
            if (seen == null || !diedAt.containsKey(id) || dueAt.get(id) < diedAt.get(id)) {
                continue;
            }
            long due = dueAt.get(id);
            boolean rebalancing = due >= bounceStart && due <= bounceEnd + SETTLE.toMillis();
            (rebalancing ? rebalanceOvershoot : overshoot).add(seen - due);
            if (finishedAt.containsKey(id)) {
                toTerminal.add(finishedAt.get(id) - seen);
            }
        }
        return new Results(count, (int) ids.stream().filter(seenAt::containsKey).count(),
                (int) ids.stream().filter(finishedAt::containsKey).count(), cleaned(ids), falseTimeouts, neverRunning,
                Distribution.of("Vigil, full stack: overshoot", overshoot),
                Distribution.of("Vigil, full stack: overshoot during a forced rebalance", rebalanceOvershoot),
                Distribution.of("timeout seen -> row terminal", toTerminal),
                toDeleted("timeout seen -> resources deleted", ids), measured.cost(),
                new Fast(count, fastSpread, cleaned(fast.ids()),
                        toDeleted("timeout seen -> resources deleted, ten times the pace", fast.ids()), fast.cost()));
    }

    /** From the timeout seen to the last of its resources deleted, for the runs of {@code ids} that died and were cleaned. */
    private Distribution toDeleted(String name, List<String> ids) {
        List<Long> toDeleted = new ArrayList<>();
        for (String id : ids) {
            Long seen = seenAt.get(id);
            List<Long> deletes = deletedAt.getOrDefault(id, List.of());
            if (seen != null && diedAt.containsKey(id) && dueAt.get(id) >= diedAt.get(id)
                    && deletes.size() >= RESOURCES_PER_RUN) {
                toDeleted.add(deletes.stream().mapToLong(Long::longValue).max().orElseThrow() - seen);
            }
        }
        return Distribution.of(name, toDeleted);
    }

    /**
     * Runs created with resources, heartbeating, then dying one by one over {@code spread} (with a sweeper
     * bounced halfway if {@code bounce}); returns their ids once cleaned, and what the cleanups cost the API.
     */
    private Round round(KubernetesClient kubernetes, String prefix, int count, Duration timeout, Duration spread,
                        boolean bounce) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String id = api.create(prefix + i, "{\"heartbeat\":\"" + timeout + "\",\"start\":\"PT2M\"}");
            ids.add(id);
            resources(kubernetes, id);
        }
        Bench.log("end to end: %d runs created with a Deployment, Service and Pod each; heartbeating every %d ms",
                count, timeout.toMillis() / 3);
        KubernetesApi server = stack.kubernetes();
        try (HeartbeatClient workers = HeartbeatClient.builder(stack.kafkaBootstrap())
                .topicPrefix(stack.topics().prefix()).build()) {
            List<RunHeartbeat> beats = new ArrayList<>();
            for (String id : ids) {
                beats.add(workers.startRun(id, 1, timeout));
            }
            awaitAllRunning(ids);
            Thread.sleep(2_000);
            long reads = server.requests("GET");
            long watches = server.requests("WATCH");
            long deletes = server.requests("DELETE");
            Thread bouncer = null;
            for (int i = 0; i < beats.size(); i++) {
                if (i == beats.size() / 2 && bounce) {
                    bouncer = new Thread(this::bounceSweeper, "bench-bounce");
                    bouncer.start();
                }
                RunHeartbeat beat = beats.get(i);
                diedAt.put(beat.runId(), System.currentTimeMillis());
                beat.close(); // the worker is OOM-killed
                Thread.sleep(spread.toMillis() / count);
            }
            if (bouncer != null) {
                bouncer.join();
            }
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (cleaned(ids) < ids.size() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            return new Round(ids, new ApiCost(cleaned(ids), server.requests("GET") - reads,
                    server.requests("WATCH") - watches, server.requests("DELETE") - deletes));
        }
    }

    private int cleaned(List<String> ids) {
        return (int) ids.stream().filter(id -> deletedAt.getOrDefault(id, List.of()).size() >= RESOURCES_PER_RUN).count();
    }

    /** Watches timeouts, run events and cleanups as an operator would, read_committed. */
    private void watch() {
        TopicCatalog topics = stack.topics();
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-e2e-watcher");
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topics.timeouts().name(), topics.runEvents().name(), topics.cleanups().name()));
            while (watching) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(20))) {
                    long now = System.currentTimeMillis();
                    if (record.topic().equals(topics.timeouts().name())) {
                        RunTimedOut timedOut = value(topics.timeouts(), record);
                        if (timedOut != null && seenAt.putIfAbsent(timedOut.runId(), now) == null) {
                            dueAt.put(timedOut.runId(), timedOut.dueAt().toEpochMilli());
                        }
                    } else if (record.topic().equals(topics.runEvents().name())) {
                        if (value(topics.runEvents(), record) instanceof RunFinished finished) {
                            finishedAt.putIfAbsent(finished.runId(), finished.occurredAt().toEpochMilli());
                        }
                    } else {
                        CleanupPerformed cleanup = value(topics.cleanups(), record);
                        if (cleanup != null && cleanup.outcome() == CleanupOutcome.DELETED) {
                            deletedAt.computeIfAbsent(cleanup.runId(), id -> new CopyOnWriteArrayList<>())
                                    .add(cleanup.occurredAt().toEpochMilli());
                        }
                    }
                }
            }
        }
    }

    private static <V> V value(Topic<String, V> topic, ConsumerRecord<byte[], byte[]> record) {
        try {
            return topic.valueSerde().deserializer().deserialize(record.topic(), record.headers(), record.value());
        } catch (RuntimeException notOurs) {
            return null;
        }
    }

    /** A forced rebalance while runs die: sweeper-1 leaves the group (SIGTERM) and joins again. */
    private void bounceSweeper() {
        Bench.log("end to end: sweeper-1 stopped and started again while runs die (two rebalances)");
        bounceStart = System.currentTimeMillis();
        try {
            stack.bounceSweeper(1);
        } catch (RuntimeException e) {
            Bench.log("end to end: could not bounce sweeper-1: %s", e);
        }
        bounceEnd = System.currentTimeMillis();
        Bench.log("end to end: sweeper-1 back after %d ms", bounceEnd - bounceStart);
    }

    /** Waits (up to 2 min) until every run is RUNNING; counts, and reports, those that never are. */
    private void awaitAllRunning(List<String> ids) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        for (String id : ids) {
            String status;
            while (!(status = api.get(id).path("status").asText()).equals("RUNNING") && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            if (!status.equals("RUNNING")) {
                neverRunning++;
                Bench.log("end to end: run %s never became RUNNING (%s)", id, status);
            }
        }
    }

    /** What the run's agent would create: labelled with the run, managed by Vigil, and with its attempt. */
    private static void resources(KubernetesClient kubernetes, String id) {
        Map<String, String> labels = new HashMap<>(Labels.ofRun(Labels.DEFAULT_RUN_LABEL, id, WORKSPACE));
        labels.put(Labels.ATTEMPT, "1");
        String name = "agent-" + id.substring(0, 8);
        List<HasMetadata> objects = List.of(
                new DeploymentBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata()
                        .withNewSpec().withReplicas(1).endSpec().build(),
                new ServiceBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata().build(),
                new PodBuilder().withNewMetadata().withName(name + "-0").withLabels(labels).endMetadata().build());
        objects.forEach(o -> kubernetes.resource(o).inNamespace(NAMESPACE).create());
    }
}
