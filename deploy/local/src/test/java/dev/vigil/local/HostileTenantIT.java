package dev.vigil.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.contracts.heartbeat.HeartbeatClient;
import dev.vigil.contracts.heartbeat.RunHeartbeat;
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
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The scenario on the whole local stack: workspace {@code demo} has a live run with a
 * Deployment, Service and Pod in the shared namespace {@code agents}; workspace {@code other} creates
 * and finishes runs with every widening label trick. Its widening runs are refused with 400, its
 * narrowing ones are cleaned up (their own ConfigMaps go), and the victim's resources all stay.
 */
class HostileTenantIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NS = "agents";

    @Test
    void aHostileTenantSharingTheNamespaceCannotMakeTheCleanerDeleteAnotherWorkspacesLiveResources() throws Exception {
        Path repo = Path.of("").toAbsolutePath().getParent().getParent();
        try (LocalStack stack = LocalStack.start(LocalStack.Options.onFreePorts(Files.createTempDirectory("vigil-hostile"),
                repo, 1));
             KubernetesClient kubernetes = stack.kubernetes().client();
             HeartbeatClient workers = HeartbeatClient.builder(stack.kafkaBootstrap()).build()) {
            String demo = stack.token("victim", "demo");
            JsonNode run = JSON.readTree(post(stack, demo, "/api/v1/runs", "{\"key\":\"victim\",\"timeouts\":"
                    + "{\"heartbeat\":\"PT2M\",\"start\":\"PT5M\"},\"cleanup\":{\"namespace\":\"" + NS + "\"}}").body());
            String victim = run.get("id").asText();
            Map<String, String> labels = JSON.convertValue(run.at("/cleanup/labels"),
                    JSON.getTypeFactory().constructMapType(Map.class, String.class, String.class));
            assertThat(labels).containsEntry("vigil.dev/workspace", "demo").containsEntry("session", victim);
            List<HasMetadata> resources = List.of(
                    new DeploymentBuilder().withNewMetadata().withName("w-victim").withLabels(labels).endMetadata().build(),
                    new ServiceBuilder().withNewMetadata().withName("w-victim").withLabels(labels).endMetadata().build(),
                    new PodBuilder().withNewMetadata().withName("w-victim-0").withLabels(labels).endMetadata().build());
            resources.forEach(r -> kubernetes.resource(r).inNamespace(NS).create());

            try (RunHeartbeat alive = workers.startRun(victim, 1, Duration.ofMinutes(2));
                 HostileTenant hostile = new HostileTenant(stack.runServiceUrl(), stack.token("mallory", "other"),
                         kubernetes, NS, Duration.ofMillis(200)).start()) {
                Awaitility.await().atMost(Duration.ofMinutes(3)).until(() -> hostile.summary().cycles() >= 3);
                hostile.close();
                HostileTenant.Summary summary = hostile.summary();
                assertThat(summary.unexpected()).as("%s", summary).isZero();
                assertThat(summary.refused()).as("%s", summary).isGreaterThanOrEqualTo(3 * 5);
                assertThat(summary.finished()).as("%s", summary).isGreaterThanOrEqualTo(3 * 3);
                // Every narrowing run's own ConfigMap is gone: the cleaner has acted on all of its finishes.
                Awaitility.await().atMost(Duration.ofMinutes(2)).until(() -> kubernetes.configMaps().inNamespace(NS)
                        .list().getItems().stream().noneMatch(c -> c.getMetadata().getName().startsWith("hostile-")));

                assertThat(kubernetes.apps().deployments().inNamespace(NS).withName("w-victim").get()).isNotNull();
                assertThat(kubernetes.services().inNamespace(NS).withName("w-victim").get()).isNotNull();
                assertThat(kubernetes.pods().inNamespace(NS).withName("w-victim-0").get()).isNotNull();
                assertThat(JSON.readTree(get(stack, demo, "/api/v1/runs/" + victim).body()).get("status").asText())
                        .as("the victim's run is still live").isIn("PENDING", "RUNNING");
            }
        }
    }

    private static HttpResponse<String> post(LocalStack stack, String token, String path, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(stack.runServiceUrl() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(LocalStack stack, String token, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(stack.runServiceUrl() + path))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
    }
}
