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
 * production would be. Used by tests of outages, the local stack and the fault suite.
 */
public final class KafkaServerProcess implements KafkaBroker {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaServerProcess.class);
    /** Below the ephemeral range (see {@link #freePort()}). */
    private static final int LOW_PORT = 16_000;
    private static final int HIGH_PORT = 30_000;
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private final int port;
    private final Path directory;
    private Process process;

    private KafkaServerProcess(int port, Path directory) {
        this.port = port;
        this.directory = directory;
    }

    /**
     * Formats {@code directory} if it holds no broker yet, then starts the broker and waits until it
     * answers.
     *
     * @param port the client port, or 0 for a free one (kept across {@link #restart()})
     */
    public static KafkaServerProcess start(int port, Path directory) {
        KafkaServerProcess broker = new KafkaServerProcess(port == 0 ? freePort() : port, directory);
        broker.format();
        broker.launch();
        return broker;
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
            Process format = java("kafka.tools.StorageTool", "format", "-t", Uuid.randomUuid().toString(),
                    "-c", config.toString())
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
        try {
            process = java("kafka.Kafka", directory.resolve("server.properties").toString())
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(directory.resolve("server.log").toFile()))
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        awaitReady(Duration.ofSeconds(90));
        LOG.info("Kafka broker (pid {}) ready at {} in {} ms", process.pid(), bootstrapServers(),
                (System.nanoTime() - started) / 1_000_000);
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
        int controllerPort = freePort();
        Properties config = new Properties();
        config.putAll(InProcessKafka.brokerConfig());
        config.put("process.roles", "broker,controller");
        config.put("node.id", "1");
        config.put("controller.quorum.voters", "1@localhost:" + controllerPort);
        config.put("listeners", "PLAINTEXT://localhost:" + port + ",CONTROLLER://localhost:" + controllerPort);
        config.put("advertised.listeners", "PLAINTEXT://localhost:" + port);
        config.put("controller.listener.names", "CONTROLLER");
        config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        config.put("log.dirs", directory.resolve("logs").toString());
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
