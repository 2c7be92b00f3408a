package dev.vigil.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real KRaft broker in its own JVM ({@code kafka.Kafka}) on a fixed port with a kept data
 * directory, so it can be killed with SIGKILL and restarted on the same data, as a broker in
 * production would be: alone, broker and controller at once ({@link #start}), or one broker of a cluster
 * ({@link #cluster}) whose quorum is a controller in a JVM of its own, as Strimzi's dedicated controller pool is in
 * production. Used by tests of outages, the local stack and the fault suite.
 */
public final class KafkaServerProcess implements KafkaBroker {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaServerProcess.class);
    /** Below the ephemeral range (see {@link #freePort()}). */
    private static final int LOW_PORT = 16_000;
    private static final int HIGH_PORT = 30_000;
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private final int port;
    private final Path directory;
    private final int nodeId;
    /** {@code process.roles}: {@code broker,controller} alone, {@code broker} or {@code controller} in a cluster. */
    private final String roles;
    /** The quorum, {@code id@host:port}; null: this node alone, on a controller port of its own. */
    private final String voters;
    private final String clusterId;
    private final Map<String, String> settings;
    private Process process;

    private KafkaServerProcess(int port, Path directory, int nodeId, String roles, String voters, String clusterId,
                               Map<String, String> settings) {
        this.port = port;
        this.directory = directory;
        this.nodeId = nodeId;
        this.roles = roles;
        this.voters = voters;
        this.clusterId = clusterId;
        this.settings = settings;
    }

    /**
     * Formats {@code directory} if it holds no broker yet, then starts the broker and waits until it
     * answers.
     *
     * @param port the client port, or 0 for a free one (kept across {@link #restart()})
     */
    public static KafkaServerProcess start(int port, Path directory) {
        KafkaServerProcess broker = new KafkaServerProcess(port == 0 ? freePort() : port, directory, 1,
                "broker,controller", null, Uuid.randomUuid().toString(), InProcessKafka.brokerConfig());
        broker.format();
        broker.launch();
        return broker;
    }

    /**
     * A KRaft cluster: a controller (the quorum, in its own JVM, never killed by the fault suite) and brokers that
     * may be killed and restarted one at a time.
     */
    public record Cluster(KafkaServerProcess controller, List<KafkaServerProcess> brokers) implements AutoCloseable {
        @Override
        public void close() {
            brokers.forEach(KafkaServerProcess::close);
            controller.close();
        }
    }

    /**
     * Starts a KRaft cluster of {@code size} brokers, each in its own JVM with its data in
     * {@code directory/node-<id>}, and their controller in another ({@code directory/controller}), with production
     * replication: topics replicated {@code min(3, size)} times with {@code min.insync.replicas} 2, the offsets and
     * transaction logs too, and a dead broker fenced after 2 s. As in production (Strimzi's dedicated controller and
     * broker pools) a broker's death does not take the quorum's leader with it: with every node both, killing the
     * active controller first waited for a new election, then for a full session timeout before the dead broker was
     * fenced (its partitions moved 5 s after the kill, with 3 s sessions, in the fault suite's cluster profile, seed
     * 10). The controller is never killed here: a quorum of one, not a controller failover. Returns once every
     * broker answers.
     */
    public static Cluster cluster(int size, Path directory) {
        String clusterId = Uuid.randomUuid().toString();
        int controllerId = 0;
        String voters = controllerId + "@localhost:" + freePort();
        Map<String, String> settings = new java.util.HashMap<>(InProcessKafka.brokerConfig());
        String replicas = Integer.toString(Math.min(3, size));
        String inSync = Integer.toString(Math.min(2, size));
        settings.put("default.replication.factor", replicas);
        settings.put("min.insync.replicas", inSync);
        settings.put("offsets.topic.replication.factor", replicas);
        settings.put("transaction.state.log.replication.factor", replicas);
        settings.put("transaction.state.log.min.isr", inSync);
        settings.put("share.coordinator.state.topic.replication.factor", replicas);
        settings.put("share.coordinator.state.topic.min.isr", inSync);
        // A dead broker is fenced, its leaderships moved and its replicas dropped from every ISR once it has missed
        // heartbeats for the session timeout: 9 s by default, which would be a 9 s stall of every partition it led
        // and of every exactly-once commit that touched one. As in production (deploy/k8s/strimzi/production).
        settings.put("broker.session.timeout.ms", "2000");
        settings.put("broker.heartbeat.interval.ms", "500");
        KafkaServerProcess controller = new KafkaServerProcess(-1, directory.resolve("controller"), controllerId,
                "controller", voters, clusterId, Map.copyOf(settings));
        List<KafkaServerProcess> brokers = new ArrayList<>();
        for (int id = 1; id <= size; id++) {
            brokers.add(new KafkaServerProcess(freePort(), directory.resolve("node-" + id), id, "broker", voters,
                    clusterId, Map.copyOf(settings)));
        }
        long started = System.nanoTime();
        controller.format();
        controller.spawn();
        brokers.forEach(KafkaServerProcess::format);
        brokers.forEach(KafkaServerProcess::spawn);
        brokers.forEach(broker -> broker.awaitReady(Duration.ofSeconds(120)));
        LOG.info("Kafka cluster of {} brokers and a controller ready at {} in {} ms", size, bootstrapServers(brokers),
                (System.nanoTime() - started) / 1_000_000);
        return new Cluster(controller, List.copyOf(brokers));
    }

    /** The {@code bootstrap.servers} of a cluster: every node's address. */
    public static String bootstrapServers(List<KafkaServerProcess> nodes) {
        return String.join(",", nodes.stream().map(KafkaServerProcess::bootstrapServers).toList());
    }

    /** This node's id in its cluster (1 for a broker alone). */
    public int nodeId() {
        return nodeId;
    }

    @Override
    public String bootstrapServers() {
        return "localhost:" + port;
    }

    public Path directory() {
        return directory;
    }

    /** The broker process's id (to measure its CPU), or -1 when it is not running. */
    public synchronized long pid() {
        return process != null && process.isAlive() ? process.pid() : -1;
    }

    /** Whether the broker process is running. */
    public synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** SIGKILL: no shutdown hook runs, no log is flushed beyond what the OS already has. */
    public synchronized void kill() {
        if (process != null) {
            process.destroyForcibly();
            waitFor(process);
            LOG.info("Kafka broker on port {} killed", port);
        }
    }

    /** Starts the broker again on the same port and data, after {@link #kill()} or {@link #close()}. */
    public synchronized void restart() {
        if (isAlive()) {
            throw new IllegalStateException("broker is still running");
        }
        launch();
    }

    @Override
    public synchronized void close() {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!waitFor(process)) {
                process.destroyForcibly();
                waitFor(process);
            }
        }
    }

    private void format() {
        try {
            Files.createDirectories(directory);
            Path config = writeConfig();
            if (Files.exists(directory.resolve("logs").resolve("meta.properties"))) {
                return;
            }
            Process format = java("kafka.tools.StorageTool", "format", "-t", clusterId, "-c", config.toString())
                    .redirectOutput(directory.resolve("format.log").toFile())
                    .redirectErrorStream(true)
                    .start();
            if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
                throw new IllegalStateException("formatting the broker storage failed, see " + directory.resolve("format.log"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private synchronized void launch() {
        long started = System.nanoTime();
        spawn();
        awaitReady(Duration.ofSeconds(90));
        LOG.info("Kafka broker {} (pid {}) ready at {} in {} ms", nodeId, process.pid(), bootstrapServers(),
                (System.nanoTime() - started) / 1_000_000);
    }

    private synchronized void spawn() {
        try {
            process = java("kafka.Kafka", directory.resolve("server.properties").toString())
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(directory.resolve("server.log").toFile()))
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2000))) {
            while (true) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the broker exited with " + process.exitValue()
                            + ", see " + directory.resolve("server.log"));
                }
                try {
                    if (!admin.describeCluster().nodes().get(2, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (Exception notYet) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the broker did not answer within " + timeout, notYet);
                    }
                }
            }
        }
    }

    private Path writeConfig() throws IOException {
        String quorum = voters != null ? voters : nodeId + "@localhost:" + freePort();
        String controllerListener = "CONTROLLER://localhost:" + quorum.substring(quorum.lastIndexOf(':') + 1);
        Properties config = new Properties();
        config.putAll(settings);
        config.put("process.roles", roles);
        config.put("node.id", Integer.toString(nodeId));
        config.put("controller.quorum.voters", quorum);
        config.put("controller.listener.names", "CONTROLLER");
        config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        config.put("log.dirs", directory.resolve("logs").toString());
        switch (roles) {
            case "controller" -> config.put("listeners", controllerListener);
            case "broker" -> {
                config.put("listeners", "PLAINTEXT://localhost:" + port);
                config.put("advertised.listeners", "PLAINTEXT://localhost:" + port);
            }
            default -> {
                config.put("listeners", "PLAINTEXT://localhost:" + port + "," + controllerListener);
                config.put("advertised.listeners", "PLAINTEXT://localhost:" + port);
            }
        }
        Path file = directory.resolve("server.properties");
        if (Files.exists(file)) {
            // Keep the controller port of the first start: the quorum's address is part of its state.
            Properties previous = new Properties();
            try (var in = Files.newBufferedReader(file)) {
                previous.load(in);
            }
            config.put("controller.quorum.voters", previous.getProperty("controller.quorum.voters"));
            config.put("listeners", previous.getProperty("listeners"));
        }
        try (Writer out = Files.newBufferedWriter(file)) {
            config.store(out, "written by " + KafkaServerProcess.class.getName());
        }
        return file;
    }

    private static ProcessBuilder java(String mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms256m", "-Xmx1g", "-XX:+UseG1GC",
                "-cp", classpath(),
                mainClass));
        command.addAll(List.of(args));
        return new ProcessBuilder(command);
    }

    /** This JVM's classpath, also when a launcher (Maven's exec:java) loaded us through its own class loader. */
    private static String classpath() {
        if (KafkaServerProcess.class.getClassLoader() instanceof java.net.URLClassLoader loader
                && loader.getURLs().length > 0) {
            List<String> entries = new ArrayList<>();
            for (java.net.URL url : loader.getURLs()) {
                try {
                    entries.add(Path.of(url.toURI()).toString());
                } catch (java.net.URISyntaxException | IllegalArgumentException e) {
                    entries.add(url.getPath());
                }
            }
            return String.join(java.io.File.pathSeparator, entries);
        }
        return System.getProperty("java.class.path");
    }

    private static boolean waitFor(Process process) {
        try {
            return process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * A port that is free now and stays free while its process is down: drawn below Linux's ephemeral
     * range (32768+), which the kernel hands to outgoing connections. A port from {@code new
     * ServerSocket(0)} is in that range, so a client connection could take it while a killed service
     * waits to restart, and the restart would fail with "Address already in use". Never the same port
     * twice in one JVM, and always in an even thousand (16xxx, 18xxx, ...), so that a port derived as
     * {@code port + 1000 + i} (the local stack's extra sweepers) is never handed to anyone else.
     */
    public static int freePort() {
        for (int attempt = 0; attempt < 1_000; attempt++) {
            int port = LOW_PORT + ThreadLocalRandom.current().nextInt(HIGH_PORT - LOW_PORT);
            port -= (port / 1000) % 2 * 1000;
            if (HANDED_OUT.add(port) && bindable(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port in [" + LOW_PORT + ", " + HIGH_PORT + ")");
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
