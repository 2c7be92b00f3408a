package dev.vigil.cleaner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vigil.cleaner.events.RunEventLoop;
import dev.vigil.cleaner.gc.GarbageCollectionJob;
import dev.vigil.cleaner.kubernetes.ResourceKind;
import dev.vigil.cleaner.runstate.RunStateStore;
import dev.vigil.cleaner.settings.CleanerSettings;
import dev.vigil.contracts.KafkaSettings;
import dev.vigil.infra.ManagementEndpoints;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The service starts, serves health and metrics, and reads its configuration; without Kafka or Kubernetes. */
class ApplicationTest {

    private static final Map<String, Object> OFFLINE = Map.of(
            "micronaut.server.port", -1,
            "vigil.cleaner.consumer.enabled", false,
            "vigil.cleaner.gc.enabled", false);

    /** For contexts closed right after start: the health monitor's scheduling would race the close. */
    private static final Map<String, Object> CONFIG_ONLY = Map.of(
            "micronaut.server.port", -1,
            "micronaut.health.monitor.enabled", false,
            "vigil.cleaner.consumer.enabled", false,
            "vigil.cleaner.gc.enabled", false);

    private static HttpResponse<String> get(EmbeddedServer server, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.getURI().resolve(path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void startsServesHealthAndMetricsAndStopsCleanly() throws Exception {
        EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, OFFLINE);
        try {
            HttpResponse<String> health = get(server, "/health");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).contains("\"status\":\"UP\"");

            server.getApplicationContext().getBean(RunStateStore.class);
            HttpResponse<String> metrics = get(server, "/prometheus");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("jvm_memory_used_bytes").contains("vigil_cleaner_runs_tracked{state=\"live\"}");
        } finally {
            server.getApplicationContext().close();
        }
        assertThat(server.isRunning()).isFalse();
    }

    /** Probes and scrapes are anonymous; configuration, log levels, beans, refresh and stop are not there. */
    @Test
    void onlyHealthAndMetricsAnswerWithoutCredentials() {
        EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, OFFLINE);
        try {
            assertThat(ManagementEndpoints.problems(server.getURI())).isEmpty();
        } finally {
            server.getApplicationContext().close();
        }
    }

    @Test
    void schedulesGarbageCollectionWhichWaitsForTheRunState() {
        Map<String, Object> properties = new HashMap<>(CONFIG_ONLY);
        properties.putAll(Map.of(
                "vigil.cleaner.gc.enabled", true,
                "vigil.kafka.bootstrap-servers", "127.0.0.1:9",
                "vigil.cleaner.gc.initial-delay", "10ms",
                "vigil.cleaner.gc.interval", "50ms"));
        try (ApplicationContext context = ApplicationContext.run(properties)) {
            MeterRegistry registry = context.getBean(MeterRegistry.class);

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(registry.find("vigil.cleaner.gc.sweeps").tag("result", "skipped").counter())
                            .isNotNull().satisfies(c -> assertThat(c.count()).isGreaterThanOrEqualTo(2)));
        }
    }

    @Test
    void readsTheDefaultsFromApplicationYml() {
        try (ApplicationContext context = ApplicationContext.run(CONFIG_ONLY)) {
            CleanerSettings settings = context.getBean(CleanerSettings.class);

            assertThat(settings.namespaces()).containsExactly("agents");
            assertThat(settings.kinds()).containsExactly(ResourceKind.values());
            assertThat(settings.runLabelKey()).isEqualTo("session");
            assertThat(settings.managedByLabel()).isEqualTo(Map.of("app.kubernetes.io/managed-by", "vigil"));
            assertThat(settings.orphanAge()).isEqualTo(Duration.ofDays(31));
            assertThat(settings.maxRunDuration()).isEqualTo(Duration.ofDays(30));
            assertThat(settings.retry().attempts()).isEqualTo(5);
            assertThat(settings.retry().initialBackoff()).isEqualTo(Duration.ofMillis(200));
            assertThat(settings.retry().maxBackoff()).isEqualTo(Duration.ofSeconds(5));
            assertThat(settings.service()).isEqualTo(CleanerSettings.Service.DEFAULTS);
            assertThat(context.getBean(KafkaSettings.class).clientConfig())
                    .isEqualTo(Map.of("bootstrap.servers", "localhost:9092",
                            "retry.backoff.max.ms", KafkaSettings.RETRY_BACKOFF_MAX_MS));
            assertThat(context.containsBean(RunEventLoop.class)).isFalse();
            assertThat(context.containsBean(GarbageCollectionJob.class)).isFalse();
        }
    }

    @Test
    void configurationOverridesTheDefaults() {
        Map<String, Object> properties = new HashMap<>(CONFIG_ONLY);
        properties.putAll(Map.of(
                "vigil.cleaner.namespaces", "agents,tenant-b",
                "vigil.cleaner.kinds", "deployments,Service",
                "vigil.cleaner.run-label-key", "vigil.dev/run",
                "vigil.cleaner.gc.orphan-age", "2h",
                "vigil.cleaner.max-run-duration", "1h",
                "vigil.cleaner.retry.attempts", 2,
                "vigil.kafka.bootstrap-servers", "kafka-1:9093,kafka-2:9093",
                "vigil.kafka.client.security.protocol", "SSL"));
        properties.putAll(Map.of(
                "vigil.cleaner.concurrency", "3",
                "vigil.cleaner.consumer.poll-timeout", "100ms",
                "vigil.cleaner.kubernetes.master-url", "http://127.0.0.1:8001",
                "vigil.cleaner.cache.sync-timeout", "30s"));
        try (ApplicationContext context = ApplicationContext.run(properties)) {
            CleanerSettings settings = context.getBean(CleanerSettings.class);

            assertThat(settings.namespaces()).containsExactlyInAnyOrder("agents", "tenant-b");
            assertThat(settings.kinds()).containsExactly(ResourceKind.DEPLOYMENT, ResourceKind.SERVICE);
            assertThat(settings.runLabelKey()).isEqualTo("vigil.dev/run");
            assertThat(settings.orphanAge()).isEqualTo(Duration.ofHours(2));
            assertThat(settings.retry().attempts()).isEqualTo(2);
            assertThat(settings.service()).isEqualTo(new CleanerSettings.Service(3, "vigil-k8s-cleaner",
                    Duration.ofMillis(100), "http://127.0.0.1:8001", Duration.ofSeconds(30)));
            assertThat(context.getBean(KafkaSettings.class).clientConfig()).isEqualTo(Map.of(
                    "bootstrap.servers", "kafka-1:9093,kafka-2:9093", "security.protocol", "SSL",
                    "retry.backoff.max.ms", KafkaSettings.RETRY_BACKOFF_MAX_MS));
        }
    }
}
