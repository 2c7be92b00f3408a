package dev.vigil.cleaner;

import static dev.vigil.cleaner.Events.created;
import static dev.vigil.cleaner.Events.finished;
import static dev.vigil.cleaner.Events.target;
import static dev.vigil.cleaner.Resources.SESSION;
import static dev.vigil.cleaner.Resources.createAllKinds;
import static dev.vigil.cleaner.Resources.kindsPresent;
import static dev.vigil.cleaner.Resources.labels;
import static dev.vigil.cleaner.Resources.vigilLabels;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vigil.cleaner.kubernetes.ResourceKind;
import dev.vigil.contracts.VigilHeaders;
import dev.vigil.contracts.event.CleanupOutcome;
import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.event.CleanupTrigger;
import dev.vigil.contracts.event.RunEvent;
import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.infra.KafkaBroker;
import dev.vigil.infra.RealInfraExtension;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The whole service on a real Kafka broker, against fabric8's CRUD mock API server. */
@ExtendWith(RealInfraExtension.class)
class CleanerIT {

    private static final TopicCatalog CATALOG = new TopicCatalog("it-" + UUID.randomUUID().toString().substring(0, 8) + ".");
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static KubernetesMockServer kubernetes;
    private static KubernetesClient kube;
    private static EmbeddedServer app;
    private static KafkaProducer<byte[], byte[]> producer;
    private static String bootstrapServers;

    @BeforeAll
    static void start(KafkaBroker broker) {
        bootstrapServers = broker.bootstrapServers();
        kubernetes = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        kubernetes.init();
        kube = kubernetes.createClient();
        app = ApplicationContext.run(EmbeddedServer.class, Map.of(
                "micronaut.server.port", -1,
                "vigil.kafka.bootstrap-servers", bootstrapServers,
                "vigil.topic-prefix", CATALOG.prefix(),
                "vigil.cleaner.kubernetes.master-url", kube.getMasterUrl().toString(),
                "vigil.cleaner.namespaces", "agents",
                "vigil.cleaner.retry.initial-backoff", "10ms",
                "vigil.cleaner.retry.max-backoff", "50ms",
                "vigil.cleaner.consumer.poll-timeout", "100ms",
                "vigil.cleaner.gc.enabled", false));
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
                new ByteArraySerializer(), new ByteArraySerializer());
        // Rebuilt and caught up: from then on a record on the topic is acted on, and garbage collection may run.
        await().atMost(WAIT).untilAsserted(() -> assertThat(get("/health"))
                .contains("\"consumer\":\"RUNNING\"").contains("\"caughtUpAt\""));
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.getApplicationContext().close();
        }
        if (producer != null) {
            producer.close();
        }
        if (kube != null) {
            kube.close();
        }
        if (kubernetes != null) {
            kubernetes.destroy();
        }
    }

    @Test
    void aRunFinishedOnTheTopicDeletesTheRunsResourcesAndIsPublishedToCleanups() throws Exception {
        createAllKinds(kube, "agents", "agent-it1", vigilLabels("it-1"));
        createAllKinds(kube, "agents", "half-labelled-it1", labels(SESSION, "it-1"));
        createAllKinds(kube, "other", "agent-it1", vigilLabels("it-1"));

        send(0, created("it-1", 1, target("agents", "it-1")));
        send(0, finished("it-1", 1));

        await().atMost(WAIT).until(() -> kindsPresent(kube, "agents", "agent-it1").isEmpty());
        try (TopicTail cleanups = new TopicTail(bootstrapServers, CATALOG.cleanups().name())) {
            await().atMost(WAIT).until(() -> cleanupsOf(cleanups.read(), "it-1").size() == ResourceKind.values().length);
            assertThat(cleanupsOf(cleanups.read(), "it-1")).allSatisfy(c -> {
                assertThat(c.outcome()).isEqualTo(CleanupOutcome.DELETED);
                assertThat(c.trigger()).isEqualTo(CleanupTrigger.RUN_FINISHED);
                assertThat(c.namespace()).isEqualTo("agents");
                assertThat(c.name()).isEqualTo("agent-it1");
            });
        }
        assertThat(kindsPresent(kube, "agents", "half-labelled-it1")).hasSize(ResourceKind.values().length);
        assertThat(kindsPresent(kube, "other", "agent-it1")).hasSize(ResourceKind.values().length);
    }

    @Test
    void garbageOnTheTopicIsDeadLetteredAndTheNextEventIsStillProcessed() throws Exception {
        createAllKinds(kube, "agents", "agent-it2", vigilLabels("it-2"));
        byte[] garbage = {(byte) 0xff, 0x00, 'n', 'o', 't', ' ', 'j', 's', 'o', 'n'};

        producer.send(new ProducerRecord<>(CATALOG.runEvents().name(), 1, "junk".getBytes(StandardCharsets.UTF_8),
                garbage)).get();
        send(1, finished("it-2", 1, target("agents", "it-2")));

        try (TopicTail deadLetters = new TopicTail(bootstrapServers, CATALOG.deadLetters().name())) {
            await().atMost(WAIT).until(() -> !deadLetters.read().isEmpty());
            ConsumerRecord<byte[], byte[]> dead = deadLetters.read().get(0);
            assertThat(dead.value()).isEqualTo(garbage);
            assertThat(dead.headers().lastHeader(VigilHeaders.DLQ_REASON)).isNotNull();
            assertThat(new String(dead.headers().lastHeader(VigilHeaders.DLQ_SOURCE_TOPIC).value(), StandardCharsets.UTF_8))
                    .isEqualTo(CATALOG.runEvents().name());
        }
        await().atMost(WAIT).until(() -> kindsPresent(kube, "agents", "agent-it2").isEmpty());
        assertThat(get("/prometheus")).contains("vigil_cleaner_dead_letters_total{reason=\"invalid_event\"} 1.0");
    }

    private static void send(int partition, RunEvent event) throws Exception {
        RecordHeaders headers = new RecordHeaders();
        byte[] value = CATALOG.runEvents().valueSerde().serializer().serialize(CATALOG.runEvents().name(), headers, event);
        producer.send(new ProducerRecord<>(CATALOG.runEvents().name(), partition, null,
                event.runId().getBytes(StandardCharsets.UTF_8), value, headers)).get();
    }

    private static List<CleanupPerformed> cleanupsOf(List<ConsumerRecord<byte[], byte[]>> records, String runId) {
        return records.stream()
                .map(r -> CATALOG.cleanups().valueSerde().deserializer().deserialize(r.topic(), r.headers(), r.value()))
                .filter(c -> c.runId().equals(runId))
                .toList();
    }

    private static String get(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(app.getURI().resolve(path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
