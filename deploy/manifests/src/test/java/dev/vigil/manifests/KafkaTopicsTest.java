package dev.vigil.manifests;

import static dev.vigil.manifests.Rendered.id;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.contracts.topic.Topic;
import dev.vigil.contracts.topic.TopicCatalog;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every topic of {@link TopicCatalog} has exactly one Strimzi KafkaTopic in every overlay, with the catalogue's
 * partition count and configs (retention, and LogAppendTime where the catalogue has it). The expected values are
 * read from the catalogue itself, so these fail as soon as the two drift apart.
 */
class KafkaTopicsTest {

    static List<Path> overlays() {
        return Repo.overlays();
    }

    /** The catalogue under the prefix the services are configured with. */
    private static TopicCatalog catalog(Rendered rendered) {
        List<String> prefixes = Repo.SERVICES.stream()
                .map(service -> rendered.env(rendered.service(service)).getOrDefault("VIGIL_TOPIC_PREFIX", TopicCatalog.DEFAULT_PREFIX))
                .distinct().toList();
        assertThat(prefixes).as("VIGIL_TOPIC_PREFIX of the three services in %s", rendered.source()).hasSize(1);
        return new TopicCatalog(prefixes.get(0));
    }

    private static Map<String, JsonNode> topicsByName(Rendered rendered) {
        List<JsonNode> topics = rendered.ofKind("KafkaTopic");
        Map<String, List<JsonNode>> byName = topics.stream().collect(Collectors.groupingBy(KafkaTopicsTest::topicName));
        assertThat(byName).as("KafkaTopics of %s by topic name", rendered.source())
                .allSatisfy((name, same) -> assertThat(same).as("KafkaTopics for %s", name).hasSize(1));
        return byName.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get(0)));
    }

    private static String topicName(JsonNode kafkaTopic) {
        String topicName = kafkaTopic.path("spec").path("topicName").asText();
        return topicName.isEmpty() ? Rendered.name(kafkaTopic) : topicName;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void everyCatalogueTopicHasAKafkaTopicWithItsPartitionsAndConfigs(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);
        Map<String, JsonNode> topics = topicsByName(rendered);

        for (Topic<?, ?> topic : catalog(rendered).all()) {
            JsonNode kafkaTopic = topics.get(topic.name());
            assertThat(kafkaTopic).as("the KafkaTopic of %s in %s", topic.name(), rendered.source()).isNotNull();
            assertThat(kafkaTopic.path("spec").path("partitions").asInt())
                    .as("partitions of %s", topic.name()).isEqualTo(topic.partitions());
            assertThat(Rendered.strings(kafkaTopic.path("spec").path("config")))
                    .as("config of %s (the catalogue's, exactly)", topic.name()).isEqualTo(topic.configs());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void theTopicsTheSweeperReadsUseTheBrokersClock(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);
        Map<String, JsonNode> topics = topicsByName(rendered);
        TopicCatalog catalog = catalog(rendered);

        for (Topic<?, ?> topic : List.of(catalog.heartbeats(), catalog.agentHeartbeats(), catalog.runEvents())) {
            assertThat(topics.get(topic.name()).path("spec").path("config").path("message.timestamp.type").asText())
                    .as("message.timestamp.type of %s", topic.name()).isEqualTo("LogAppendTime");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void thereIsNoKafkaTopicOutsideTheCatalogue(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);
        List<String> catalogued = catalog(rendered).all().stream().map(Topic::name).toList();

        assertThat(topicsByName(rendered).keySet()).as("KafkaTopics of %s", rendered.source())
                .containsExactlyInAnyOrderElementsOf(catalogued);
    }

    /** The Topic Operator only reconciles v1 KafkaTopics (all Strimzi 1.x serves) labelled with its cluster, in its namespace. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void everyKafkaTopicBelongsToTheStrimziCluster(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);
        JsonNode kafka = StrimziTest.clusterOf(overlay);

        assertThat(rendered.ofKind("KafkaTopic")).isNotEmpty().allSatisfy(topic -> {
            assertThat(topic.path("apiVersion").asText()).as("apiVersion of %s", id(topic)).isEqualTo(StrimziTest.STRIMZI_API);
            assertThat(Rendered.labels(topic)).as("labels of %s", id(topic)).containsEntry("strimzi.io/cluster", Rendered.name(kafka));
            assertThat(Rendered.namespace(topic)).as("namespace of %s", id(topic)).isEqualTo(Rendered.namespace(kafka));
            int replicas = topic.path("spec").path("replicas").asInt(0);
            assertThat(replicas).as("replicas of %s (none: the broker default)", id(topic))
                    .isLessThanOrEqualTo(StrimziTest.brokers(overlay));
        });
    }

    /** For a Kafka without Strimzi: no Strimzi resources, and run-service creates the catalogue's topics itself. */
    @Test
    void withTheExternalKafkaComponentRunServiceCreatesTheTopicsInsteadOfStrimzi() {
        Rendered rendered = Kustomize.buildWithComponents("prod+external-kafka", Repo.k8s().resolve("overlays/prod"),
                List.of(Repo.k8s().resolve("components/external-kafka")));

        assertThat(rendered.resources()).as("resources of prod + external-kafka")
                .noneMatch(resource -> resource.path("apiVersion").asText().startsWith("kafka.strimzi.io/"));
        assertThat(rendered.env(rendered.service("run-service"))).containsEntry("VIGIL_KAFKA_CREATE_TOPICS", "true");
    }
}
