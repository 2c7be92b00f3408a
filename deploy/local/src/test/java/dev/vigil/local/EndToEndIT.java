package dev.vigil.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.contracts.Labels;
import dev.vigil.contracts.event.RunCommand;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.event.StopRun;
import dev.vigil.contracts.heartbeat.AgentPulse;
import dev.vigil.contracts.heartbeat.HeartbeatClient;
import dev.vigil.contracts.heartbeat.RunHeartbeat;
import dev.vigil.infra.KafkaRecords;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The seeds' incidents, end to end: the whole stack (broker, PostgreSQL, Kubernetes API, the three
 * services as processes), driven only through the public interfaces — REST, Kafka and the
 * Kubernetes API.
 */
class EndToEndIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NS = "agents";
    private static LocalStack stack;
    private static KubernetesClient kubernetes;
    private static HeartbeatClient workers;
    private static String token;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        Path repo = Path.of("").toAbsolutePath().getParent().getParent();
        Path dir = Files.createTempDirectory("vigil-e2e");
        stack = LocalStack.start(LocalStack.Options.onFreePorts(dir, repo, 1));
        kubernetes = stack.kubernetes().client();
        workers = HeartbeatClient.builder(stack.kafkaBootstrap()).build();
        token = stack.token("e2e", "seeds");
    }

    @AfterAll
    static void stop() {
        if (workers != null) {
            workers.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void aWorkerThatDiesIsTimedOutWithinItsTimeoutAndItsResourcesGoButNotItsNeighbours() throws Exception {
        String id = create("oom-killed", "{\"heartbeat\":\"PT3S\",\"start\":\"PT30S\"}", null);
        labelledResources(id);
        kubernetes.configMaps().inNamespace(NS).resource(new ConfigMapBuilder().withNewMetadata()
                .withName("only-session-" + id).addToLabels("session", id).endMetadata().build()).create();
        kubernetes.configMaps().inNamespace(NS).resource(new ConfigMapBuilder().withNewMetadata()
                .withName("only-managed-" + id).addToLabels(Labels.MANAGED_BY, Labels.MANAGED_BY_VIGIL).endMetadata()
                .build()).create();
        RunHeartbeat heartbeat = workers.startRun(id, 1, Duration.ofSeconds(3));
        awaitStatus(id, "RUNNING", Duration.ofSeconds(30));

        heartbeat.close(); // OOM-killed
        long died = System.currentTimeMillis();
        awaitStatus(id, "TIMED_OUT", Duration.ofSeconds(20));
        long detected = System.currentTimeMillis();
        assertThat(run(id).get("reason").asText()).isEqualTo("heartbeat_timeout");
        assertThat(detected - died).as("finalized within the timeout + 2 s").isLessThanOrEqualTo(5_000);
        awaitGone(id);
        assertThat(kubernetes.configMaps().inNamespace(NS).withName("only-session-" + id).get()).isNotNull();
        assertThat(kubernetes.configMaps().inNamespace(NS).withName("only-managed-" + id).get()).isNotNull();

        // A zombie of the dead worker speaks up again: nothing changes.
        RunHeartbeat zombie = workers.startRun(id, 1, Duration.ofSeconds(3));
        Awaitility.await().pollDelay(Duration.ofSeconds(3)).until(() -> true);
        zombie.close();
        assertThat(run(id).get("status").asText()).isEqualTo("TIMED_OUT");
        assertThat(timeoutsOf(id)).hasSize(1);
    }

    @Test
    void aRunThatNeverStartsTimesOutOnItsStartTimeout() throws Exception {
        String id = create("never-started", "{\"start\":\"PT3S\"}", null);
        awaitStatus(id, "TIMED_OUT", Duration.ofSeconds(20));
        assertThat(run(id).get("reason").asText()).isEqualTo("start_timeout");
    }

    @Test
    void aStopIgnoredByALiveAgentIsResentAndForcedWhenTheAgentVanishes() throws Exception {
        String agentId = "agent-e2e";
        String id = create("session-stuck-terminating", "{\"heartbeat\":\"PT30S\",\"stop\":\"PT3S\"}", agentId);
        labelledResources(id);
        AgentPulse agent = workers.startAgent("seeds", agentId, Duration.ofSeconds(4));
        RunHeartbeat session = workers.startRun(id, 1, Duration.ofSeconds(30), agentId);
        awaitStatus(id, "RUNNING", Duration.ofSeconds(30));

        HttpResponse<String> stop = call("POST", "/api/v1/runs/" + id + "/stop", null);
        assertThat(stop.statusCode()).isEqualTo(202);
        // The agent is alive but never acts on the stop: run-service re-sends it.
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> stopCommands(id).size() >= 2);
        assertThat(run(id).get("status").asText()).isEqualTo("TERMINATING");

        agent.close(); // the agent pod is replaced before it processes the stop
        session.close();
        awaitStatus(id, "TIMED_OUT", Duration.ofSeconds(30));
        assertThat(run(id).get("reason").asText()).isIn("stop_timeout", "agent_lost");
        awaitGone(id);
    }

    @Test
    void aNormalFinishSucceedsWithNoTimeoutAndIsCleanedUp() throws Exception {
        String id = create("finishes", "{\"heartbeat\":\"PT3S\"}", null);
        // It may finish in the very second its resources were created: the attempt label tells the
        // cleaner they are this attempt's (unlabelled ones of that second are left for a retry).
        labelledResources(id, Map.of(Labels.ATTEMPT, "1"));
        try (RunHeartbeat heartbeat = workers.startRun(id, 1, Duration.ofSeconds(3))) {
            awaitStatus(id, "RUNNING", Duration.ofSeconds(30));
            heartbeat.progress(3, "chapter 3");
            HttpResponse<String> finish = call("POST", "/api/v1/runs/" + id + "/finish",
                    "{\"outcome\":\"SUCCEEDED\",\"attempt\":1}");
            assertThat(finish.statusCode()).isEqualTo(200);
        }
        awaitGone(id);
        Awaitility.await().pollDelay(Duration.ofSeconds(5)).until(() -> true);
        assertThat(run(id).get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(timeoutsOf(id)).isEmpty();
    }

    @Test
    void aSweeperKilledMidRunMissesNoTimeoutAndInventsNone() throws Exception {
        String healthy = create("healthy-across-restart", "{\"heartbeat\":\"PT3S\"}", null);
        String dying = create("dies-during-restart", "{\"heartbeat\":\"PT3S\"}", null);
        RunHeartbeat healthyBeat = workers.startRun(healthy, 1, Duration.ofSeconds(3));
        RunHeartbeat dyingBeat = workers.startRun(dying, 1, Duration.ofSeconds(3));
        awaitStatus(healthy, "RUNNING", Duration.ofSeconds(30));
        awaitStatus(dying, "RUNNING", Duration.ofSeconds(30));

        dyingBeat.close();
        stack.restartSweeper(); // SIGKILL, then a new process on the same state
        awaitStatus(dying, "TIMED_OUT", Duration.ofSeconds(60));
        Awaitility.await().pollDelay(Duration.ofSeconds(6)).until(() -> true);
        assertThat(run(healthy).get("status").asText()).isEqualTo("RUNNING");
        assertThat(timeoutsOf(healthy)).isEmpty();
        healthyBeat.close();
    }

    @Test
    void aRetriedRunIsFencedFromItsZombieAndStillTimesOutWhenItsOwnWorkerDies() throws Exception {
        String id = create("retried", "{\"heartbeat\":\"PT3S\"}", null);
        RunHeartbeat first = workers.startRun(id, 1, Duration.ofSeconds(3));
        awaitStatus(id, "RUNNING", Duration.ofSeconds(30));
        first.close(); // partitioned away, not dead
        awaitStatus(id, "TIMED_OUT", Duration.ofSeconds(20));

        HttpResponse<String> retry = call("POST", "/api/v1/runs/" + id + "/retry", null);
        assertThat(retry.statusCode()).as(retry.body()).isEqualTo(200);
        labelledResources(id); // attempt 2's resources carry the same session label
        RunHeartbeat second = workers.startRun(id, 2, Duration.ofSeconds(3));
        awaitStatus(id, "RUNNING", Duration.ofSeconds(30));

        RunHeartbeat zombie = workers.startRun(id, 1, Duration.ofSeconds(3)); // attempt 1 comes back
        assertThat(call("POST", "/api/v1/runs/" + id + "/finish", "{\"outcome\":\"SUCCEEDED\",\"attempt\":1}")
                .statusCode()).isEqualTo(409);
        Awaitility.await().pollDelay(Duration.ofSeconds(4)).until(() -> true);
        assertThat(run(id).get("status").asText()).isEqualTo("RUNNING");
        assertThat(run(id).get("attempt").asInt()).isEqualTo(2);
        assertThat(kubernetes.apps().deployments().inNamespace(NS).withLabel("session", id).list().getItems())
                .as("attempt 1's end never deletes attempt 2's resources").hasSize(1);

        second.close(); // attempt 2's own worker dies; the zombie keeps beating for attempt 1
        awaitStatus(id, "TIMED_OUT", Duration.ofSeconds(20));
        assertThat(run(id).get("attempt").asInt()).isEqualTo(2);
        awaitGone(id);
        zombie.close();
        assertThat(timeoutsOf(id)).extracting(RunTimedOut::attempt).containsExactly(1, 2);
    }

    /** The run's Deployment, Service and Pod, carrying its {@code session} label, managed-by and workspace label. */
    private static void labelledResources(String id) {
        labelledResources(id, Map.of());
    }

    private static void labelledResources(String id, Map<String, String> extraLabels) {
        Map<String, String> labels = new HashMap<>(Labels.ofRun("session", id, "seeds"));
        labels.putAll(extraLabels);
        String name = "session-" + id.substring(0, 8);
        List<HasMetadata> resources = List.of(
                new DeploymentBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata()
                        .withNewSpec().withReplicas(1).endSpec().build(),
                new ServiceBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata().build(),
                new PodBuilder().withNewMetadata().withName(name + "-pod").withLabels(labels).endMetadata().build());
        resources.forEach(r -> kubernetes.resource(r).inNamespace(NS).create());
    }

    private static void awaitGone(String id) {
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
                kubernetes.apps().deployments().inNamespace(NS).withLabel("session", id).list().getItems().isEmpty()
                        && kubernetes.services().inNamespace(NS).withLabel("session", id).list().getItems().isEmpty()
                        && kubernetes.pods().inNamespace(NS).withLabel("session", id).list().getItems().isEmpty());
    }

    private static List<RunTimedOut> timeoutsOf(String id) {
        return KafkaRecords.readUntil(stack.kafkaBootstrap(), stack.topics().timeouts().name(),
                        stack.topics().timeouts().valueSerde().deserializer(), Duration.ofSeconds(2), rs -> false)
                .stream().filter(r -> id.equals(r.key())).map(ConsumerRecord::value).toList();
    }

    private static List<RunCommand> stopCommands(String id) {
        return KafkaRecords.readUntil(stack.kafkaBootstrap(), stack.topics().commands().name(),
                        stack.topics().commands().valueSerde().deserializer(), Duration.ofSeconds(1), rs -> false)
                .stream().filter(r -> id.equals(r.key())).map(ConsumerRecord::value)
                .filter(StopRun.class::isInstance).toList();
    }

    private static String create(String key, String timeouts, String agentId) throws Exception {
        String body = "{\"key\":\"" + key + "\",\"timeouts\":" + timeouts + ",\"cleanup\":{\"namespace\":\"" + NS + "\"}"
                + (agentId == null ? "" : ",\"agentId\":\"" + agentId + "\"") + "}";
        HttpResponse<String> response = call("POST", "/api/v1/runs", body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return JSON.readTree(response.body()).get("id").asText();
    }

    private static void awaitStatus(String id, String status, Duration within) {
        Awaitility.await().atMost(within).pollInterval(Duration.ofMillis(100))
                .until(() -> run(id).get("status").asText().equals(status));
    }

    private static JsonNode run(String id) throws Exception {
        return JSON.readTree(call("GET", "/api/v1/runs/" + id, null).body());
    }

    private static HttpResponse<String> call(String method, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(stack.runServiceUrl() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
