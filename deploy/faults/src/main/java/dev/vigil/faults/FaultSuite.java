package dev.vigil.faults;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.contracts.Labels;
import dev.vigil.contracts.VigilHeaders;
import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.event.Heartbeat;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunEvent;
import dev.vigil.contracts.event.RunFinished;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.heartbeat.HeartbeatClient;
import dev.vigil.contracts.heartbeat.RunHeartbeat;
import dev.vigil.contracts.serde.EventJson;
import dev.vigil.infra.JavaProcess;
import dev.vigil.infra.KafkaRecords;
import dev.vigil.local.LocalStack;
import dev.vigil.local.RunApi;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fault suite: the whole system as separate OS processes (broker, PostgreSQL, run-service, two
 * sweepers, the cleaner; the Kubernetes API), a workload of runs with planned fates, faults injected
 * on a seeded schedule — SIGKILL of every service and of the broker, PostgreSQL immediate shutdown,
 * a sweeper frozen with SIGSTOP past every heartbeat timeout, poison on every input topic — and, at
 * the end, a count of what Vigil got wrong compared with the ground truth.
 */
public final class FaultSuite {

    private static final Logger LOG = LoggerFactory.getLogger(FaultSuite.class);
    private static final String NS = "agents";
    private static final Duration HEARTBEAT = Duration.ofSeconds(6);
    private static final String TIMEOUTS = "{\"heartbeat\":\"PT6S\",\"start\":\"PT8S\",\"stop\":\"PT10S\",\"maxDuration\":\"PT1H\"}";

    /** What happens to a run. */
    enum Fate { FINISHES, DIES, STOPPED_AGENT_LIVES, STOPPED_AGENT_VANISHES, NEVER_STARTS, ZOMBIE_AFTER_RETRY }

    /**
     * How big a run is.
     *
     * @param workload how long runs are started and faults injected
     * @param faultRounds how many times the fault schedule is played
     */
    public record Profile(String name, int runs, Duration workload, int faultRounds, long seed) {
        public static Profile of(String name, long seed) {
            return switch (name) {
                case "long" -> new Profile(name, 3_000, Duration.ofMinutes(15), 6, seed);
                default -> new Profile("short", 150, Duration.ofSeconds(150), 1, seed);
            };
        }
    }

    /** One planned run and what became of it on our side. */
    static final class Planned {
        final Fate fate;
        final String key;
        volatile String id;
        volatile long diedAt;
        volatile int zombieFinishStatus;

        Planned(Fate fate, String key) {
            this.fate = fate;
            this.key = key;
        }

        Set<String> expected() {
            return switch (fate) {
                case FINISHES, ZOMBIE_AFTER_RETRY -> Set.of("SUCCEEDED");
                case STOPPED_AGENT_LIVES -> Set.of("ABORTED");
                default -> Set.of("TIMED_OUT");
            };
        }

        int expectedAttempt() {
            return fate == Fate.ZOMBIE_AFTER_RETRY ? 2 : 1;
        }
    }

    private final Profile profile;
    private final LocalStack stack;
    private final RunApi api;
    private final HeartbeatClient workers;
    private final KubernetesClient kubernetes;
    private final Random random;
    /** Workload steps block (a worker's life is a sleep), so many threads; faults get their own. */
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(128);
    private final ScheduledExecutorService faults = Executors.newScheduledThreadPool(2);
    private final List<Planned> runs = Collections.synchronizedList(new ArrayList<>());
    private final Set<String> killedByUs = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> crashes = new ConcurrentHashMap<>();
    private final Map<String, Integer> poisonSent = new ConcurrentHashMap<>();
    private final List<String> faultLog = Collections.synchronizedList(new ArrayList<>());
    private final List<String> errors = Collections.synchronizedList(new ArrayList<>());
    private long redeliveries;

    public FaultSuite(Profile profile, LocalStack stack) {
        this.profile = profile;
        this.stack = stack;
        this.api = new RunApi(stack.runServiceUrl(), stack.token("faults", "faults"));
        this.workers = HeartbeatClient.builder(stack.kafkaBootstrap()).build();
        this.kubernetes = stack.kubernetes().client();
        this.random = new Random(profile.seed());
    }

    public static void main(String[] args) throws Exception {
        Profile profile = Profile.of(System.getProperty("faults.profile", "short"),
                Long.getLong("faults.seed", 20261123L));
        Path repo = Path.of(System.getProperty("vigil.repo", ".")).toAbsolutePath().normalize();
        Path dir = Files.createTempDirectory("vigil-faults");
        Report report;
        try (LocalStack stack = LocalStack.start(LocalStack.Options.onFreePorts(dir, repo, 2))) {
            report = new FaultSuite(profile, stack).run();
        }
        System.out.println(report.table());
        Path out = Path.of(System.getProperty("faults.report", "target/fault-suite.md"));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, report.table());
        System.exit(report.clean() ? 0 : 1);
    }

    /** Plays the workload and the faults, waits for quiescence, and counts. */
    public Report run() throws Exception {
        long start = System.currentTimeMillis();
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor();
        watchdog.scheduleWithFixedDelay(this::watchProcesses, 1, 1, TimeUnit.SECONDS);
        scheduleWorkload();
        scheduleFaults();
        schedulePoison();
        LOG.info("fault suite {}: {} runs over {} s, {} fault round(s), seed {}", profile.name(), profile.runs(),
                profile.workload().toSeconds(), profile.faultRounds(), profile.seed());
        Thread.sleep(profile.workload().toMillis() + 5_000);
        faults.shutdown();
        faults.awaitTermination(5, TimeUnit.MINUTES);
        scheduler.shutdown();
        scheduler.awaitTermination(5, TimeUnit.MINUTES);
        watchdog.shutdownNow();
        awaitQuiescence();
        Report report = count(System.currentTimeMillis() - start);
        workers.close();
        kubernetes.close();
        return report;
    }

    // ---------------------------------------------------------------- workload

    private void scheduleWorkload() {
        Fate[] fates = Fate.values();
        long window = profile.workload().toMillis() * 3 / 4;
        for (int i = 0; i < profile.runs(); i++) {
            Planned run = new Planned(fates[i % fates.length], "fault-" + i);
            runs.add(run);
            long at = (long) (window * (i / (double) profile.runs())) + random.nextInt(500);
            long life = 8_000 + random.nextInt(20_000);
            scheduler.schedule(() -> guarded(run, () -> play(run, life)), at, TimeUnit.MILLISECONDS);
        }
    }

    private void play(Planned run, long life) throws Exception {
        run.id = api.create(run.key, TIMEOUTS);
        resources(run.id, "r-" + run.id.substring(0, 8), run.key.endsWith("0"), 1);
        if (run.fate == Fate.NEVER_STARTS) {
            return;
        }
        RunHeartbeat heartbeat = workers.startRun(run.id, 1, HEARTBEAT);
        Thread.sleep(life);
        switch (run.fate) {
            case FINISHES -> {
                api.finish(run.id, "SUCCEEDED", 1); // keep beating until the finish is accepted
                heartbeat.close();
            }
            case DIES -> {
                heartbeat.close();
                run.diedAt = System.currentTimeMillis();
            }
            case STOPPED_AGENT_LIVES -> {
                api.stop(run.id);
                awaitStatus(run.id, Set.of("TERMINATING", "ABORTED"), Duration.ofMinutes(3));
                Thread.sleep(500); // the agent takes a moment to wind the session down
                api.finish(run.id, "ABORTED", 1);
                heartbeat.close();
            }
            case STOPPED_AGENT_VANISHES -> {
                heartbeat.close();
                run.diedAt = System.currentTimeMillis();
                api.stop(run.id);
            }
            case ZOMBIE_AFTER_RETRY -> zombie(run, heartbeat, life);
            default -> throw new IllegalStateException(run.fate.name());
        }
    }

    /** Attempt 1 is cut off and times out; attempt 2 runs while attempt 1's zombie comes back. */
    private void zombie(Planned run, RunHeartbeat first, long life) throws Exception {
        first.close();
        awaitStatus(run.id, Set.of("TIMED_OUT"), Duration.ofMinutes(3));
        api.retry(run.id);
        awaitAttempt(run.id, 2);
        resources(run.id, "a2-" + run.id.substring(0, 8), false, 2);
        RunHeartbeat second = workers.startRun(run.id, 2, HEARTBEAT);
        RunHeartbeat zombie = workers.startRun(run.id, 1, HEARTBEAT);
        Thread.sleep(life / 2);
        run.zombieFinishStatus = api.finish(run.id, "SUCCEEDED", 1);
        Thread.sleep(life / 2);
        api.finish(run.id, "SUCCEEDED", 2);
        second.close();
        zombie.close();
    }

    /** The run's Deployment and Service, labelled with its attempt as a retried run's resources should be. */
    private void resources(String id, String name, boolean neighbours, int attempt) {
        Map<String, String> labels = Map.of(Labels.DEFAULT_RUN_LABEL, id, Labels.MANAGED_BY, Labels.MANAGED_BY_VIGIL,
                Labels.ATTEMPT, Integer.toString(attempt));
        kubernetes.apps().deployments().inNamespace(NS).resource(new DeploymentBuilder().withNewMetadata()
                .withName(name).withLabels(labels).endMetadata().withNewSpec().withReplicas(1).endSpec().build()).create();
        kubernetes.services().inNamespace(NS).resource(new ServiceBuilder().withNewMetadata()
                .withName(name).withLabels(labels).endMetadata().build()).create();
        if (neighbours) {
            kubernetes.configMaps().inNamespace(NS).resource(new ConfigMapBuilder().withNewMetadata()
                    .withName("neighbour-session-" + name).addToLabels(Labels.DEFAULT_RUN_LABEL, id).endMetadata().build())
                    .create();
            kubernetes.configMaps().inNamespace(NS).resource(new ConfigMapBuilder().withNewMetadata()
                    .withName("neighbour-managed-" + name).addToLabels(Labels.MANAGED_BY, Labels.MANAGED_BY_VIGIL)
                    .endMetadata().build()).create();
            kubernetes.configMaps().inNamespace("elsewhere").resource(new ConfigMapBuilder().withNewMetadata()
                    .withName("neighbour-elsewhere-" + name).withLabels(labels).endMetadata().build()).create();
        }
    }

    // ---------------------------------------------------------------- faults

    private void scheduleFaults() {
        long round = profile.workload().toMillis() / profile.faultRounds();
        for (int r = 0; r < profile.faultRounds(); r++) {
            long base = r * round;
            long step = round / 9;
            fault(base + step, "kill -9 run-service", () -> restart(stack.runService(), () -> {
                stack.runService().start().awaitHttpOk(stack.runServiceUrl() + "/health", Duration.ofMinutes(2));
            }));
            fault(base + 2 * step, "kill -9 sweeper-0", () -> {
                kill(stack.sweeper(0));
                pause();
                stack.startSweeper(0);
            });
            fault(base + 3 * step, "kill -9 both sweepers", () -> {
                kill(stack.sweeper(0));
                kill(stack.sweeper(1));
                pause();
                stack.startSweeper(0);
                stack.startSweeper(1);
            });
            fault(base + 4 * step, "kill -9 cleaner", () -> restart(stack.cleaner(), () ->
                    stack.cleaner().start().awaitHttpOk(stack.cleanerUrl() + "/health", Duration.ofMinutes(2))));
            fault(base + 5 * step, "kill -9 broker", () -> {
                stack.kafka().kill();
                pause();
                stack.kafka().restart();
            });
            fault(base + 6 * step, "PostgreSQL immediate shutdown", () -> {
                stack.postgres().kill();
                pause();
                stack.postgres().restart();
            });
            fault(base + 7 * step, "SIGSTOP sweeper-1 past every heartbeat timeout", () -> {
                stack.sweeper(1).suspend();
                Thread.sleep(HEARTBEAT.toMillis() * 2);
                stack.sweeper(1).resume();
            });
        }
    }

    private void fault(long at, String what, Action action) {
        long jittered = Math.max(1_000, at + random.nextInt(2_000) - 1_000);
        faults.schedule(() -> {
            faultLog.add(String.format(Locale.ROOT, "%5.1f s  %s", jittered / 1000.0, what));
            LOG.warn("FAULT: {}", what);
            try {
                action.run();
            } catch (Exception e) {
                errors.add(what + ": " + e);
                LOG.error("fault '{}' could not be played", what, e);
            }
        }, jittered, TimeUnit.MILLISECONDS);
    }

    private void restart(JavaProcess process, Action start) throws Exception {
        kill(process);
        pause();
        start.run();
    }

    private void kill(JavaProcess process) {
        killedByUs.add(process.name());
        process.kill();
    }

    private void pause() throws InterruptedException {
        Thread.sleep(3_000 + random.nextInt(3_000));
    }

    private void watchProcesses() {
        List<JavaProcess> processes = new ArrayList<>(List.of(stack.runService(), stack.cleaner(), stack.sweeper(0),
                stack.sweeper(1)));
        for (JavaProcess process : processes) {
            if (process.isAlive()) {
                killedByUs.remove(process.name());
            } else if (!killedByUs.contains(process.name())) {
                crashes.merge(process.name(), 1, Integer::sum);
                killedByUs.add(process.name()); // count one crash, not one per second
            }
        }
    }

    // ---------------------------------------------------------------- poison

    /** Bad records on every topic a Vigil service reads, and valid records that must change nothing. */
    private void schedulePoison() {
        long every = profile.workload().toMillis() / 4;
        for (long at = 5_000; at < profile.workload().toMillis(); at += every) {
            scheduler.schedule(this::poison, at, TimeUnit.MILLISECONDS);
        }
    }

    private void poison() {
        List<String> inputs = List.of(stack.topics().heartbeats().name(), stack.topics().agentHeartbeats().name(),
                stack.topics().runEvents().name(), stack.topics().timeouts().name(), stack.topics().runActivity().name());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000), new ByteArraySerializer(), new ByteArraySerializer())) {
            String sample = new String(EventJson.write(Heartbeat.of("poison-run", 1, null, 0, null, null)), StandardCharsets.UTF_8);
            List<byte[]> poisons = List.of(
                    new byte[] {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef},
                    ("{\"type\":\"Heartbeat\",\"pad\":\"" + "x".repeat(70_000) + "\"}").getBytes(StandardCharsets.UTF_8),
                    sample.replace("\"version\":1", "\"version\":9").getBytes(StandardCharsets.UTF_8),
                    sample.replace("\"runId\":\"poison-run\",", "").getBytes(StandardCharsets.UTF_8));
            for (String topic : inputs) {
                for (byte[] value : poisons) {
                    producer.send(new ProducerRecord<>(topic, "poison-run".getBytes(StandardCharsets.UTF_8), value)).get();
                    poisonSent.merge(topic, 1, Integer::sum);
                }
            }
            // Valid records that must change nothing: an unknown run, and a duplicated timeout.
            producer.send(new ProducerRecord<>(stack.topics().heartbeats().name(), "ghost".getBytes(StandardCharsets.UTF_8),
                    EventJson.write(Heartbeat.of("ghost", 1, null, 0, null, null)))).get();
            byte[] duplicate = EventJson.write(RunTimedOut.of("ghost", 1, Reason.HEARTBEAT_TIMEOUT, Instant.now(),
                    null, null, false, null));
            producer.send(new ProducerRecord<>(stack.topics().timeouts().name(), "ghost".getBytes(), duplicate)).get();
            producer.send(new ProducerRecord<>(stack.topics().timeouts().name(), "ghost".getBytes(), duplicate)).get();
        } catch (Exception e) {
            errors.add("poison: " + e);
        }
    }

    // ---------------------------------------------------------------- counting

    private void awaitQuiescence() throws Exception {
        long deadline = System.currentTimeMillis() + Duration.ofMinutes(3).toMillis();
        while (System.currentTimeMillis() < deadline) {
            Map<String, DbRun> rows = dbRuns();
            boolean settled = runs.stream().allMatch(r -> r.id != null && rows.containsKey(r.id)
                    && isTerminal(rows.get(r.id).status) && rows.get(r.id).attempt >= r.expectedAttempt());
            if (settled && leakedResources(rows).isEmpty()) {
                break;
            }
            Thread.sleep(2_000);
        }
        Thread.sleep(5_000); // let late duplicates, if any, arrive before counting
    }

    record DbRun(String id, int attempt, String status, String reason, Instant finishedAt) {
    }

    private Map<String, DbRun> dbRuns() throws Exception {
        Map<String, DbRun> rows = new HashMap<>();
        try (Connection c = DriverManager.getConnection(stack.postgres().jdbcUrl(), stack.postgres().username(),
                stack.postgres().password());
             ResultSet rs = c.createStatement().executeQuery(
                     "select id, attempt, status, reason, finished_at from runs where workspace = 'faults'")) {
            while (rs.next()) {
                rows.put(rs.getString(1), new DbRun(rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4),
                        rs.getTimestamp(5) == null ? null : rs.getTimestamp(5).toInstant()));
            }
        } catch (Exception databaseRestarting) {
            return rows;
        }
        return rows;
    }

    private long terminalWritesOverOne() throws Exception {
        try (Connection c = DriverManager.getConnection(stack.postgres().jdbcUrl(), stack.postgres().username(),
                stack.postgres().password());
             ResultSet rs = c.createStatement().executeQuery("""
                     select count(*) from (select run_id, attempt from run_audit
                       where workspace = 'faults' and action in ('finished', 'timed_out', 'force_terminated', 'force_stopped')
                       group by run_id, attempt having count(*) > 1) doubled""")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private List<String> leakedResources(Map<String, DbRun> rows) {
        List<String> leaked = new ArrayList<>();
        for (var deployment : kubernetes.apps().deployments().inNamespace(NS).list().getItems()) {
            String run = deployment.getMetadata().getLabels().get(Labels.DEFAULT_RUN_LABEL);
            DbRun row = run == null ? null : rows.get(run);
            if (row != null && isTerminal(row.status)) {
                leaked.add("Deployment/" + deployment.getMetadata().getName());
            }
        }
        for (var service : kubernetes.services().inNamespace(NS).list().getItems()) {
            String run = service.getMetadata().getLabels().get(Labels.DEFAULT_RUN_LABEL);
            DbRun row = run == null ? null : rows.get(run);
            if (row != null && isTerminal(row.status)) {
                leaked.add("Service/" + service.getMetadata().getName());
            }
        }
        return leaked;
    }

    private Report count(long elapsedMs) throws Exception {
        Map<String, DbRun> rows = dbRuns();
        int lost = 0;
        int falseTimeouts = 0;
        int wrongOutcome = 0;
        List<Long> delays = new ArrayList<>();
        for (Planned run : runs) {
            DbRun row = run.id == null ? null : rows.get(run.id);
            if (row == null || !isTerminal(row.status) || row.attempt < run.expectedAttempt()) {
                lost++;
                errors.add("lost: " + run.fate + " " + run.key + " " + row);
                continue;
            }
            if (!run.expected().contains(row.status)) {
                if ("TIMED_OUT".equals(row.status)) {
                    falseTimeouts++;
                } else {
                    wrongOutcome++;
                }
                errors.add("unexpected: " + run.fate + " " + run.key + " ended " + row.status + "/" + row.reason);
            }
            if (run.diedAt > 0 && row.finishedAt != null) {
                delays.add(row.finishedAt.toEpochMilli() - (run.diedAt + HEARTBEAT.toMillis()));
            }
            if (run.fate == Fate.ZOMBIE_AFTER_RETRY && run.zombieFinishStatus != 409) {
                errors.add("zombie finish of " + run.key + " answered " + run.zombieFinishStatus);
                wrongOutcome++;
            }
        }
        long auditDoubles = terminalWritesOverOne();
        if (auditDoubles > 0) {
            errors.add(auditDoubles + " run attempt(s) with more than one terminal write in run_audit");
        }
        long doubles = auditDoubles + doubleRunFinished();
        List<String> leaked = leakedResources(rows);
        long wronglyDeleted = wronglyDeleted(rows);
        Map<String, Integer> deadLettered = deadLettered();
        Collections.sort(delays);
        return new Report(profile, runs.size(), lost, falseTimeouts, wrongOutcome, doubles, redeliveries, leaked.size(),
                wronglyDeleted, poisonSent, deadLettered, crashes, delays, faultLog, errors, elapsedMs);
    }

    /**
     * Run attempts with more than one RunFinished event (distinct event ids). The outbox publishes at
     * least once: a relay killed between the broker's ack and its database commit sends the same
     * event again, which consumers dedupe; such redeliveries are counted apart.
     */
    private long doubleRunFinished() {
        Map<String, Set<String>> events = new HashMap<>();
        for (ConsumerRecord<String, RunEvent> record : KafkaRecords.readUntil(stack.kafkaBootstrap(),
                stack.topics().runEvents().name(), lenient(stack.topics().runEvents().valueSerde().deserializer()),
                Duration.ofSeconds(10), rs -> false)) {
            if (record.value() instanceof RunFinished f) {
                String attempt = f.runId() + "#" + f.attempt();
                if (!events.computeIfAbsent(attempt, a -> new HashSet<>()).add(f.eventId())) {
                    redeliveries++;
                }
            }
        }
        events.forEach((attempt, ids) -> {
            if (ids.size() > 1) {
                errors.add("double RunFinished for " + attempt + ": " + ids);
            }
        });
        return events.values().stream().filter(ids -> ids.size() > 1).count();
    }

    /** Neighbours gone, or a run's resources deleted for an attempt before that attempt ended. */
    private long wronglyDeleted(Map<String, DbRun> rows) {
        long wrong = 0;
        for (Planned run : runs) {
            if (run.id == null || !run.key.endsWith("0")) {
                continue;
            }
            String name = "r-" + run.id.substring(0, 8);
            wrong += kubernetes.configMaps().inNamespace(NS).withName("neighbour-session-" + name).get() == null ? 1 : 0;
            wrong += kubernetes.configMaps().inNamespace(NS).withName("neighbour-managed-" + name).get() == null ? 1 : 0;
            wrong += kubernetes.configMaps().inNamespace("elsewhere").withName("neighbour-elsewhere-" + name).get() == null
                    ? 1 : 0;
        }
        Map<String, Long> finishedAt = new HashMap<>();
        List<ConsumerRecord<String, RunEvent>> events = KafkaRecords.readUntil(stack.kafkaBootstrap(),
                stack.topics().runEvents().name(), lenient(stack.topics().runEvents().valueSerde().deserializer()),
                Duration.ofSeconds(10), rs -> false);
        for (ConsumerRecord<String, RunEvent> record : events) {
            if (record.value() instanceof RunFinished f) {
                finishedAt.putIfAbsent(f.runId() + "#" + f.attempt(), record.timestamp());
            }
        }
        Set<String> attempt2Resources = new HashSet<>();
        for (Planned run : runs) {
            if (run.fate == Fate.ZOMBIE_AFTER_RETRY && run.id != null) {
                attempt2Resources.add("a2-" + run.id.substring(0, 8));
            }
        }
        for (ConsumerRecord<String, CleanupPerformed> record : KafkaRecords.readUntil(stack.kafkaBootstrap(),
                stack.topics().cleanups().name(), lenient(stack.topics().cleanups().valueSerde().deserializer()),
                Duration.ofSeconds(10), rs -> false)) {
            CleanupPerformed cleanup = record.value();
            if (cleanup == null || !"DELETED".equals(cleanup.outcome().name())) {
                continue;
            }
            Long ended = finishedAt.get(cleanup.runId() + "#" + cleanup.attempt());
            if (ended == null || record.timestamp() < ended
                    || (attempt2Resources.contains(cleanup.name()) && cleanup.attempt() < 2)) {
                wrong++;
                errors.add("wrongly deleted: " + cleanup);
            }
        }
        return wrong;
    }

    /** Dead-lettered records by source topic and consumer. */
    private Map<String, Integer> deadLettered() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (ConsumerRecord<String, byte[]> record : KafkaRecords.readUntil(stack.kafkaBootstrap(),
                stack.topics().deadLetters().name(), new ByteArrayDeserializer(), Duration.ofSeconds(10), rs -> false)) {
            String source = header(record, VigilHeaders.DLQ_SOURCE_TOPIC);
            String consumer = header(record, VigilHeaders.DLQ_CONSUMER);
            counts.merge(source + " by " + consumer, 1, Integer::sum);
        }
        return counts;
    }

    private static String header(ConsumerRecord<?, ?> record, String key) {
        var header = record.headers().lastHeader(key);
        return header == null ? "?" : new String(header.value(), StandardCharsets.UTF_8);
    }

    /** Reads the counting topics past the poison we wrote into them ourselves. */
    private static <T> org.apache.kafka.common.serialization.Deserializer<T> lenient(
            org.apache.kafka.common.serialization.Deserializer<T> strict) {
        return new org.apache.kafka.common.serialization.Deserializer<>() {
            @Override
            public T deserialize(String topic, byte[] data) {
                try {
                    return strict.deserialize(topic, data);
                } catch (RuntimeException poison) {
                    return null;
                }
            }

            @Override
            public T deserialize(String topic, org.apache.kafka.common.header.Headers headers, byte[] data) {
                try {
                    return strict.deserialize(topic, headers, data);
                } catch (RuntimeException poison) {
                    return null;
                }
            }
        };
    }

    private void awaitStatus(String id, Set<String> statuses, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode run = api.get(id);
            if (statuses.contains(run.path("status").asText())) {
                return;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("run " + id + " did not reach " + statuses + " within " + within);
    }

    private void awaitAttempt(String id, int attempt) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (api.get(id).path("attempt").asInt() < attempt) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("run " + id + " never reached attempt " + attempt);
            }
            api.retry(id);
            Thread.sleep(250);
        }
    }

    private void guarded(Planned run, Action action) {
        try {
            action.run();
        } catch (Exception e) {
            errors.add("workload " + run.fate + " " + run.key + ": " + e);
            LOG.warn("workload step for {} failed: {}", run.key, e.toString());
        }
    }

    private static boolean isTerminal(String status) {
        return Set.of("SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT").contains(status);
    }

    private interface Action {
        void run() throws Exception;
    }
}
