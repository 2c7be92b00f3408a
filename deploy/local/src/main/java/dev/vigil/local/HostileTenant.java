package dev.vigil.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.contracts.Labels;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tenant that tries to make the cleaner delete another workspace's resources: while the real
 * workload runs, it creates runs in its own workspace whose cleanup labels try every widening trick —
 * the managed-by label, another run's id as the run label, another workspace's label, a reserved
 * {@code vigil.dev/*} key, an empty map, no labels, only its own labels — and finishes the ones the API
 * accepts (each with a ConfigMap of its own, labelled as the API said, so the cleaner has something to
 * do). The widening tricks must all be refused with 400; the narrowing ones accepted. Victims (another
 * run's id and workspace) are read from the labels of what is running in the namespace.
 *
 * <p>The count that matters is the victim's: whatever this tenant does, no other workspace's live
 * resource may disappear. {@link #summary()} says what it tried and what the API answered.
 */
public final class HostileTenant implements AutoCloseable {

    /** What the tenant tried so far. {@code unexpected} counts widening tricks accepted and narrowing ones refused. */
    public record Summary(long cycles, long refused, long accepted, long finished, long unexpected, long errors) {
    }

    private record Trick(String name, Map<String, String> labels, boolean widening) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(HostileTenant.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String runApi;
    private final String token;
    private final KubernetesClient kubernetes;
    private final String namespace;
    private final String runLabelKey;
    private final Duration interval;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "hostile-tenant");
        thread.setDaemon(true);
        return thread;
    });
    private final AtomicLong cycles = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong finished = new AtomicLong();
    private final AtomicLong unexpected = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile String ownWorkspace;

    /**
     * @param runApi run-service's base URL ({@code http://localhost:8080})
     * @param token a bearer token of the hostile workspace (not the victim's)
     * @param kubernetes the API server the workload's resources are on
     * @param namespace the namespace it shares with the victims
     * @param interval the pause between two rounds of every trick
     */
    public HostileTenant(String runApi, String token, KubernetesClient kubernetes, String namespace, Duration interval) {
        this(runApi, token, kubernetes, namespace, Labels.DEFAULT_RUN_LABEL, interval);
    }

    public HostileTenant(String runApi, String token, KubernetesClient kubernetes, String namespace, String runLabelKey,
                         Duration interval) {
        this.runApi = runApi;
        this.token = token;
        this.kubernetes = kubernetes;
        this.namespace = namespace;
        this.runLabelKey = runLabelKey;
        this.interval = interval;
    }

    public HostileTenant start() {
        scheduler.scheduleWithFixedDelay(this::round, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    public Summary summary() {
        return new Summary(cycles.get(), refused.get(), accepted.get(), finished.get(), unexpected.get(), errors.get());
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void round() {
        try {
            for (Trick trick : tricks()) {
                attempt(trick);
            }
            cycles.incrementAndGet();
        } catch (RuntimeException e) {
            errors.incrementAndGet();
            LOG.warn("hostile tenant round failed: {}", e.toString());
        }
    }

    private List<Trick> tricks() {
        Optional<Map<String, String>> victim = victim();
        String victimRun = victim.map(l -> l.get(runLabelKey)).orElse(UUID.randomUUID().toString());
        String victimWorkspace = victim.map(l -> l.get(Labels.WORKSPACE)).orElse("demo");
        List<Trick> tricks = new ArrayList<>();
        tricks.add(new Trick("managed-by", Map.of(Labels.MANAGED_BY, Labels.MANAGED_BY_VIGIL), true));
        tricks.add(new Trick("another run's id", Map.of(runLabelKey, victimRun), true));
        tricks.add(new Trick("another workspace", Map.of(Labels.WORKSPACE, victimWorkspace), true));
        tricks.add(new Trick("the victim's whole selector", Labels.ofRun(runLabelKey, victimRun, victimWorkspace), true));
        tricks.add(new Trick("a reserved vigil.dev/ key", Map.of(Labels.ATTEMPT, "1"), true));
        tricks.add(new Trick("an empty map", Map.of(), false));
        tricks.add(new Trick("no labels", null, false));
        tricks.add(new Trick("only its own labels", Map.of("app", "agent"), false));
        return tricks;
    }

    /** The labels of a running Deployment, Service or Pod of another workspace, if there is one. */
    private Optional<Map<String, String>> victim() {
        List<HasMetadata> running = new ArrayList<>();
        running.addAll(kubernetes.apps().deployments().inNamespace(namespace)
                .withLabel(Labels.MANAGED_BY, Labels.MANAGED_BY_VIGIL).list().getItems());
        running.addAll(kubernetes.services().inNamespace(namespace)
                .withLabel(Labels.MANAGED_BY, Labels.MANAGED_BY_VIGIL).list().getItems());
        running.addAll(kubernetes.pods().inNamespace(namespace)
                .withLabel(Labels.MANAGED_BY, Labels.MANAGED_BY_VIGIL).list().getItems());
        return running.stream().map(HasMetadata::getMetadata).map(m -> m.getLabels())
                .filter(l -> l.get(runLabelKey) != null && l.get(Labels.WORKSPACE) != null
                        && !l.get(Labels.WORKSPACE).equals(ownWorkspace))
                .findAny();
    }

    private void attempt(Trick trick) {
        Map<String, Object> cleanup = new LinkedHashMap<>();
        cleanup.put("namespace", namespace);
        if (trick.labels() != null) {
            cleanup.put("labels", trick.labels());
        }
        HttpResponse<String> created = post("/api/v1/runs", Map.of("key", "hostile-" + UUID.randomUUID(),
                "timeouts", Map.of("heartbeat", "PT30S", "start", "PT30S"), "cleanup", cleanup));
        if (created.statusCode() == 400) {
            refused.incrementAndGet();
            if (!trick.widening()) {
                unexpected.incrementAndGet();
                LOG.warn("hostile tenant: '{}' was refused: {}", trick.name(), created.body());
            }
            return;
        }
        if (created.statusCode() != 201) {
            errors.incrementAndGet();
            return;
        }
        accepted.incrementAndGet();
        if (trick.widening()) {
            unexpected.incrementAndGet();
            LOG.error("hostile tenant: '{}' was ACCEPTED: {}", trick.name(), created.body());
        }
        JsonNode run = read(created.body());
        ownWorkspace = run.path("workspace").asText();
        String id = run.path("id").asText();
        Map<String, String> labels = new LinkedHashMap<>(JSON.convertValue(run.path("cleanup").path("labels"),
                JSON.getTypeFactory().constructMapType(Map.class, String.class, String.class)));
        // Finished at once, so created in the second its attempt ends: the attempt label says whose it is.
        labels.put(Labels.ATTEMPT, "1");
        kubernetes.resource(new ConfigMapBuilder().withNewMetadata().withName("hostile-" + id).withNamespace(namespace)
                .withLabels(labels).endMetadata().build()).create();
        if (post("/api/v1/runs/" + id + "/finish", Map.of("outcome", "SUCCEEDED", "attempt", 1)).statusCode() == 200) {
            finished.incrementAndGet();
        } else {
            errors.incrementAndGet();
        }
    }

    private HttpResponse<String> post(String path, Object body) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(runApi + path)).timeout(Duration.ofSeconds(10))
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                    .header("Content-Type", "application/json").header("Authorization", "Bearer " + token).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("POST " + path + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode read(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
