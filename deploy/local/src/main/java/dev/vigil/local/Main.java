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
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        List<String> flags = java.util.Arrays.stream(args).flatMap(a -> java.util.Arrays.stream(a.trim().split("\\s+"))).toList();
        Path repo = Path.of(System.getProperty("vigil.repo", ".")).toAbsolutePath().normalize();
        LocalStack.Options options = LocalStack.Options.defaults(repo);
        if (flags.contains("--fresh")) {
            deleteRecursively(options.dir());
        }
        System.out.println("Starting Vigil in " + options.dir() + " (logs in " + options.dir().resolve("logs") + ") ...");
        LocalStack stack = LocalStack.start(options);
        String token = stack.token("dev", "demo");
        Path env = stack.writeAddresses(token);
        DemoFleet fleet = flags.contains("--no-demo") ? null : new DemoFleet(stack, token).start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("\nStopping Vigil ...");
            if (fleet != null) {
                fleet.close();
            }
            stack.close();
            stopped.countDown();
        }));
        System.out.printf("""

                Vigil is running.
                  Kafka bootstrap   %s
                  run-service API   %s/api/v1/runs   (OpenAPI: %s/swagger/vigil-run-service-1.yml)
                  dev token         %s
                                    (workspace "demo"; try: curl -H "Authorization: Bearer $VIGIL_TOKEN" $VIGIL_API)
                  Kubernetes API    %s   (kubectl --server %s get deploy,svc,pods -n %s)
                  addresses file    %s   (source it: set -a; . %s; set +a)
                  demo fleet        %s
                Ctrl-C stops everything.

                """, stack.kafkaBootstrap(), stack.runServiceUrl(), stack.runServiceUrl(), token, stack.kubernetesUrl(),
                stack.kubernetesUrl(), options.namespace(), env, env,
                fleet == null ? "off (--no-demo): attach your own workers" : "on: the seeds' incidents, replayed");
        Summary summary = new Summary(stack, options);
        while (stopped.getCount() > 0) {
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
