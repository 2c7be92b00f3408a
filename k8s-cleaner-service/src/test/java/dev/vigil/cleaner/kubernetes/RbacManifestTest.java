package dev.vigil.cleaner.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** deploy/k8s/cleaner grants exactly get, list and delete on exactly the kinds the cleaner can delete. */
class RbacManifestTest {

    private static final Path DIR = Path.of("..", "deploy", "k8s", "cleaner");
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private static <T> T load(String file, Class<T> type) throws IOException {
        try (InputStream in = Files.newInputStream(DIR.resolve(file))) {
            return SERIALIZATION.unmarshal(in, type);
        }
    }

    @Test
    void theRoleGrantsGetListWatchDeleteOnEveryKindAndNothingElse() throws IOException {
        Role role = load("020-Role-vigil-cleaner.yaml", Role.class);

        Set<String> granted = role.getRules().stream()
                .flatMap(rule -> rule.getApiGroups().stream()
                        .flatMap(group -> rule.getResources().stream().map(resource -> group + "/" + resource)))
                .collect(Collectors.toSet());
        Set<String> deletable = Arrays.stream(ResourceKind.values()).map(k -> k.apiGroup() + "/" + k.plural())
                .collect(Collectors.toSet());
        assertThat(granted).isEqualTo(deletable);
        assertThat(role.getRules()).extracting(PolicyRule::getVerbs)
                .allSatisfy(verbs -> assertThat(verbs).containsExactlyInAnyOrder("get", "list", "watch", "delete"));
        assertThat(role.getRules()).allSatisfy(rule -> {
            assertThat(rule.getResourceNames()).isNullOrEmpty();
            assertThat(rule.getNonResourceURLs()).isNullOrEmpty();
        });
        assertThat(role.getMetadata().getNamespace()).isEqualTo("agents");
    }

    @Test
    void theBindingGivesThatRoleToTheCleanersServiceAccount() throws IOException {
        ServiceAccount account = load("010-ServiceAccount-vigil-cleaner.yaml", ServiceAccount.class);
        Role role = load("020-Role-vigil-cleaner.yaml", Role.class);
        RoleBinding binding = load("030-RoleBinding-vigil-cleaner.yaml", RoleBinding.class);

        assertThat(binding.getMetadata().getNamespace()).isEqualTo(role.getMetadata().getNamespace());
        assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
        assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
        assertThat(binding.getSubjects()).singleElement().satisfies(subject -> {
            assertThat(subject.getKind()).isEqualTo("ServiceAccount");
            assertThat(subject.getName()).isEqualTo(account.getMetadata().getName());
            assertThat(subject.getNamespace()).isEqualTo(account.getMetadata().getNamespace());
        });
    }

    @Test
    void theKustomizationListsEveryManifestInApplyOrder() throws IOException {
        Map<String, Object> kustomization;
        try (InputStream in = Files.newInputStream(DIR.resolve("kustomization.yaml"))) {
            kustomization = new Yaml().load(in);
        }
        List<String> manifests;
        try (Stream<Path> files = Files.list(DIR)) {
            manifests = files.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d{3}-.*\\.yaml")).sorted()
                    .toList();
        }

        assertThat(manifests).hasSize(3);
        assertThat(kustomization.get("resources")).isEqualTo(manifests);
    }
}
