package dev.vigil.manifests;

import static dev.vigil.manifests.Rendered.id;
import static dev.vigil.manifests.Rendered.list;
import static dev.vigil.manifests.Rendered.texts;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The cleaner's least privilege, as rendered: its ServiceAccount may get, list and delete exactly the kinds its
 * configuration (VIGIL_CLEANER_KINDS) names, exactly in the namespaces it serves (VIGIL_CLEANER_NAMESPACES), and
 * nothing else anywhere.
 */
class CleanerRbacTest {

    /** Every kind the cleaner can delete, as an RBAC rule names it (apiGroup/resource). */
    private static final Map<String, String> RBAC_RESOURCE = Map.of(
            "deployment", "apps/deployments",
            "statefulset", "apps/statefulsets",
            "job", "batch/jobs",
            "service", "/services",
            "pod", "/pods",
            "configmap", "/configmaps",
            "secret", "/secrets",
            "persistentvolumeclaim", "/persistentvolumeclaims",
            "ingress", "networking.k8s.io/ingresses");
    private static final Set<String> VERBS = Set.of("get", "list", "watch", "delete");

    static List<Path> overlays() {
        return Repo.overlays();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void theCleanersRolesGrantGetListDeleteOnExactlyItsKindsInExactlyItsNamespaces(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);
        JsonNode cleaner = rendered.service("k8s-cleaner-service");
        Map<String, String> env = rendered.env(cleaner);
        String account = Rendered.podSpec(cleaner).path("serviceAccountName").asText();
        String accountNamespace = Rendered.namespace(cleaner);
        Set<String> namespaces = split(env.get("VIGIL_CLEANER_NAMESPACES"));
        Set<String> kinds = split(env.get("VIGIL_CLEANER_KINDS"));

        assertThat(account).as("the cleaner's serviceAccountName").isNotBlank().isNotEqualTo("default");
        assertThat(rendered.ofKind("ServiceAccount")).as("ServiceAccounts").anySatisfy(sa -> {
            assertThat(Rendered.name(sa)).isEqualTo(account);
            assertThat(Rendered.namespace(sa)).isEqualTo(accountNamespace);
        });
        assertThat(namespaces).as("VIGIL_CLEANER_NAMESPACES of the cleaner").isNotEmpty();
        assertThat(kinds).as("VIGIL_CLEANER_KINDS of the cleaner").isNotEmpty();
        Set<String> expected = kinds.stream().map(kind -> {
            String resource = RBAC_RESOURCE.get(kind.toLowerCase(Locale.ROOT));
            assertThat(resource).as("kind %s in VIGIL_CLEANER_KINDS (add it to this test's table)", kind).isNotNull();
            return resource;
        }).collect(Collectors.toSet());

        List<JsonNode> bindings = rendered.ofKind("RoleBinding").stream()
                .filter(binding -> bindsTo(binding, account, accountNamespace)).toList();
        assertThat(bindings).as("RoleBindings of %s/%s", accountNamespace, account)
                .extracting(Rendered::namespace).containsExactlyInAnyOrderElementsOf(namespaces);
        for (JsonNode binding : bindings) {
            assertThat(binding.path("roleRef").path("kind").asText()).as("roleRef of %s", id(binding)).isEqualTo("Role");
            JsonNode role = rendered.ofKind("Role").stream()
                    .filter(r -> Rendered.namespace(r).equals(Rendered.namespace(binding)))
                    .filter(r -> Rendered.name(r).equals(binding.path("roleRef").path("name").asText()))
                    .findFirst().orElseThrow(() -> new AssertionError(id(binding) + " binds a Role that is not rendered"));

            Set<String> granted = new HashSet<>();
            for (JsonNode rule : list(role.path("rules"))) {
                assertThat(new HashSet<>(texts(rule.path("verbs")))).as("verbs of a rule of %s", id(role)).isEqualTo(VERBS);
                assertThat(texts(rule.path("apiGroups"))).as("apiGroups of %s", id(role)).doesNotContain("*");
                assertThat(texts(rule.path("resources"))).as("resources of %s", id(role))
                        .noneMatch(resource -> resource.contains("*") || resource.contains("/"));
                assertThat(rule.path("resourceNames").isEmpty()).as("resourceNames in %s", id(role)).isTrue();
                assertThat(rule.path("nonResourceURLs").isEmpty()).as("nonResourceURLs in %s", id(role)).isTrue();
                for (String group : texts(rule.path("apiGroups"))) {
                    for (String resource : texts(rule.path("resources"))) {
                        granted.add(group + "/" + resource);
                    }
                }
            }
            assertThat(granted).as("what %s grants", id(role)).isEqualTo(expected);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void nothingIsGrantedClusterWide(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);

        assertThat(rendered.ofKind("ClusterRole")).isEmpty();
        assertThat(rendered.ofKind("ClusterRoleBinding")).isEmpty();
        assertThat(rendered.ofKind("RoleBinding")).allSatisfy(binding -> assertThat(binding.path("roleRef")
                .path("kind").asText()).as("roleRef of %s", id(binding)).isEqualTo("Role"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void onlyTheCleanerRunsAsTheCleanersServiceAccount(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);
        String account = Rendered.podSpec(rendered.service("k8s-cleaner-service")).path("serviceAccountName").asText();

        assertThat(rendered.workloads()).filteredOn(w -> !Rendered.name(w).equals("k8s-cleaner-service"))
                .allSatisfy(w -> assertThat(Rendered.podSpec(w).path("serviceAccountName").asText())
                        .as("serviceAccountName of %s", id(w)).isNotEqualTo(account));
    }

    private static boolean bindsTo(JsonNode binding, String account, String namespace) {
        return list(binding.path("subjects")).stream().anyMatch(subject -> "ServiceAccount".equals(subject.path("kind").asText())
                && account.equals(subject.path("name").asText()) && namespace.equals(subject.path("namespace").asText()));
    }

    private static Set<String> split(String commaSeparated) {
        if (commaSeparated == null) {
            return Set.of();
        }
        return Arrays.stream(commaSeparated.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .collect(Collectors.toSet());
    }
}
