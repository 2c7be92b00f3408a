package dev.vigil.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every kustomization under deploy/k8s builds, and its files read in apply order ({@code NNN-Kind-name.yaml}). */
class KustomizeBuildTest {

    private static final Pattern MANIFEST = Pattern.compile("(\\d{3})-([A-Za-z]+)-(.+)\\.yaml");
    private static final Set<String> CLUSTER_SCOPED = Set.of("Namespace", "ClusterRole", "ClusterRoleBinding",
            "CustomResourceDefinition", "PriorityClass", "StorageClass");

    static List<Path> kustomizations() {
        return Repo.kustomizations().stream().filter(dir -> !isComponent(dir)).toList();
    }

    static List<Path> components() {
        return Repo.kustomizations().stream().filter(KustomizeBuildTest::isComponent).toList();
    }

    static List<Path> overlays() {
        return Repo.overlays();
    }

    private static boolean isComponent(Path dir) {
        return "Component".equals(Kustomize.readFile(dir.resolve("kustomization.yaml")).path("kind").asText());
    }

    @Test
    void thereAreADevAndAProdOverlay() {
        assertThat(Repo.overlays()).extracting(dir -> dir.getFileName().toString()).contains("dev", "prod");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kustomizations")
    void builds(Path dir) {
        Rendered rendered = Kustomize.build(dir);

        assertThat(rendered.resources()).as("what %s renders", rendered.source()).isNotEmpty();
        assertThat(rendered.resources()).allSatisfy(resource -> {
            assertThat(resource.path("apiVersion").asText()).as("apiVersion of %s", Rendered.id(resource)).isNotBlank();
            assertThat(Rendered.name(resource)).as("name of a %s", resource.path("kind").asText()).isNotBlank();
        });
    }

    /** A component cannot be built alone: each is built on top of the base, in a kustomization made for it. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("components")
    void buildsOnTopOfTheBase(Path component) {
        Rendered base = Kustomize.build(Repo.k8s().resolve("base"));
        Rendered withComponent = Kustomize.buildWithComponents("base+" + component.getFileName(),
                Repo.k8s().resolve("base"), List.of(component));

        assertThat(withComponent.resources()).as("base + %s", Repo.relative(component)).isNotEqualTo(base.resources());
    }

    /** No `namespace:` transformer is used (the cleaner's Role lives elsewhere), so every manifest must name its own. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void everyNamespacedResourceNamesItsNamespace(Path overlay) {
        Rendered rendered = Kustomize.build(overlay);

        assertThat(rendered.resources())
                .filteredOn(resource -> !CLUSTER_SCOPED.contains(resource.path("kind").asText()))
                .allSatisfy(resource -> assertThat(Rendered.namespace(resource)).as("namespace of %s", Rendered.id(resource))
                        .isNotBlank());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kustomizations")
    void manifestsAreNamedByKindAndNameAndListedInApplyOrder(Path dir) throws IOException {
        checkApplyOrder(dir);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("components")
    void componentManifestsAreNamedByKindAndNameAndListedInApplyOrder(Path dir) throws IOException {
        checkApplyOrder(dir);
    }

    private static void checkApplyOrder(Path dir) throws IOException {
        JsonNode kustomization = Kustomize.readFile(dir.resolve("kustomization.yaml"));
        List<String> files = new ArrayList<>();
        for (String entry : Rendered.texts(kustomization.path("resources"))) {
            if (Files.isRegularFile(dir.resolve(entry))) {
                files.add(entry);
            }
        }
        List<String> onDisk;
        try (Stream<Path> list = Files.list(dir)) {
            onDisk = list.map(p -> p.getFileName().toString()).filter(n -> MANIFEST.matcher(n).matches()).sorted().toList();
        }

        assertThat(files).as("the manifests %s lists", Repo.relative(dir)).isSortedAccordingTo(String::compareTo);
        assertThat(files).as("the manifests %s lists (every NNN-Kind-name.yaml there)", Repo.relative(dir))
                .containsExactlyInAnyOrderElementsOf(onDisk);
        for (String file : files) {
            Matcher matcher = MANIFEST.matcher(file);
            assertThat(matcher.matches()).as("%s/%s is named NNN-Kind-name.yaml", Repo.relative(dir), file).isTrue();
            JsonNode manifest = Kustomize.readFile(dir.resolve(file));
            assertThat(manifest.path("kind").asText()).as("kind in %s/%s", Repo.relative(dir), file).isEqualTo(matcher.group(2));
            assertThat(Rendered.name(manifest)).as("name in %s/%s", Repo.relative(dir), file).isEqualTo(matcher.group(3));
        }
    }
}
