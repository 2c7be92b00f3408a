package dev.vigil.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every command the documentation shows against the local stack works as written. The stack runs as
 * {@code ./vigil-local} runs it (demo fleet included, {@code stack.env} and {@code .vigil/bin/} written by
 * {@link Main}); each shell block of {@code README.md} and {@code docs/*.md} marked
 * {@value #MARK} is run with bash from a directory whose {@code .vigil/} is the stack's, and must
 * exit 0 and print what it promises.
 */
class ReadmeCommandsIT {

    static final String MARK = "<!-- run by ReadmeCommandsIT -->";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** The README's own look-around commands: each must stay in a block this test runs. */
    private static final List<String> README_COMMANDS = List.of(
            "set -a; . .vigil/stack.env; set +a",
            "curl -s -H \"Authorization: Bearer $VIGIL_TOKEN\" \"$VIGIL_API?status=TIMED_OUT\"",
            "kubectl --server \"$KUBERNETES_API\" get deploy,svc,pods -n agents --show-labels",
            ".vigil/bin/kafka-console-consumer.sh --bootstrap-server \"$KAFKA_BOOTSTRAP_SERVERS\" --topic vigil.timeouts");

    /**
     * What each runnable block must print, by a line that identifies it. Every runnable block must have
     * an entry, and every entry a block, so a command cannot leave the docs (or join them) untested.
     */
    private static final Map<String, List<String>> EXPECTED = new LinkedHashMap<>();

    static {
        // First: the heartbeat block also creates a run with curl, as the API tour's block does.
        EXPECTED.put("for step in 1 2 3", List.of("\"attempt\":1", "{\"status\":\"SUCCEEDED\"}"));
        EXPECTED.put("python3 clients/python/examples/book_generator.py", List.of(
                "worker: writing chapter 2", "\"status\": \"TIMED_OUT\", \"reason\": \"heartbeat_timeout\"",
                "\"status\":\"TIMED_OUT\",\"reason\":\"heartbeat_timeout\",\"message\":\"failed"));
        EXPECTED.put("node clients/node/examples/chat-webhook.mjs", List.of(
                "backend: verified run.timed_out", "processing -> error (heartbeat_timeout)", "\"status\":\"error\"",
                "app: verified run.timed_out", "running -> failed (progress_stalled)", "\"status\": \"failed\""));
        EXPECTED.put("get deploy,svc,pods -n agents --show-labels", List.of(
                "\"reason\": \"", "_timeout\"", // the curl: timed-out runs with their reasons
                "deployment.apps/readme-neighbour", "service/readme-neighbour", "pod/readme-neighbour",
                "\"type\":\"RunTimedOut\""));
        EXPECTED.put("RUN=$(curl -s -X POST \"$VIGIL_API\"", List.of(
                "\"status\": \"PENDING\"", "\"status\": \"TERMINATING\"", "\"attempt\": 2",
                "\"status\": 409", "\"status\": \"ABORTED\"", "\"reason\": \"user_force\""));
        EXPECTED.put("curl -s \"$VIGIL_API/summary\"", List.of(
                "\"counts\":{", "\"action\":\"created\"", "\"action\":\"retried\"", "\"action\":\"force_stopped\""));
        EXPECTED.put("for topic in vigil.heartbeats", List.of(
                "== vigil.heartbeats", "== vigil.agent-heartbeats", "== vigil.run-events", "== vigil.run-activity",
                "== vigil.timeouts", "== vigil.commands", "== vigil.cleanups", "== vigil.dead-letters",
                "vigil-type:RunTimedOut", "\"type\":\"CleanupPerformed\"", "Processed a total of"));
        EXPECTED.put("kafka-console-producer.sh", List.of("LogAppendTime:", "Processed a total of 5 messages"));
        EXPECTED.put("--topic vigil.cleanups \\", List.of("\"type\":\"CleanupPerformed\"", "Processed a total of 3 messages"));
    }

    private static Path repo;
    private static Path work;
    private static LocalStack stack;
    private static DemoFleet fleet;
    private static String token;

    @BeforeAll
    static void start() throws Exception {
        for (String tool : List.of("bash", "curl", "jq", "kubectl")) {
            assertThat(onPath(tool)).as("%s must be installed to run the README's commands (apt-get install -y %s)",
                    tool, tool).isTrue();
        }
        repo = Path.of("").toAbsolutePath().getParent().getParent();
        work = Files.createTempDirectory("vigil-readme");
        Files.createSymbolicLink(work.resolve("clients"), repo.resolve("clients")); // the examples run from the root
        stack = LocalStack.start(LocalStack.Options.onFreePorts(work.resolve(".vigil"), repo, 1));
        token = stack.token("dev", "demo");
        stack.writeAddresses(token);
        Main.writeKafkaTools(stack.options().dir());
        neighbours(stack.kubernetes().client());
        fleet = new DemoFleet(stack, "demo", token).start();
        // The README is read while the demo runs: wait until it has timed out three runs and cleaned one up.
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).until(() ->
                timedOut().size() >= 3 && metric(stack.cleanerUrl(), "vigil_cleaner_resources_deleted_total") >= 1);
    }

    @AfterAll
    static void stop() {
        if (fleet != null) {
            fleet.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void everyMarkedCommandInTheReadmeAndTheDocsRunsAsWrittenAgainstTheLocalStack() throws Exception {
        List<Block> blocks = blocks();
        List<Block> readme = blocks.stream().filter(b -> b.file().equals("README.md")).toList();
        for (String command : README_COMMANDS) {
            assertThat(readme).as("the README shows `%s` in a block this test runs", command)
                    .anyMatch(b -> b.text().contains(command));
        }
        for (String key : EXPECTED.keySet()) {
            assertThat(blocks).as("a runnable block containing `%s`", key).anyMatch(b -> b.text().contains(key));
        }
        for (Block block : blocks) {
            List<String> expected = EXPECTED.entrySet().stream().filter(e -> block.text().contains(e.getKey()))
                    .findFirst().map(Map.Entry::getValue)
                    .orElseThrow(() -> new AssertionError("no expectations for the block of " + block.file()
                            + " at line " + block.line() + ": add them to ReadmeCommandsIT.EXPECTED"));
            String output = run(block);
            for (String text : expected) {
                assertThat(output).as("output of the block of %s at line %d", block.file(), block.line()).contains(text);
            }
        }
    }

    @Test
    void theDemoFleetsHungBookEndsTimedOutForItsStalledProgressWhileItsHeartbeatsWentOn() throws Exception {
        // Seed 001's deadlock: heartbeats every 2 s, progress stuck at chapter 3; only the progress timeout ends it.
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(() -> timedOut().stream()
                .anyMatch(run -> run.get("key").asText().startsWith("hung-book-")
                        && run.get("reason").asText().equals("progress_stalled")
                        && run.get("error").asText().contains("unchanged since")));
        assertThat(timedOut()).filteredOn(run -> run.get("key").asText().startsWith("hung-book-"))
                .extracting(run -> run.get("reason").asText()).containsOnly("progress_stalled");
    }

    /** Runs one block as written with bash (-e, pipefail) from the directory holding {@code .vigil/}. */
    private static String run(Block block) throws IOException, InterruptedException {
        Path out = Files.createTempFile(work, "block", ".out");
        Process process = new ProcessBuilder("bash", "-e", "-o", "pipefail", "-c", block.text())
                .directory(work.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        boolean exited = process.waitFor(3, TimeUnit.MINUTES);
        if (!exited) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor();
        }
        String output = Files.readString(out);
        System.out.printf("---- %s, line %d: exit %s%n%s%n", block.file(), block.line(),
                exited ? process.exitValue() : "timed out", output);
        assertThat(exited).as("the block of %s at line %d ends within 3 minutes:%n%s", block.file(), block.line(), output)
                .isTrue();
        assertThat(process.exitValue()).as("exit code of the block of %s at line %d:%n%s%n%s", block.file(),
                block.line(), block.text(), output).isZero();
        return output;
    }

    record Block(String file, int line, String text) {
    }

    /** Every ```sh block right after the mark, in README.md then docs/*.md (by name): the order they are read. */
    static List<Block> blocks() throws IOException {
        List<Path> files = new ArrayList<>(List.of(repo.resolve("README.md")));
        try (Stream<Path> docs = Files.list(repo.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        List<Block> blocks = new ArrayList<>();
        for (Path file : files) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                if (!lines.get(i).trim().equals(MARK)) {
                    continue;
                }
                assertThat(lines.get(i + 1)).as("%s line %d: the mark is followed by a ```sh block", file, i + 2)
                        .isEqualTo("```sh");
                StringBuilder text = new StringBuilder();
                int j = i + 2;
                for (; !lines.get(j).equals("```"); j++) {
                    text.append(lines.get(j)).append('\n');
                }
                blocks.add(new Block(repo.relativize(file).toString(), i + 3, text.toString()));
                i = j;
            }
        }
        return blocks;
    }

    /** A Deployment, Service and Pod that are not Vigil's: they stay, so `kubectl get` always has rows. */
    private static void neighbours(KubernetesClient kubernetes) {
        Map<String, String> labels = Map.of("app", "readme-neighbour");
        String ns = stack.options().namespace();
        kubernetes.apps().deployments().inNamespace(ns).resource(new DeploymentBuilder().withNewMetadata()
                .withName("readme-neighbour").withLabels(labels).endMetadata().withNewSpec().withNewSelector()
                .withMatchLabels(labels).endSelector().endSpec().build()).create();
        kubernetes.services().inNamespace(ns).resource(new ServiceBuilder().withNewMetadata()
                .withName("readme-neighbour").withLabels(labels).endMetadata().build()).create();
        kubernetes.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata()
                .withName("readme-neighbour").withLabels(labels).endMetadata().build()).create();
    }

    /** The demo workspace's latest 50 TIMED_OUT runs (none while run-service does not answer). */
    private static List<JsonNode> timedOut() throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                        URI.create(stack.runServiceUrl() + "/api/v1/runs?status=TIMED_OUT&limit=50"))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        List<JsonNode> runs = new java.util.ArrayList<>();
        if (response.statusCode() == 200) {
            JSON.readTree(response.body()).get("items").forEach(runs::add);
        }
        return runs;
    }

    /** The sum of a Prometheus counter over its labels, from a service's /prometheus. */
    private static double metric(String base, String name) throws IOException, InterruptedException {
        String body = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return body.lines().filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }

    private static boolean onPath(String tool) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
    }
}
