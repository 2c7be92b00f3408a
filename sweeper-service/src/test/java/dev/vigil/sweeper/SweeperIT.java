package dev.vigil.sweeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.contracts.VigilHeaders;
import dev.vigil.contracts.event.FirstHeartbeatReceived;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunActivity;
import dev.vigil.contracts.event.RunCreated;
import dev.vigil.contracts.event.RunEvent;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.heartbeat.HeartbeatClient;
import dev.vigil.contracts.heartbeat.RunHeartbeat;
import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.infra.KafkaBroker;
import dev.vigil.infra.KafkaRecords;
import dev.vigil.infra.ManagementEndpoints;
import dev.vigil.infra.RealInfraExtension;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The sweeper against a real broker: real ticks, real exactly-once, a real restart from changelogs. */
@ExtendWith(RealInfraExtension.class)
class SweeperIT {

    private static final TopicCatalog TOPICS = new TopicCatalog("sweeper-it.");
    private static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(2);
    private static String bootstrap;
    private static EmbeddedServer sweeper;
    private static HeartbeatClient workers;

    @BeforeAll
    static void start(KafkaBroker kafka) throws Exception {
        bootstrap = kafka.bootstrapServers();
        sweeper = startSweeper();
        workers = HeartbeatClient.builder(bootstrap).topicPrefix(TOPICS.prefix()).build();
    }

    @AfterAll
    static void stop() {
        workers.close();
        sweeper.getApplicationContext().close();
    }

    @Test
    void timesOutExactlyTheRunsThatStopHeartbeatingAcrossARestartFromChangelogs() throws Exception {
        Map<String, RunHeartbeat> runs = new LinkedHashMap<>();
        for (int i = 0; i < 6; i++) {
            String runId = "it-run-" + i;
            create(runId);
            runs.put(runId, workers.startRun(runId, 1, HEARTBEAT_TIMEOUT));
        }
        List<ConsumerRecord<String, RunActivity>> started = KafkaRecords.readUntil(bootstrap, TOPICS.runActivity().name(),
                TOPICS.runActivity().valueSerde().deserializer(), Duration.ofSeconds(60),
                rs -> rs.stream().filter(r -> r.value() instanceof FirstHeartbeatReceived).count() >= 6);
        assertThat(started).filteredOn(r -> r.value() instanceof FirstHeartbeatReceived).hasSize(6);

        long stoppedAt = System.currentTimeMillis();
        runs.get("it-run-0").close();
        runs.get("it-run-1").close();
        Map<String, Long> seenAt = awaitTimeouts(2, Duration.ofSeconds(30));
        assertThat(seenAt).containsOnlyKeys("it-run-0", "it-run-1");
        assertThat(seenAt.values()).allSatisfy(at -> assertThat(at - stoppedAt)
                .as("detected within the heartbeat timeout + 1 s").isLessThanOrEqualTo(HEARTBEAT_TIMEOUT.toMillis() + 1_000));

        // A new instance on an empty state directory (a replaced pod) takes over; while it is away,
        // healthy workers keep beating into the topic and one more worker dies.
        sweeper.getApplicationContext().close();
        runs.get("it-run-2").close();
        Awaitility.await().pollDelay(Duration.ofSeconds(4)).until(() -> true);
        sweeper = startSweeper();

        Map<String, Long> afterRestart = awaitTimeouts(3, Duration.ofSeconds(60));
        Awaitility.await().pollDelay(Duration.ofSeconds(4)).until(() -> true);
        List<RunTimedOut> all = timeouts().stream().map(ConsumerRecord::value).toList();
        assertThat(afterRestart).containsOnlyKeys("it-run-0", "it-run-1", "it-run-2");
        assertThat(all).as("no false and no repeated timeouts").hasSize(3)
                .allSatisfy(t -> assertThat(t.reason()).isEqualTo(Reason.HEARTBEAT_TIMEOUT));
        runs.values().forEach(RunHeartbeat::close);
    }

    /** Probes and scrapes are anonymous; configuration, log levels, beans, refresh and stop are not there. */
    @Test
    void onlyHealthAndMetricsAnswerWithoutCredentials() {
        assertThat(ManagementEndpoints.problems(sweeper.getURI())).isEmpty();
    }

    @Test
    void poisonGoesToTheDeadLetterTopicAndTheServiceStaysHealthy() throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(TOPICS.heartbeats().name(), "poison".getBytes(), new byte[] {0, 1, 2}))
                    .get(10, TimeUnit.SECONDS);
        }
        List<ConsumerRecord<String, byte[]>> dead = KafkaRecords.readUntil(bootstrap, TOPICS.deadLetters().name(),
                new ByteArrayDeserializer(), Duration.ofSeconds(30), rs -> !rs.isEmpty());
        assertThat(dead).singleElement().satisfies(r -> {
            assertThat(r.value()).containsExactly(0, 1, 2);
            assertThat(new String(r.headers().lastHeader(VigilHeaders.DLQ_REASON).value(), StandardCharsets.UTF_8))
                    .startsWith("not valid JSON");
        });

        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(sweeper.getURI().resolve("/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"UP\"");
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(sweeper.getURI().resolve("/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString());
        // Samples, not only HELP lines: Prometheus drops a "_created" suffix from a counter's samples.
        assertThat(metrics.body()).containsPattern("(?m)^vigil_sweeper_runs_armed_total [0-9.]+$")
                .containsPattern("(?m)^vigil_sweeper_sweep_duration_seconds_count [0-9.]+$")
                .contains("vigil_sweeper_dead_letters_total", "vigil_sweeper_tracked_runs");
    }

    @Test
    void aSweeperWhoseStateDirectoryIsStillLockedWaitsForItInsteadOfExiting() throws Exception {
        Path stateDir = Files.createTempDirectory("sweeper-it-locked");
        Path lock = stateDir.resolve("sweeper-it-locked").resolve(".lock");
        Files.createDirectories(lock.getParent());
        // Another process (a predecessor not yet reaped) holds the lock for 4 s: a POSIX lock, as the JVM takes.
        Process holder = new ProcessBuilder("python3", "-c", "import fcntl,sys,time; f=open(sys.argv[1],'a'); "
                + "fcntl.lockf(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(4)", lock.toString())
                .redirectErrorStream(true).start();
        assertThat(new String(holder.getInputStream().readNBytes(6), StandardCharsets.UTF_8)).isEqualTo("locked");
        long started = System.nanoTime();
        try (EmbeddedServer second = ApplicationContext.run(EmbeddedServer.class, Map.of(
                "micronaut.server.port", -1,
                "vigil.topic-prefix", TOPICS.prefix(),
                "vigil.kafka.bootstrap-servers", bootstrap,
                "vigil.sweeper.application-id", "sweeper-it-locked",
                "vigil.sweeper.state-dir", stateDir.toString(),
                "vigil.kafka.replication-factor", 1))) {
            assertThat(holder.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("it waited for the lock")
                    .isGreaterThanOrEqualTo(Duration.ofSeconds(3));
            assertThat(second.getApplicationContext().getBean(SweeperService.class).state())
                    .isIn(org.apache.kafka.streams.KafkaStreams.State.CREATED, org.apache.kafka.streams.KafkaStreams.State.REBALANCING,
                            org.apache.kafka.streams.KafkaStreams.State.RUNNING);
        } finally {
            holder.destroyForcibly();
        }
    }

    @Test
    void aSweeperStartedWhileTheBrokerIsDownWaitsForItInsteadOfExiting() throws Exception {
        // The broker "comes back" 6 s after the sweeper starts: a port that forwards to it opens only then,
        // while every admin call gives up after 2 s (so a single try would fail, as it did on a restart).
        int port = dev.vigil.infra.KafkaServerProcess.freePort();
        String[] broker = bootstrap.split(":");
        try (LateForwarder forwarder = new LateForwarder(port, broker[0], Integer.parseInt(broker[1]),
                Duration.ofSeconds(6));
             EmbeddedServer late = ApplicationContext.run(EmbeddedServer.class, Map.of(
                     "micronaut.server.port", -1,
                     "vigil.topic-prefix", TOPICS.prefix(),
                     "vigil.kafka.bootstrap-servers", "localhost:" + port,
                     "vigil.kafka.client.default.api.timeout.ms", "2000",
                     "vigil.kafka.client.request.timeout.ms", "1000",
                     "vigil.sweeper.application-id", "sweeper-it-late",
                     "vigil.sweeper.state-dir", Files.createTempDirectory("sweeper-it-late").toString(),
                     "vigil.kafka.replication-factor", 1))) {
            assertThat(forwarder.opened()).as("it started only after the broker answered").isTrue();
            assertThat(late.getApplicationContext().getBean(SweeperService.class).state())
                    .isNotEqualTo(org.apache.kafka.streams.KafkaStreams.State.ERROR);
        }
    }

    @Test
    void aSweeperToldToRequireTokensWithoutTheSecretRefusesToStart() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ApplicationContext.run(EmbeddedServer.class, Map.of(
                        "micronaut.server.port", -1,
                        "vigil.topic-prefix", TOPICS.prefix(),
                        "vigil.kafka.bootstrap-servers", bootstrap,
                        "vigil.heartbeats.require-token", true,
                        "vigil.sweeper.application-id", "sweeper-it-no-secret",
                        "vigil.sweeper.state-dir", Files.createTempDirectory("sweeper-it-no-secret").toString())))
                .hasStackTraceContaining("heartbeat secret must be at least 32 bytes");
    }

    /** Opens {@code port} only after {@code delay}, then forwards each connection to the broker. */
    private static final class LateForwarder implements AutoCloseable {
        private final java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newCachedThreadPool();
        private final java.util.concurrent.CountDownLatch open = new java.util.concurrent.CountDownLatch(1);
        private volatile java.net.ServerSocket server;

        LateForwarder(int port, String host, int target, Duration delay) {
            threads.submit(() -> {
                Thread.sleep(delay.toMillis());
                server = new java.net.ServerSocket(port);
                open.countDown();
                while (!server.isClosed()) {
                    java.net.Socket in = server.accept();
                    java.net.Socket out = new java.net.Socket(host, target);
                    threads.submit(() -> in.getInputStream().transferTo(out.getOutputStream()));
                    threads.submit(() -> out.getInputStream().transferTo(in.getOutputStream()));
                }
                return null;
            });
        }

        boolean opened() {
            return open.getCount() == 0;
        }

        @Override
        public void close() throws Exception {
            if (server != null) {
                server.close();
            }
            threads.shutdownNow();
        }
    }

    private static Map<String, Long> awaitTimeouts(int count, Duration within) {
        Map<String, Long> seenAt = new HashMap<>();
        Awaitility.await().atMost(within).pollInterval(Duration.ofMillis(50)).until(() -> {
            for (ConsumerRecord<String, RunTimedOut> record : timeouts()) {
                seenAt.putIfAbsent(record.key(), System.currentTimeMillis());
            }
            return seenAt.size() >= count;
        });
        return seenAt;
    }

    private static List<ConsumerRecord<String, RunTimedOut>> timeouts() {
        return KafkaRecords.readUntil(bootstrap, TOPICS.timeouts().name(), TOPICS.timeouts().valueSerde().deserializer(),
                Duration.ofMillis(300), rs -> false);
    }

    private static void create(String runId) throws Exception {
        try (KafkaProducer<String, RunEvent> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringSerializer(),
                TOPICS.runEvents().valueSerde().serializer())) {
            producer.send(new ProducerRecord<>(TOPICS.runEvents().name(), runId, RunCreated.of(runId, 1, "acme",
                    "key-" + runId, "it", null, SweeperHarness.timeouts(HEARTBEAT_TIMEOUT.toMillis(), 30_000, 30_000,
                            3_600_000), null))).get(10, TimeUnit.SECONDS);
        }
    }

    private static EmbeddedServer startSweeper() throws Exception {
        return ApplicationContext.run(EmbeddedServer.class, Map.of(
                "micronaut.server.port", -1,
                "vigil.topic-prefix", TOPICS.prefix(),
                "vigil.kafka.bootstrap-servers", bootstrap,
                "vigil.sweeper.application-id", "sweeper-it",
                "vigil.sweeper.state-dir", Files.createTempDirectory("sweeper-it").toString(),
                "vigil.kafka.replication-factor", 1));
    }

}
