package dev.vigil.manifests;

import static dev.vigil.manifests.Rendered.container;
import static dev.vigil.manifests.Rendered.id;
import static dev.vigil.manifests.Rendered.labels;
import static dev.vigil.manifests.Rendered.list;
import static dev.vigil.manifests.Rendered.podSpec;
import static dev.vigil.manifests.Rendered.strings;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every rendered overlay must hold for its workloads: probes, resources, hardening, labels, PDBs,
 * metrics. A list of independent checks over one rendering; each is short, there are many.
 */
class WorkloadsTest {

    private static final List<String> RECOMMENDED_LABELS = List.of("app.kubernetes.io/name",
            "app.kubernetes.io/instance", "app.kubernetes.io/component", "app.kubernetes.io/part-of",
            "app.kubernetes.io/version");

    static List<Path> overlays() {
        return Repo.overlays();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void rendersTheThreeServices(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);

        assertThat(rendered.ofKind("Deployment")).extracting(Rendered::name).containsAll(Repo.SERVICES);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void everyWorkloadHasLivenessAndReadinessProbes(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);

        SoftAssertions soft = new SoftAssertions();
        for (JsonNode workload : rendered.workloads()) {
            for (JsonNode container : Rendered.containers(workload)) {
                soft.assertThat(container.has("livenessProbe")).as("livenessProbe of %s", id(workload)).isTrue();
                soft.assertThat(container.has("readinessProbe")).as("readinessProbe of %s", id(workload)).isTrue();
            }
        }
        soft.assertAll();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void theServicesProbeMicronautsHealthEndpointsOnTheirHttpPort(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);

        for (String service : Repo.SERVICES) {
            JsonNode container = container(rendered.service(service));
            assertThat(container.path("livenessProbe").path("httpGet").path("path").asText())
                    .as("liveness path of %s", service).isEqualTo("/health/liveness");
            assertThat(container.path("readinessProbe").path("httpGet").path("path").asText())
                    .as("readiness path of %s", service).isEqualTo("/health/readiness");
            assertThat(container.path("startupProbe").path("httpGet").path("path").asText())
                    .as("startup path of %s (slow JVM starts must not trip the liveness probe)", service)
                    .isEqualTo("/health/liveness");
            for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
                assertThat(containerPort(container, container.path(probe).path("httpGet").path("port").asText()))
                        .as("%s port of %s", probe, service).contains(8080);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void everyContainerRequestsAndLimitsCpuAndMemory(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);

        SoftAssertions soft = new SoftAssertions();
        for (JsonNode workload : rendered.workloads()) {
            for (JsonNode container : Rendered.containers(workload)) {
                JsonNode resources = container.path("resources");
                for (String resource : List.of("cpu", "memory")) {
                    String request = resources.path("requests").path(resource).asText();
                    String limit = resources.path("limits").path(resource).asText();
                    soft.assertThat(request).as("%s request of %s", resource, id(workload)).isNotBlank();
                    soft.assertThat(limit).as("%s limit of %s", resource, id(workload)).isNotBlank();
                    if (!request.isBlank() && !limit.isBlank()) {
                        soft.assertThat(quantity(request)).as("%s request <= limit in %s", resource, id(workload))
                                .isLessThanOrEqualTo(quantity(limit));
                    }
                }
            }
        }
        soft.assertAll();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void everyContainerRunsAsNonRootOnAReadOnlyRootFilesystemWithoutCapabilities(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);

        SoftAssertions soft = new SoftAssertions();
        for (JsonNode workload : rendered.workloads()) {
            JsonNode pod = podSpec(workload).path("securityContext");
            soft.assertThat(podSpec(workload).path("hostNetwork").asBoolean(false)).as("hostNetwork of %s", id(workload)).isFalse();
            soft.assertThat(podSpec(workload).path("hostPID").asBoolean(false)).as("hostPID of %s", id(workload)).isFalse();
            soft.assertThat(list(podSpec(workload).path("volumes"))).as("volumes of %s", id(workload))
                    .noneMatch(volume -> volume.has("hostPath"));
            for (JsonNode container : Rendered.containers(workload)) {
                JsonNode own = container.path("securityContext");
                soft.assertThat(effective(own, pod, "runAsNonRoot").asBoolean(false))
                        .as("runAsNonRoot of %s", id(workload)).isTrue();
                soft.assertThat(effective(own, pod, "runAsUser").asInt(1)).as("runAsUser of %s", id(workload)).isNotZero();
                soft.assertThat(own.path("readOnlyRootFilesystem").asBoolean(false))
                        .as("readOnlyRootFilesystem of %s", id(workload)).isTrue();
                soft.assertThat(own.path("allowPrivilegeEscalation").asBoolean(true))
                        .as("allowPrivilegeEscalation of %s", id(workload)).isFalse();
                soft.assertThat(own.path("privileged").asBoolean(false)).as("privileged of %s", id(workload)).isFalse();
                soft.assertThat(Rendered.texts(own.path("capabilities").path("drop")))
                        .as("capabilities dropped by %s", id(workload)).contains("ALL");
                soft.assertThat(own.path("capabilities").path("add").isEmpty())
                        .as("capabilities added by %s", id(workload)).isTrue();
                soft.assertThat(effective(own, pod, "seccompProfile").path("type").asText())
                        .as("seccompProfile of %s", id(workload)).isEqualTo("RuntimeDefault");
            }
        }
        soft.assertAll();
    }

    /** With a read-only root filesystem the JVM (and RocksDB, Netty) still need a writable /tmp. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void theServicesHaveAWritableTmpAndTheSweeperAWritableStateDirectory(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);

        for (String service : Repo.SERVICES) {
            JsonNode deployment = rendered.service(service);
            assertThat(emptyDirMountedAt(deployment, "/tmp")).as("an emptyDir at /tmp in %s", service).isTrue();
        }
        JsonNode sweeper = rendered.service("sweeper-service");
        String stateDir = rendered.env(sweeper).get("VIGIL_SWEEPER_STATE_DIR");
        assertThat(stateDir).as("VIGIL_SWEEPER_STATE_DIR").isNotBlank();
        assertThat(emptyDirMountedAt(sweeper, stateDir)).as("an emptyDir at the sweeper's state dir %s", stateDir).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void theServicesCarryTheRecommendedLabelsAndTheirVersionIsTheirImageTag(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);

        for (String service : Repo.SERVICES) {
            JsonNode deployment = rendered.service(service);
            Map<String, String> labels = labels(deployment);
            Map<String, String> podLabels = strings(deployment.path("spec").path("template").path("metadata").path("labels"));
            Map<String, String> selector = strings(deployment.path("spec").path("selector").path("matchLabels"));

            assertThat(labels).as("labels of %s", service).containsKeys(RECOMMENDED_LABELS.toArray(String[]::new))
                    .containsEntry("app.kubernetes.io/name", service)
                    .containsEntry("app.kubernetes.io/part-of", "vigil");
            assertThat(podLabels).as("pod labels of %s", service).containsKeys(RECOMMENDED_LABELS.toArray(String[]::new));
            assertThat(Rendered.selects(selector, podLabels)).as("%s selects its own pods", service).isTrue();
            assertThat(selector).as("selector of %s (immutable: no version in it)", service)
                    .doesNotContainKey("app.kubernetes.io/version");

            String image = container(deployment).path("image").asText();
            String tag = image.substring(image.lastIndexOf(':') + 1);
            assertThat(image).as("image of %s", service).contains("/" + service + ":").doesNotEndWith(":latest");
            assertThat(labels.get("app.kubernetes.io/version")).as("version label of %s", service).isEqualTo(tag);
        }
    }

    /** The cleaner deletes what carries managed-by=vigil: Vigil's own resources must never carry it. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void nothingOfVigilItselfCarriesTheLabelTheCleanerDeletesBy(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);

        assertThat(rendered.resources()).allSatisfy(resource -> {
            assertThat(labels(resource)).as("labels of %s", id(resource))
                    .doesNotContainEntry("app.kubernetes.io/managed-by", "vigil");
            assertThat(strings(resource.path("spec").path("template").path("metadata").path("labels")))
                    .as("pod labels of %s", id(resource)).doesNotContainEntry("app.kubernetes.io/managed-by", "vigil");
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void everyDeploymentHasAPodDisruptionBudgetThatDoesNotBlockDrains(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);

        for (JsonNode deployment : rendered.ofKind("Deployment")) {
            Map<String, String> podLabels = strings(deployment.path("spec").path("template").path("metadata").path("labels"));
            List<JsonNode> budgets = rendered.ofKind("PodDisruptionBudget").stream()
                    .filter(pdb -> Rendered.namespace(pdb).equals(Rendered.namespace(deployment)))
                    .filter(pdb -> Rendered.selects(strings(pdb.path("spec").path("selector").path("matchLabels")), podLabels))
                    .toList();
            assertThat(budgets).as("PodDisruptionBudgets of %s", id(deployment)).hasSize(1);
            JsonNode spec = budgets.get(0).path("spec");
            int replicas = deployment.path("spec").path("replicas").asInt(1);
            if (spec.has("minAvailable")) {
                assertThat(spec.path("minAvailable").asInt()).as("minAvailable of %s's PDB with %d replicas",
                        id(deployment), replicas).isLessThan(replicas);
            } else {
                assertThat(spec.path("maxUnavailable").asInt()).as("maxUnavailable of %s's PDB", id(deployment))
                        .isPositive();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void prometheusScrapesEveryServiceAtSlashPrometheus(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);

        for (String service : Repo.SERVICES) {
            JsonNode deployment = rendered.service(service);
            Map<String, String> annotations = strings(deployment.path("spec").path("template").path("metadata")
                    .path("annotations"));
            assertThat(annotations).as("pod annotations of %s", service)
                    .containsEntry("prometheus.io/scrape", "true")
                    .containsEntry("prometheus.io/path", "/prometheus");
            assertThat(containerPort(container(deployment), "http")).as("http port of %s", service)
                    .contains(Integer.parseInt(annotations.get("prometheus.io/port")));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void everyServiceSelectsPodsAndTargetsANamedContainerPort(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);

        for (JsonNode service : rendered.ofKind("Service")) {
            Map<String, String> selector = strings(service.path("spec").path("selector"));
            List<JsonNode> selected = rendered.workloads().stream()
                    .filter(w -> Rendered.namespace(w).equals(Rendered.namespace(service)))
                    .filter(w -> Rendered.selects(selector,
                            strings(w.path("spec").path("template").path("metadata").path("labels"))))
                    .toList();
            assertThat(selected).as("workloads selected by %s", id(service)).hasSize(1);
            for (JsonNode port : list(service.path("spec").path("ports"))) {
                assertThat(containerPort(container(selected.get(0)), port.path("targetPort").asText()))
                        .as("targetPort %s of %s", port.path("targetPort").asText(), id(service)).isPresent();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void everyConfigMapAServiceTakesItsEnvFromIsRendered(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);

        for (JsonNode workload : rendered.workloads()) {
            assertThat(rendered.env(workload)).as("env of %s", id(workload)).isNotNull(); // throws on a missing ConfigMap
        }
    }

    /** Strimzi KafkaTopics create the topics in Kubernetes; a service creating them could get the settings wrong. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void theServicesLeaveTopicCreationToStrimzi(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);

        assertThat(rendered.env(rendered.service("run-service"))).containsEntry("VIGIL_KAFKA_CREATE_TOPICS", "false");
        assertThat(rendered.env(rendered.service("k8s-cleaner-service"))).containsEntry("VIGIL_KAFKA_CREATE_TOPICS", "false");
        assertThat(rendered.env(rendered.service("sweeper-service"))).containsEntry("VIGIL_KAFKA_CREATE_TOPICS", "false");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void runServiceGetsItsDatabaseAndSigningKeyFromSecrets(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);
        JsonNode runService = rendered.service("run-service");

        for (String variable : List.of("VIGIL_DB_URL", "VIGIL_DB_USER", "VIGIL_DB_PASSWORD", "VIGIL_JWT_SECRET")) {
            Optional<JsonNode> ref = Rendered.secretKeyRef(runService, variable);
            assertThat(ref).as("%s of run-service comes from a Secret", variable).isPresent();
            assertThat(ref.get().path("optional").asBoolean(false)).as("%s is optional", variable).isFalse();
        }
        assertThat(rendered.ofKind("ConfigMap")).allSatisfy(configMap -> assertThat(strings(configMap.path("data")))
                .as("data of %s", id(configMap))
                .doesNotContainKeys("VIGIL_DB_PASSWORD", "VIGIL_JWT_SECRET", "VIGIL_KAFKA_CLIENT_SASL_JAAS_CONFIG"));
    }

    /** Only the cleaner talks to the Kubernetes API; the others get no token. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void onlyTheCleanerMountsAServiceAccountToken(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);

        for (JsonNode workload : rendered.workloads()) {
            boolean cleaner = Rendered.name(workload).equals("k8s-cleaner-service");
            assertThat(podSpec(workload).path("automountServiceAccountToken").asBoolean(true))
                    .as("automountServiceAccountToken of %s", id(workload)).isEqualTo(cleaner);
        }
    }

    /** dev is a self-contained try-out: every Secret a pod requires is rendered with it. */
    @Test
    void devRendersEverySecretItsPodsRequire() {
        Rendered dev = Kustomize.build(Repo.k8s().resolve("overlays/dev"));

        for (JsonNode workload : dev.workloads()) {
            for (JsonNode variable : list(container(workload).path("env"))) {
                JsonNode ref = variable.path("valueFrom").path("secretKeyRef");
                if (!ref.isMissingNode() && !ref.path("optional").asBoolean(false)) {
                    JsonNode secret = dev.get("Secret", ref.path("name").asText());
                    assertThat(secret.path("data").has(ref.path("key").asText()) || secret.path("stringData")
                            .has(ref.path("key").asText())).as("key %s of %s", ref.path("key").asText(), id(secret)).isTrue();
                }
            }
        }
    }

    /** prod holds no credentials: its Secrets are created in the cluster (or by Strimzi), never kept in git. */
    @Test
    void prodRendersNoSecrets() {
        Rendered prod = Kustomize.build(Repo.k8s().resolve("overlays/prod"));

        assertThat(prod.ofKind("Secret")).isEmpty();
    }

    private static boolean emptyDirMountedAt(JsonNode workload, String path) {
        return list(container(workload).path("volumeMounts")).stream()
                .filter(mount -> path.equals(mount.path("mountPath").asText()))
                .filter(mount -> !mount.path("readOnly").asBoolean(false))
                .map(mount -> mount.path("name").asText())
                .anyMatch(name -> list(podSpec(workload).path("volumes")).stream()
                        .anyMatch(volume -> name.equals(volume.path("name").asText()) && volume.has("emptyDir")));
    }

    /** The container port a probe or Service names (by name or number). */
    private static Optional<Integer> containerPort(JsonNode container, String nameOrNumber) {
        return list(container.path("ports")).stream()
                .filter(port -> nameOrNumber.equals(port.path("name").asText())
                        || nameOrNumber.equals(port.path("containerPort").asText()))
                .map(port -> port.path("containerPort").asInt())
                .findFirst();
    }

    private static JsonNode effective(JsonNode container, JsonNode pod, String field) {
        return container.has(field) ? container.path(field) : pod.path(field);
    }

    /** A Kubernetes quantity (100m, 1, 512Mi, 1Gi, 2G) as a number, enough to compare requests with limits. */
    static BigDecimal quantity(String text) {
        Map<String, BigDecimal> suffixes = Map.of("m", new BigDecimal("0.001"), "Ki", BigDecimal.valueOf(1L << 10),
                "Mi", BigDecimal.valueOf(1L << 20), "Gi", BigDecimal.valueOf(1L << 30), "Ti", BigDecimal.valueOf(1L << 40),
                "k", BigDecimal.valueOf(1_000L), "M", BigDecimal.valueOf(1_000_000L), "G", BigDecimal.valueOf(1_000_000_000L));
        for (String suffix : List.of("Ki", "Mi", "Gi", "Ti", "m", "k", "M", "G")) {
            if (text.endsWith(suffix)) {
                return new BigDecimal(text.substring(0, text.length() - suffix.length())).multiply(suffixes.get(suffix));
            }
        }
        return new BigDecimal(text);
    }
}
