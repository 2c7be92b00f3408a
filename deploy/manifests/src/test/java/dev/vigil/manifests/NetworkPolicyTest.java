package dev.vigil.manifests;

import static dev.vigil.manifests.Rendered.id;
import static dev.vigil.manifests.Rendered.list;
import static dev.vigil.manifests.Rendered.strings;
import static dev.vigil.manifests.Rendered.texts;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every service has one NetworkPolicy, for ingress and egress: run-service's API is open to the cluster (ingress
 * controllers and Prometheus included), the sweeper's and the cleaner's port (health and metrics only) to the
 * monitoring namespace; egress goes to DNS, the Kafka brokers on the port the service connects to, and what the
 * service itself calls: PostgreSQL (run-service), the Kubernetes API (the cleaner). Rules are compared as text,
 * exactly, so a widened rule fails with both sides printed.
 */
class NetworkPolicyTest {

    static final String MONITORING_NAMESPACE = "monitoring";
    private static final String ANY = "*";
    /** A rule without peers: any address (ports still limit it). */
    private static final String ANYWHERE = "anywhere";
    private static final String DNS = rule(peer("kubernetes.io/metadata.name=kube-system", "k8s-app=kube-dns"),
            "53/TCP", "53/UDP");

    static List<Path> overlays() {
        return Repo.overlays();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void everyServiceHasExactlyOneNetworkPolicyForIngressAndEgress(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);

        for (String service : Repo.SERVICES) {
            assertThat(texts(policyOf(rendered, service).path("spec").path("policyTypes")))
                    .as("policyTypes of %s's NetworkPolicy", service).containsExactlyInAnyOrder("Ingress", "Egress");
        }
        assertThat(rendered.ofKind("NetworkPolicy")).as("NetworkPolicies of %s", rendered.source()).allSatisfy(policy ->
                assertThat(Repo.SERVICES).as("the service %s is for (others' pods are left alone)", id(policy))
                        .anySatisfy(service -> assertThat(selects(policy, rendered.service(service))).isTrue()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void ingressReachesOnlyTheHttpPortFromWhereItIsNeeded(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);
        Map<String, String> from = Map.of(
                "run-service", peer(ANY, ANY),
                "sweeper-service", peer("kubernetes.io/metadata.name=" + MONITORING_NAMESPACE, ANY),
                "k8s-cleaner-service", peer("kubernetes.io/metadata.name=" + MONITORING_NAMESPACE, ANY));

        for (String service : Repo.SERVICES) {
            JsonNode policy = policyOf(rendered, service);
            assertThat(rules(policy, "ingress", "from")).as("ingress of %s", id(policy))
                    .containsExactly(rule(from.get(service), "http/TCP"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void egressGoesOnlyToDnsKafkaAndWhatTheServiceCalls(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);
        JsonNode cluster = StrimziTest.clusterOf(overlay);
        String brokers = peer("kubernetes.io/metadata.name=" + Rendered.namespace(cluster),
                "strimzi.io/cluster=" + Rendered.name(cluster) + ",strimzi.io/kind=Kafka");
        Map<String, List<String>> calls = Map.of(
                "run-service", List.of(rule(ANYWHERE, "5432/TCP")),
                "sweeper-service", List.of(),
                "k8s-cleaner-service", List.of(rule(ANYWHERE, "443/TCP", "6443/TCP")));

        for (String service : Repo.SERVICES) {
            JsonNode policy = policyOf(rendered, service);
            String bootstrap = rendered.env(rendered.service(service)).get("KAFKA_BOOTSTRAP_SERVERS");
            List<String> expected = new ArrayList<>(List.of(DNS,
                    rule(brokers, bootstrap.substring(bootstrap.lastIndexOf(':') + 1) + "/TCP")));
            expected.addAll(calls.get(service));
            assertThat(rules(policy, "egress", "to")).as("egress of %s (Kafka at %s)", id(policy), bootstrap)
                    .containsExactlyInAnyOrderElementsOf(expected);
        }
    }

    /** The one NetworkPolicy selecting the service's pods. */
    private static JsonNode policyOf(Rendered rendered, String service) {
        JsonNode deployment = rendered.service(service);
        List<JsonNode> policies = rendered.ofKind("NetworkPolicy").stream().filter(p -> selects(p, deployment)).toList();
        assertThat(policies).as("NetworkPolicies selecting the pods of %s in %s", service, rendered.source()).hasSize(1);
        return policies.get(0);
    }

    private static boolean selects(JsonNode policy, JsonNode workload) {
        JsonNode selector = policy.path("spec").path("podSelector");
        assertThat(selector.has("matchExpressions")).as("matchExpressions in %s", id(policy)).isFalse();
        return Rendered.namespace(policy).equals(Rendered.namespace(workload))
                && Rendered.selects(strings(selector.path("matchLabels")),
                strings(workload.path("spec").path("template").path("metadata").path("labels")));
    }

    /** Each rule of {@code direction} as text: its peers (none: anywhere) and its ports. */
    private static List<String> rules(JsonNode policy, String direction, String peers) {
        return list(policy.path("spec").path(direction)).stream().map(rule -> {
            List<JsonNode> listed = list(rule.path(peers));
            String to = listed.isEmpty() ? ANYWHERE : listed.stream().map(p -> describe(policy, p))
                    .sorted().collect(Collectors.joining(" | "));
            return rule(to, list(rule.path("ports")).stream()
                    .map(port -> port.path("port").asText() + "/" + port.path("protocol").asText("TCP"))
                    .toArray(String[]::new));
        }).toList();
    }

    private static String describe(JsonNode policy, JsonNode peer) {
        assertThat(peer.has("ipBlock")).as("an ipBlock in %s (write it in your own overlay)", id(policy)).isFalse();
        String namespaces = peer.has("namespaceSelector") ? labelsOrAny(peer.path("namespaceSelector"))
                : "kubernetes.io/metadata.name=" + Rendered.namespace(policy);
        String pods = peer.has("podSelector") ? labelsOrAny(peer.path("podSelector")) : ANY;
        return peer(namespaces, pods);
    }

    private static String labelsOrAny(JsonNode selector) {
        assertThat(selector.has("matchExpressions")).as("matchExpressions in a peer").isFalse();
        Map<String, String> labels = strings(selector.path("matchLabels"));
        return labels.isEmpty() ? ANY : labels.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .sorted().collect(Collectors.joining(","));
    }

    /** Pods matching {@code pods} in namespaces matching {@code namespaces}. */
    private static String peer(String namespaces, String pods) {
        return "pods [" + pods + "] in namespaces [" + namespaces + "]";
    }

    private static String rule(String peers, String... ports) {
        return peers + " on " + String.join(",", List.of(ports).stream().sorted().toList());
    }
}
