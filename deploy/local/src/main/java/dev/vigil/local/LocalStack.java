package dev.vigil.local;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.infra.EmbeddedPostgres;
import dev.vigil.infra.JavaProcess;
import dev.vigil.infra.KafkaServerProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole of Vigil on one machine, on embedded defaults: a real KRaft broker (its own JVM), a real
 * PostgreSQL 17, a Kubernetes API (fabric8's CRUD mock with discovery, so kubectl works), and
 * run-service, sweeper-service and k8s-cleaner-service each in its own JVM, as in production.
 * Used by {@code ./vigil-local} and by the end-to-end test.
 */
public final class LocalStack implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalStack.class);
    static final String JWT_SECRET = "vigil-local-dev-secret-0123456789abcdef";
    /** Signs heartbeat tokens here; the sweepers require them only with {@link Options#requiringTokens()}. */
    static final String HEARTBEAT_SECRET = "vigil-local-heartbeat-secret-0123456789abcdef";
    /** The services' JVM flags as the container images run them: the full JIT. For measuring. */
    public static final List<String> PRODUCTION_JVM = List.of("-Xmx512m", "-XX:+UseSerialGC",
            "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener");
    /** The same, quick to start (C1 only): the default; see {@link Options#production()}. */
    static final List<String> SERVICE_JVM = java.util.stream.Stream.concat(PRODUCTION_JVM.stream(),
            java.util.stream.Stream.of("-XX:TieredStopAtLevel=1")).toList();

    /**
     * Where and how to run.
     *
     * @param dir where data and logs go (e.g. {@code .vigil/})
     * @param repo the repository root (to find the service jars)
     * @param namespace the Kubernetes namespace runs' resources live in (the cleaner's allow-list)
     * @param gcInterval how often the cleaner garbage-collects orphans
     * @param serviceJvm the services' JVM flags
     * @param brokers 1: one KRaft broker (its own controller) on {@code kafkaPort}; more: a cluster of that many
     *                brokers on free ports and a controller of their own, topics replicated three times with
     *                min.insync.replicas 2
     */
    public record Options(Path dir, Path repo, int kafkaPort, int postgresPort, int kubernetesPort, int runServicePort,
                          int sweeperPort, int cleanerPort, String namespace, Duration gcInterval, int sweepers,
                          List<String> serviceJvm, boolean requireTokens, int brokers) {

        /** Fixed, documented ports: Kafka 9092, PostgreSQL 5433, Kubernetes 6443, services 8080-8082. */
        public static Options defaults(Path repo) {
            return new Options(repo.resolve(".vigil"), repo, 9092, 5433, 6443, 8080, 8081, 8082, "agents",
                    Duration.ofSeconds(30), 1, SERVICE_JVM, false, 1);
        }

        /** Free ports everywhere, data in {@code dir}: for tests and harnesses next to a running stack. */
        public static Options onFreePorts(Path dir, Path repo, int sweepers) {
            return new Options(dir, repo, KafkaServerProcess.freePort(), KafkaServerProcess.freePort(),
                    KafkaServerProcess.freePort(), KafkaServerProcess.freePort(), KafkaServerProcess.freePort(),
                    KafkaServerProcess.freePort(), "agents", Duration.ofHours(1), sweepers, SERVICE_JVM, false, 1);
        }

        /** The same, with the services on the full JIT as in production: for benchmarks. */
        public Options production() {
            return new Options(dir, repo, kafkaPort, postgresPort, kubernetesPort, runServicePort, sweeperPort,
                    cleanerPort, namespace, gcInterval, sweepers, PRODUCTION_JVM, requireTokens, brokers);
        }

        /** The same, with the sweepers dead-lettering heartbeats that lack their attempt's token. */
        public Options requiringTokens() {
            return new Options(dir, repo, kafkaPort, postgresPort, kubernetesPort, runServicePort, sweeperPort,
                    cleanerPort, namespace, gcInterval, sweepers, serviceJvm, true, brokers);
        }

        /** The same, on a Kafka cluster of {@code count} brokers. */
        public Options withBrokers(int count) {
            return new Options(dir, repo, kafkaPort, postgresPort, kubernetesPort, runServicePort, sweeperPort,
                    cleanerPort, namespace, gcInterval, sweepers, serviceJvm, requireTokens, count);
        }

        /** The HTTP port of sweeper {@code i} (from 0): consecutive ports after the first for extra instances. */
        int sweeperPort(int i) {
            return i == 0 ? sweeperPort : sweeperPort + 1000 + i;
        }
    }

    private final Options options;
    private final TopicCatalog topics = TopicCatalog.withDefaultPrefix();
    private List<KafkaServerProcess> kafka = List.of();
    /** A cluster's controller (null with one broker, which is its own). */
    private KafkaServerProcess controller;
    private EmbeddedPostgres postgres;
    private KubernetesApi kubernetes;
    private JavaProcess runService;
    private final List<JavaProcess> sweepers = new java.util.ArrayList<>();
    private JavaProcess cleaner;

    private LocalStack(Options options) {
        this.options = options;
    }

    /** Starts everything and waits until every service is healthy. */
    public static LocalStack start(Options options) {
        LocalStack stack = new LocalStack(options);
        try {
            stack.startAll();
            return stack;
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
    }

    private void startAll() {
        long started = System.nanoTime();
        mkdirs(options.dir());
        if (options.brokers() == 1) {
            kafka = List.of(KafkaServerProcess.start(options.kafkaPort(), options.dir().resolve("kafka")));
        } else {
            KafkaServerProcess.Cluster cluster = KafkaServerProcess.cluster(options.brokers(),
                    options.dir().resolve("kafka-cluster"));
            controller = cluster.controller();
            kafka = cluster.brokers();
        }
        postgres = EmbeddedPostgres.start(options.postgresPort(), options.dir().resolve("postgres"));
        kubernetes = KubernetesApi.start(options.kubernetesPort());
        runService = service("run-service", options.runServicePort(), Map.of(
                "VIGIL_DB_URL", "jdbc:postgresql://localhost:" + options.postgresPort() + "/postgres",
                "VIGIL_DB_USER", postgres.username(),
                "VIGIL_DB_PASSWORD", postgres.password(),
                "VIGIL_JWT_SECRET", JWT_SECRET,
                "VIGIL_HEARTBEATS_SECRET", HEARTBEAT_SECRET,
                // The local stack's webhook receivers are local, and a failed delivery is retried within a second.
                "VIGIL_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true", "VIGIL_WEBHOOKS_FIRST_RETRY", "1s")).start();
        for (int i = 0; i < options.sweepers(); i++) {
            sweepers.add(sweeperProcess(i).start());
        }
        cleaner = service("k8s-cleaner-service", options.cleanerPort(), Map.of(
                "VIGIL_CLEANER_KUBERNETES_MASTER_URL", kubernetes.url(),
                "VIGIL_CLEANER_NAMESPACES", options.namespace(),
                "VIGIL_CLEANER_GC_INTERVAL", options.gcInterval().toMillis() + "ms",
                "VIGIL_CLEANER_GC_INITIAL_DELAY", "5s")).start();
        Duration timeout = Duration.ofMinutes(2);
        runService.awaitHealthy(timeout);
        sweepers.forEach(sweeper -> sweeper.awaitHealthy(timeout));
        cleaner.awaitHealthy(timeout);
        LOG.info("Vigil is up in {} s", (System.nanoTime() - started) / 1_000_000_000);
    }

    private JavaProcess sweeperProcess(int i) {
        Map<String, String> env = new java.util.HashMap<>(Map.of(
                "VIGIL_SWEEPER_STATE_DIR", options.dir().resolve("sweeper-state-" + i).toString(),
                "VIGIL_HEARTBEATS_SECRET", HEARTBEAT_SECRET,
                "VIGIL_HEARTBEATS_REQUIRE_TOKEN", String.valueOf(options.requireTokens())));
        if (options.brokers() > 1) {
            // Three broker JVMs and a controller share these two cores with everything else, and every produce
            // request waits for two followers. At the default 50 ms commits the sweepers fell tens of seconds
            // behind (the fault suite's cluster profile, seed 7); at 200 ms commits and 50 ms ticks they were still
            // up to 24 s behind before the first fault (seed 10: the stream thread waiting in its producer's flush);
            // at 200 ms for both, 4 s at worst.
            env.put("VIGIL_SWEEPER_COMMIT_INTERVAL", "200ms");
            env.put("VIGIL_SWEEPER_TICK_INTERVAL", "200ms");
        }
        return service("sweeper-service", options.sweeperPort(i), env, "sweeper-" + i);
    }

    private JavaProcess service(String name, int port, Map<String, String> env) {
        return service(name, port, env, name);
    }

    private JavaProcess service(String name, int port, Map<String, String> env, String instance) {
        Path jar = options.repo().resolve(name).resolve("target").resolve("vigil-" + name + ".jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: build first with ./mvnw -q install -DskipTests");
        }
        Map<String, String> all = new java.util.HashMap<>(env);
        all.put("PORT", Integer.toString(port));
        all.put("KAFKA_BOOTSTRAP_SERVERS", kafkaBootstrap());
        all.put("VIGIL_TOPIC_PREFIX", topics.prefix());
        return new JavaProcess(instance, jar, options.serviceJvm(), all, options.dir().resolve("logs").resolve(instance + ".log"),
                "http://localhost:" + port + "/health");
    }

    /**
     * Stops sweeper {@code i} (SIGTERM: it leaves the consumer group at once, a rebalance), starts it
     * again on the same state directory (another) and waits until it is healthy.
     */
    public void bounceSweeper(int i) {
        JavaProcess sweeper = sweepers.get(i);
        sweeper.close();
        sweeper.start().awaitHealthy(Duration.ofMinutes(2));
    }

    /** Kills the (first) sweeper (SIGKILL) and starts a new one on the same state directory. */
    public void restartSweeper() {
        restartSweeper(0);
    }

    /**
     * Kills sweeper {@code i} (SIGKILL), and once it is reaped starts it again on the same state
     * directory and waits until it is healthy. The same process object throughout: it refuses to start
     * while the old process lives, so one instance never runs twice.
     */
    public void restartSweeper(int i) {
        JavaProcess sweeper = sweepers.get(i);
        sweeper.kill();
        sweeper.start().awaitHealthy(Duration.ofMinutes(2));
    }

    public JavaProcess sweeper(int i) {
        return sweepers.get(i);
    }

    public JavaProcess runService() {
        return runService;
    }

    public JavaProcess cleaner() {
        return cleaner;
    }

    public KafkaServerProcess kafka() {
        return kafka.get(0);
    }

    /** Every broker of the cluster (one, unless {@link Options#withBrokers}). */
    public List<KafkaServerProcess> kafkaNodes() {
        return kafka;
    }

    public EmbeddedPostgres postgres() {
        return postgres;
    }

    /** A bearer token for workspace {@code workspace} with the operator role, valid for 30 days (local use only). */
    public String token(String subject, String workspace) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder()
                    .subject(subject).claim("workspace", workspace).claim("roles", List.of("operator"))
                    .expirationTime(Date.from(Instant.now().plus(Duration.ofDays(30)))).build());
            jwt.sign(new MACSigner(JWT_SECRET));
            return jwt.serialize();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Mints heartbeat tokens as run-service issues them (for harnesses that beat for runs they did not create). */
    public dev.vigil.contracts.heartbeat.HeartbeatTokens heartbeatTokens() {
        return new dev.vigil.contracts.heartbeat.HeartbeatTokens(HEARTBEAT_SECRET);
    }

    public String runServiceUrl() {
        return "http://localhost:" + options.runServicePort();
    }

    public String cleanerUrl() {
        return "http://localhost:" + options.cleanerPort();
    }

    public String kafkaBootstrap() {
        return KafkaServerProcess.bootstrapServers(kafka);
    }

    public String kubernetesUrl() {
        return kubernetes.url();
    }

    public KubernetesApi kubernetes() {
        return kubernetes;
    }

    public TopicCatalog topics() {
        return topics;
    }

    public Options options() {
        return options;
    }

    /** Writes the addresses and a dev token to {@code <dir>/stack.env} (shell syntax) and returns its path. */
    public Path writeAddresses(String token) {
        Path file = options.dir().resolve("stack.env");
        String text = "KAFKA_BOOTSTRAP_SERVERS=" + kafkaBootstrap() + "\n"
                + "VIGIL_API=" + runServiceUrl() + "/api/v1/runs\n"
                + "VIGIL_TOKEN=" + token + "\n"
                + "KUBERNETES_API=" + kubernetesUrl() + "\n"
                + "POSTGRES_URL=jdbc:postgresql://localhost:" + options.postgresPort() + "/postgres\n"
                + "SWEEPER_URL=http://localhost:" + options.sweeperPort() + "\n"
                + "CLEANER_URL=http://localhost:" + options.cleanerPort() + "\n";
        try {
            Files.writeString(file, text);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        List<AutoCloseable> parts = new java.util.ArrayList<>();
        parts.add(cleaner);
        parts.addAll(sweepers);
        parts.addAll(java.util.Arrays.asList(runService, kubernetes));
        parts.addAll(kafka);
        parts.add(controller);
        parts.add(postgres);
        for (AutoCloseable part : parts) {
            if (part != null) {
                try {
                    part.close();
                } catch (Exception e) {
                    LOG.warn("could not stop {} cleanly: {}", part, e.toString());
                }
            }
        }
    }

    private static void mkdirs(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
