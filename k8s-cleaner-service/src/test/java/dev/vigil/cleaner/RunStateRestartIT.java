package dev.vigil.cleaner;

import static dev.vigil.cleaner.Events.created;
import static dev.vigil.cleaner.Events.finished;
import static dev.vigil.cleaner.Events.started;
import static dev.vigil.cleaner.Events.target;
import static dev.vigil.cleaner.Resources.createAllKinds;
import static dev.vigil.cleaner.Resources.kindsPresent;
import static dev.vigil.cleaner.Resources.vigilLabels;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vigil.cleaner.kubernetes.ResourceKind;
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
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A run outlives its events: the cleaner is restarted after {@code vigil.run-events} has lost every
 * record (as retention does on day 8 of a 30-day run), and still knows the run is live, from its
 * compacted changelog, while garbage collection with a tiny orphan age takes a stray resource of a run
 * it really does not know.
 */
@ExtendWith(RealInfraExtension.class)
class RunStateRestartIT {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private final TopicCatalog catalog = new TopicCatalog("restart-" + UUID.randomUUID().toString().substring(0, 8) + ".");

    @Test
    void aLiveRunWhoseEventsAreGoneFromRunEventsIsStillKnownAfterARestart(KafkaBroker broker) throws Exception {
        String bootstrap = broker.bootstrapServers();
        String live = UUID.randomUUID().toString();
        KubernetesMockServer kubernetes = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        kubernetes.init();
        try (KubernetesClient kube = kubernetes.createClient();
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                     bootstrap), new ByteArraySerializer(), new ByteArraySerializer());
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            createAllKinds(kube, "agents", "long-run", vigilLabels(live));

            EmbeddedServer first = start(bootstrap, kube, false);
            try {
                send(producer, created(live, 1, target("agents", live)));
                send(producer, started(live, 1));
                try (TopicTail changelog = new TopicTail(bootstrap, catalog.cleanerRunState().name())) {
                    await().atMost(WAIT).until(() -> changelog.read().stream()
                            .anyMatch(r -> new String(r.key(), StandardCharsets.UTF_8).equals(live)));
                }
            } finally {
                first.getApplicationContext().close();
            }

            deleteEveryRecord(admin, catalog.runEvents().name());
            createAllKinds(kube, "agents", "stray", vigilLabels("stray-" + live.substring(0, 8)));

            EmbeddedServer second = start(bootstrap, kube, true);
            try {
                await().atMost(WAIT).until(() -> kindsPresent(kube, "agents", "stray").isEmpty());
                assertThat(kindsPresent(kube, "agents", "long-run")).as("the live run's resources after GC")
                        .hasSize(ResourceKind.values().length);
                assertThat(get(second, "/prometheus")).contains("vigil_cleaner_runs_tracked{state=\"live\"} 1.0");

                send(producer, finished(live, 1));
                await().atMost(WAIT).until(() -> kindsPresent(kube, "agents", "long-run").isEmpty());
            } finally {
                second.getApplicationContext().close();
            }
        } finally {
            kubernetes.destroy();
        }
    }

    private EmbeddedServer start(String bootstrap, KubernetesClient kube, boolean gc) throws Exception {
        EmbeddedServer app = ApplicationContext.run(EmbeddedServer.class, Map.ofEntries(
                Map.entry("micronaut.server.port", -1),
                Map.entry("vigil.kafka.bootstrap-servers", bootstrap),
                Map.entry("vigil.topic-prefix", catalog.prefix()),
                Map.entry("vigil.cleaner.kubernetes.master-url", kube.getMasterUrl().toString()),
                Map.entry("vigil.cleaner.namespaces", "agents"),
                Map.entry("vigil.cleaner.consumer.poll-timeout", "100ms"),
                Map.entry("vigil.cleaner.max-run-duration", "1s"),
                Map.entry("vigil.cleaner.gc.orphan-age", "1s"),
                Map.entry("vigil.cleaner.gc.enabled", gc),
                Map.entry("vigil.cleaner.gc.interval", "500ms"),
                Map.entry("vigil.cleaner.gc.initial-delay", "0s")));
        await().atMost(WAIT).untilAsserted(() -> assertThat(get(app, "/health"))
                .contains("\"consumer\":\"RUNNING\"").contains("\"caughtUpAt\""));
        return app;
    }

    /** What retention does to an old segment: every record of the topic is gone. */
    private static void deleteEveryRecord(Admin admin, String topic) throws Exception {
        var partitions = admin.describeTopics(java.util.List.of(topic)).allTopicNames().get().get(topic).partitions()
                .stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        var ends = admin.listOffsets(partitions.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest())))
                .all().get();
        admin.deleteRecords(ends.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
                e -> RecordsToDelete.beforeOffset(e.getValue().offset())))).all().get();
    }

    private void send(KafkaProducer<byte[], byte[]> producer, RunEvent event) throws Exception {
        RecordHeaders headers = new RecordHeaders();
        byte[] value = catalog.runEvents().valueSerde().serializer().serialize(catalog.runEvents().name(), headers, event);
        producer.send(new ProducerRecord<>(catalog.runEvents().name(), null, event.runId().getBytes(StandardCharsets.UTF_8),
                value, headers)).get();
    }

    private static String get(EmbeddedServer app, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(app.getURI().resolve(path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
