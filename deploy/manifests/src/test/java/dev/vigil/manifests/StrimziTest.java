package dev.vigil.manifests;

import static dev.vigil.manifests.Rendered.id;
import static dev.vigil.manifests.Rendered.list;
import static dev.vigil.manifests.Rendered.texts;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.contracts.topic.Topic;
import dev.vigil.contracts.topic.TopicCatalog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Strimzi examples (deploy/k8s/strimzi) are KRaft clusters with node pools that Strimzi 1.2.0 accepts (its
 * schemas: {@link UpstreamSchemaTest}), running the Kafka the clients are built against; the production one survives
 * the loss of a zone; and each overlay's Kafka clients match the cluster it is meant for: bootstrap address, TLS,
 * SASL/SCRAM, the KafkaUser and its ACLs.
 */
class StrimziTest {

    static final String STRIMZI_RELEASE = "Strimzi 1.2.0";
    /** The only API version Strimzi 1.x serves (v1beta2 was removed in 1.0.0). */
    static final String STRIMZI_API = "kafka.strimzi.io/v1";
    /** The workers' (and agents') KafkaUser: its Secret is what their heartbeat clients authenticate with. */
    static final String WORKERS_USER = "vigil-workers";
    /** The Kafka versions Strimzi 1.2.0 supports (its kafka-versions.yaml: supported: true). */
    private static final Set<String> KAFKA_VERSIONS = Set.of("4.2.0", "4.2.1", "4.3.0", "4.3.1");
    /** Annotations Strimzi no longer reads (KRaft and node pools are always on since 0.48). */
    private static final Set<String> OBSOLETE_ANNOTATIONS = Set.of("strimzi.io/node-pools", "strimzi.io/kraft");
    /** Which example cluster each overlay's clients are configured for. */
    private static final Map<String, String> CLUSTER_OF_OVERLAY = Map.of(
            "dev", "strimzi/single-node",
            "prod", "strimzi/production");

    static List<Path> clusters() {
        return CLUSTER_OF_OVERLAY.values().stream().sorted().map(dir -> Repo.k8s().resolve(dir)).toList();
    }

    static List<Path> overlays() {
        return Repo.overlays();
    }

    /** The Kafka resource of the example cluster {@code overlay} is configured for. */
    static JsonNode clusterOf(Path overlay) {
        return kafka(Kustomize.build(clusterDir(overlay)));
    }

    /** How many brokers that cluster has. */
    static int brokers(Path overlay) {
        return brokers(Kustomize.build(clusterDir(overlay)));
    }

    private static Path clusterDir(Path overlay) {
        String cluster = CLUSTER_OF_OVERLAY.get(overlay.getFileName().toString());
        assertThat(cluster).as("the Strimzi cluster overlay %s is for (add it to StrimziTest)", overlay.getFileName()).isNotNull();
        return Repo.k8s().resolve(cluster);
    }

    private static JsonNode kafka(Rendered cluster) {
        assertThat(cluster.ofKind("Kafka")).as("Kafka resources in %s", cluster.source()).hasSize(1);
        return cluster.ofKind("Kafka").get(0);
    }

    private static int brokers(Rendered cluster) {
        return cluster.ofKind("KafkaNodePool").stream()
                .filter(pool -> texts(pool.path("spec").path("roles")).contains("broker"))
                .mapToInt(pool -> pool.path("spec").path("replicas").asInt()).sum();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clusters")
    void theExampleClusterRunsInKraftModeWithNodePools(Path dir) {
        Rendered cluster = Kustomize.build(dir);
        JsonNode kafka = kafka(cluster);
        List<JsonNode> pools = cluster.ofKind("KafkaNodePool");

        assertThat(cluster.resources()).allSatisfy(resource -> assertThat(resource.path("apiVersion").asText())
                .as("apiVersion of %s", id(resource)).isEqualTo(STRIMZI_API));
        assertThat(Rendered.strings(kafka.path("metadata").path("annotations")).keySet()).as("annotations of %s", id(kafka))
                .doesNotContainAnyElementsOf(OBSOLETE_ANNOTATIONS);
        assertThat(pools).as("KafkaNodePools of %s", cluster.source()).isNotEmpty().allSatisfy(pool -> {
            assertThat(Rendered.labels(pool)).containsEntry("strimzi.io/cluster", Rendered.name(kafka));
            assertThat(Rendered.namespace(pool)).isEqualTo(Rendered.namespace(kafka));
        });
        assertThat(pools).as("KRaft controllers").anySatisfy(pool -> assertThat(texts(pool.path("spec").path("roles"))).contains("controller"));
        assertThat(brokers(cluster)).as("brokers").isPositive();
        assertThat(kafka.path("spec").has("zookeeper")).as("ZooKeeper in %s", cluster.source()).isFalse();

        String version = kafka.path("spec").path("kafka").path("version").asText();
        assertThat(version).as("Kafka version (one %s supports)", STRIMZI_RELEASE).isIn(KAFKA_VERSIONS)
                .as("Kafka version (the kafka-clients Vigil is built with)")
                .isEqualTo(ContainerImagesTest.property(Repo.read(Repo.root().resolve("pom.xml")), "kafka.version"));
        assertThat(kafka.path("spec").path("kafka").path("metadataVersion").asText())
                .as("metadataVersion").startsWith(version.substring(0, version.lastIndexOf('.')) + "-IV");
        assertThat(kafka.path("spec").path("entityOperator").has("topicOperator")).as("a Topic Operator").isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clusters")
    void replicationFitsTheBrokersAndTopicsAreNeverCreatedByAccident(Path dir) {
        Rendered cluster = Kustomize.build(dir);
        JsonNode config = kafka(cluster).path("spec").path("kafka").path("config");
        int brokers = brokers(cluster);
        int replication = config.path("default.replication.factor").asInt();

        assertThat(replication).as("default.replication.factor").isBetween(1, brokers);
        assertThat(config.path("offsets.topic.replication.factor").asInt()).as("offsets.topic.replication.factor").isBetween(1, brokers);
        assertThat(config.path("transaction.state.log.replication.factor").asInt())
                .as("transaction.state.log.replication.factor (the sweeper is exactly-once)").isBetween(1, brokers);
        assertThat(config.path("min.insync.replicas").asInt()).as("min.insync.replicas (one broker may be down)")
                .isEqualTo(Math.max(1, replication - 1));
        assertThat(config.path("auto.create.topics.enable").asBoolean(true)).as("auto.create.topics.enable").isFalse();
    }

    /**
     * Production survives the loss of a zone: three dedicated controllers and three brokers, each pool spread one per
     * zone and never two on a node, brokers rack-aware by that zone label (so a partition's three replicas sit in three
     * zones), and writes acknowledged by two of them.
     */
    @Test
    void theProductionClusterHasDedicatedControllersAndBrokersSpreadOverZones() {
        Rendered cluster = Kustomize.build(Repo.k8s().resolve("strimzi/production"));
        JsonNode kafka = kafka(cluster);
        JsonNode rack = kafka.path("spec").path("kafka").path("rack");
        JsonNode config = kafka.path("spec").path("kafka").path("config");
        String zone = "topology.kubernetes.io/zone";

        assertThat(rack.path("topologyKey").asText()).as("rack.topologyKey of %s", id(kafka)).isEqualTo(zone);
        assertThat(rack.path("type").asText("topology-label")).as("rack.type of %s", id(kafka)).isEqualTo("topology-label");
        assertThat(cluster.ofKind("KafkaNodePool"))
                .extracting(pool -> String.join(",", texts(pool.path("spec").path("roles"))))
                .as("the roles of the pools of %s", cluster.source()).containsExactlyInAnyOrder("controller", "broker");
        for (JsonNode pool : cluster.ofKind("KafkaNodePool")) {
            String role = texts(pool.path("spec").path("roles")).get(0);
            // The labels Strimzi gives the pool's pods.
            Map<String, String> podLabels = Map.of("strimzi.io/cluster", Rendered.name(kafka), "strimzi.io/kind", "Kafka",
                    "strimzi.io/name", Rendered.name(kafka) + "-kafka", "strimzi.io/pool-name", Rendered.name(pool),
                    "strimzi.io/" + role + "-role", "true");
            JsonNode pod = pool.path("spec").path("template").path("pod");

            assertThat(pool.path("spec").path("replicas").asInt()).as("replicas of %s", id(pool)).isEqualTo(3);
            assertThat(list(pod.path("topologySpreadConstraints"))).as("zone spread of %s", id(pool)).anySatisfy(spread -> {
                assertThat(spread.path("topologyKey").asText()).isEqualTo(zone);
                assertThat(spread.path("maxSkew").asInt()).isEqualTo(1);
                assertThat(spread.path("whenUnsatisfiable").asText()).isEqualTo("DoNotSchedule");
                assertThat(selectsOnlyThePool(spread.path("labelSelector"), podLabels)).as("its labelSelector").isTrue();
            });
            assertThat(list(pod.path("affinity").path("podAntiAffinity").path("requiredDuringSchedulingIgnoredDuringExecution")))
                    .as("one pod of %s per node", id(pool)).anySatisfy(term -> {
                        assertThat(term.path("topologyKey").asText()).isEqualTo("kubernetes.io/hostname");
                        assertThat(selectsOnlyThePool(term.path("labelSelector"), podLabels)).as("its labelSelector").isTrue();
                    });
        }
        assertThat(config.path("default.replication.factor").asInt()).as("default.replication.factor").isEqualTo(3);
        assertThat(config.path("offsets.topic.replication.factor").asInt()).as("offsets.topic.replication.factor").isEqualTo(3);
        assertThat(config.path("transaction.state.log.replication.factor").asInt()).isEqualTo(3);
        assertThat(config.path("min.insync.replicas").asInt()).as("min.insync.replicas").isEqualTo(2);
        assertThat(config.path("transaction.state.log.min.isr").asInt()).as("transaction.state.log.min.isr").isEqualTo(2);
        // a dead broker's partitions move within 2 s (as in the fault suite's cluster profile), not 9
        assertThat(config.path("broker.session.timeout.ms").asInt()).as("broker.session.timeout.ms").isEqualTo(2000);
        assertThat(config.path("broker.heartbeat.interval.ms").asInt()).as("broker.heartbeat.interval.ms").isEqualTo(500);
    }

    /** Matches the pool's pods and no other pool's: by labels only, among them the pool's name or its role. */
    private static boolean selectsOnlyThePool(JsonNode selector, Map<String, String> podLabels) {
        Map<String, String> matchLabels = Rendered.strings(selector.path("matchLabels"));
        boolean namesThePool = matchLabels.containsKey("strimzi.io/pool-name")
                || matchLabels.keySet().stream().anyMatch(key -> key.endsWith("-role"));
        return !selector.has("matchExpressions") && Rendered.selects(matchLabels, podLabels)
                && matchLabels.containsKey("strimzi.io/cluster") && namesThePool;
    }

    /** Every file holding a Strimzi resource says which Strimzi release it matches. */
    @Test
    void everyStrimziManifestNamesTheStrimziRelease() throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(Repo.k8s())) {
            files = walk.filter(f -> f.toString().endsWith(".yaml"))
                    .filter(f -> Repo.read(f).contains("apiVersion: kafka.strimzi.io/")).toList();
        }

        assertThat(files).isNotEmpty().allSatisfy(file -> {
            assertThat(Repo.read(file)).as(Repo.relative(file)).contains(STRIMZI_RELEASE).contains(STRIMZI_API)
                    .doesNotContain("kafka.strimzi.io/v1beta").doesNotContain("kafka.strimzi.io/v1alpha");
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void theServicesConnectToTheirClusterWithTheSecurityItsListenerRequires(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);
        JsonNode kafka = clusterOf(overlay);
        String cluster = Rendered.name(kafka);
        String namespace = Rendered.namespace(kafka);

        for (String service : Repo.SERVICES) {
            JsonNode deployment = rendered.service(service);
            Map<String, String> env = rendered.env(deployment);
            String bootstrap = env.get("KAFKA_BOOTSTRAP_SERVERS");
            Matcher address = Pattern.compile(Pattern.quote(cluster + "-kafka-bootstrap." + namespace + ".svc")
                    + "(\\.cluster\\.local)?:(\\d+)").matcher(bootstrap == null ? "" : bootstrap);
            assertThat(address.matches()).as("KAFKA_BOOTSTRAP_SERVERS of %s: %s", service, bootstrap).isTrue();
            int port = Integer.parseInt(address.group(2));
            JsonNode listener = list(kafka.path("spec").path("kafka").path("listeners")).stream()
                    .filter(l -> l.path("port").asInt() == port).findFirst()
                    .orElseThrow(() -> new AssertionError(service + " connects to port " + port
                            + ", where the cluster has no listener"));
            boolean tls = listener.path("tls").asBoolean(false);
            String authentication = listener.path("authentication").path("type").asText();
            String protocol = (authentication.isEmpty() ? "" : "SASL_") + (tls ? "SSL" : "PLAINTEXT");

            assertThat(env.getOrDefault("VIGIL_KAFKA_CLIENT_SECURITY_PROTOCOL", "PLAINTEXT"))
                    .as("security protocol of %s for listener %s", service, listener.path("name").asText()).isEqualTo(protocol);
            if (authentication.equals("scram-sha-512")) {
                assertThat(env).as("env of %s", service).containsEntry("VIGIL_KAFKA_CLIENT_SASL_MECHANISM", "SCRAM-SHA-512");
                JsonNode user = kafkaUserOf(rendered, deployment)
                        .orElseThrow(() -> new AssertionError(service + " has no KafkaUser for its SASL credentials"));
                assertThat(user.path("spec").path("authentication").path("type").asText()).isEqualTo("scram-sha-512");
                assertThat(Rendered.labels(user)).containsEntry("strimzi.io/cluster", cluster);
                assertThat(Rendered.namespace(user)).isEqualTo(namespace);
                assertThat(Rendered.secretKeyRef(deployment, "VIGIL_KAFKA_CLIENT_SASL_JAAS_CONFIG").orElseThrow()
                        .path("optional").asBoolean(false)).as("the SASL Secret of %s is optional", service).isFalse();
            } else {
                assertThat(authentication).as("listener authentication (only SCRAM is wired)").isEmpty();
            }
            if (tls) {
                assertThat(env).as("env of %s", service).containsEntry("VIGIL_KAFKA_CLIENT_SSL_TRUSTSTORE_TYPE", "PEM");
                String truststore = env.get("VIGIL_KAFKA_CLIENT_SSL_TRUSTSTORE_LOCATION");
                assertThat(truststore).as("truststore of %s", service)
                        .isEqualTo(secretMountPath(deployment, cluster + "-cluster-ca-cert") + "/ca.crt");
            }
        }
    }

    /**
     * With ACLs on (simple authorization), each KafkaUser allows exactly what its client does, nothing more: the
     * three services (found through the Secret each Deployment reads its SASL credentials from) and the workers.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void eachKafkaUserAllowsExactlyWhatItsClientDoes(Path overlay) {
        JsonNode kafka = clusterOf(overlay);
        if (!"simple".equals(kafka.path("spec").path("kafka").path("authorization").path("type").asText())) {
            return;
        }
        Rendered rendered = Kustomize.build(overlay);
        TopicCatalog catalog = TopicCatalog.withDefaultPrefix();
        String sweeperId = rendered.env(rendered.service("sweeper-service")).get("VIGIL_SWEEPER_APPLICATION_ID");
        assertThat(sweeperId).as("VIGIL_SWEEPER_APPLICATION_ID").isNotBlank();
        String cleanerGroup = rendered.env(rendered.service("k8s-cleaner-service")).get("VIGIL_CLEANER_CONSUMER_GROUP_ID");
        assertThat(cleanerGroup).as("VIGIL_CLEANER_CONSUMER_GROUP_ID: the group the cleaner's ACL allows").isNotBlank();

        Map<String, Set<String>> expected = Map.of(
                Rendered.name(user(rendered, "run-service")), Set.of(
                        literal("topic", catalog.runEvents(), "Describe", "Write"),
                        literal("topic", catalog.commands(), "Describe", "Write"),
                        literal("topic", catalog.deadLetters(), "Describe", "Write"),
                        literal("topic", catalog.timeouts(), "Describe", "Read"),
                        literal("topic", catalog.runActivity(), "Describe", "Read"),
                        literal("topic", catalog.cleanups(), "Describe", "Read"),
                        // SweeperEventConsumer's and CleanupEventConsumer's groups: <topic prefix>run-service(-cleanups).
                        acl("group", "literal", catalog.prefix() + "run-service", "Describe", "Read"),
                        acl("group", "literal", catalog.prefix() + "run-service-cleanups", "Describe", "Read")),
                Rendered.name(user(rendered, "sweeper-service")), Set.of(
                        // Read by the streams, written by the watermark ticker, timestamp type checked at start.
                        literal("topic", catalog.heartbeats(), "Describe", "DescribeConfigs", "Read", "Write"),
                        literal("topic", catalog.agentHeartbeats(), "Describe", "DescribeConfigs", "Read", "Write"),
                        literal("topic", catalog.runEvents(), "Describe", "DescribeConfigs", "Read", "Write"),
                        literal("topic", catalog.timeouts(), "Describe", "Write"),
                        literal("topic", catalog.runActivity(), "Describe", "Write"),
                        literal("topic", catalog.deadLetters(), "Describe", "Write"),
                        // Kafka Streams' internal topics: created, checked, read, written and purged (DeleteRecords).
                        acl("topic", "prefix", sweeperId + "-", "Create", "Delete", "Describe", "DescribeConfigs",
                                "Read", "Write"),
                        acl("group", "literal", sweeperId, "Describe", "Read"),
                        acl("transactionalId", "prefix", sweeperId + "-", "Describe", "Write")),
                Rendered.name(user(rendered, "k8s-cleaner-service")), Set.of(
                        literal("topic", catalog.runEvents(), "Describe", "Read"),
                        literal("topic", catalog.cleanups(), "Describe", "Write"),
                        literal("topic", catalog.cleanerRunState(), "Describe", "Read", "Write"),
                        literal("topic", catalog.deadLetters(), "Describe", "Write"),
                        acl("group", "literal", cleanerGroup, "Describe", "Read")),
                WORKERS_USER, Set.of(
                        literal("topic", catalog.heartbeats(), "Describe", "Write"),
                        literal("topic", catalog.agentHeartbeats(), "Describe", "Write"),
                        literal("topic", catalog.commands(), "Describe", "Read"),
                        acl("group", "prefix", catalog.prefix() + "workers.", "Describe", "Read")));

        assertThat(rendered.ofKind("KafkaUser")).extracting(Rendered::name).as("KafkaUsers in %s", rendered.source())
                .containsExactlyInAnyOrderElementsOf(expected.keySet());
        for (JsonNode user : rendered.ofKind("KafkaUser")) {
            assertThat(acls(user)).as("the ACLs of %s", id(user)).containsExactlyInAnyOrderElementsOf(expected.get(Rendered.name(user)));
            assertThat(user.path("spec").path("authentication").path("type").asText()).as("authentication of %s", id(user))
                    .isEqualTo("scram-sha-512");
            assertThat(Rendered.labels(user)).containsEntry("strimzi.io/cluster", Rendered.name(kafka));
        }
    }

    /** One ACL as text, operations sorted: {@code topic literal vigil.heartbeats: Describe,Write}. */
    private static String acl(String type, String patternType, String name, String... operations) {
        return type + " " + patternType + " " + name + ": " + String.join(",", Stream.of(operations).sorted().toList());
    }

    private static String literal(String type, Topic<?, ?> topic, String... operations) {
        return acl(type, "literal", topic.name(), operations);
    }

    /** A KafkaUser's ACLs as {@link #acl} writes them; anything but a plain allow is written so it cannot match. */
    private static List<String> acls(JsonNode user) {
        return list(user.path("spec").path("authorization").path("acls")).stream().map(acl -> {
            JsonNode resource = acl.path("resource");
            String entry = acl(resource.path("type").asText(), resource.path("patternType").asText("literal"),
                    resource.path("name").asText(), texts(acl.path("operations")).toArray(String[]::new));
            boolean plainAllow = acl.path("type").asText("allow").equals("allow") && acl.path("host").asText("*").equals("*");
            return plainAllow ? entry : entry + " (" + acl.path("type").asText() + " from " + acl.path("host").asText() + ")";
        }).toList();
    }

    private static JsonNode user(Rendered rendered, String service) {
        return kafkaUserOf(rendered, rendered.service(service))
                .orElseThrow(() -> new AssertionError(service + " has no KafkaUser in " + rendered.source()));
    }

    /** The KafkaUser whose Secret (named like the user) the Deployment maps to VIGIL_KAFKA_CLIENT_SASL_JAAS_CONFIG. */
    private static Optional<JsonNode> kafkaUserOf(Rendered rendered, JsonNode deployment) {
        return Rendered.secretKeyRef(deployment, "VIGIL_KAFKA_CLIENT_SASL_JAAS_CONFIG")
                .filter(ref -> ref.path("key").asText().equals("sasl.jaas.config"))
                .flatMap(ref -> rendered.find("KafkaUser", ref.path("name").asText()));
    }

    private static String secretMountPath(JsonNode deployment, String secret) {
        String volume = list(Rendered.podSpec(deployment).path("volumes")).stream()
                .filter(v -> secret.equals(v.path("secret").path("secretName").asText()))
                .map(v -> v.path("name").asText()).findFirst()
                .orElseThrow(() -> new AssertionError(id(deployment) + " does not mount Secret " + secret));
        return list(Rendered.container(deployment).path("volumeMounts")).stream()
                .filter(m -> volume.equals(m.path("name").asText()))
                .map(m -> m.path("mountPath").asText()).findFirst()
                .orElseThrow(() -> new AssertionError(id(deployment) + " does not mount volume " + volume));
    }
}
