package dev.vigil.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * No API server sees these manifests before they are applied, so everything kustomize renders is checked against the
 * schemas an API server would use (see {@link UpstreamSchemas}): Kubernetes 1.36's for the built-in kinds, the served
 * versions of Strimzi 1.2.0's and the Prometheus Operator's CRDs for the custom resources. An undeclared field, a
 * wrong type, a missing required field or a kind without a schema fails.
 */
class UpstreamSchemaTest {

    static List<Path> kustomizations() {
        return KustomizeBuildTest.kustomizations();
    }

    static List<Path> components() {
        return KustomizeBuildTest.components();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kustomizations")
    void everyRenderedObjectMatchesTheUpstreamSchemaOfItsKind(Path dir) {
        assertMatchesTheUpstreamSchemas(Kustomize.build(dir));
    }

    /** A component is rendered on top of the base, as KustomizeBuildTest builds it: what it adds and patches counts. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("components")
    void everyObjectRenderedWithAComponentMatchesTheUpstreamSchemaOfItsKind(Path component) {
        assertMatchesTheUpstreamSchemas(Kustomize.buildWithComponents("base+" + component.getFileName(),
                Repo.k8s().resolve("base"), List.of(component)));
    }

    private static void assertMatchesTheUpstreamSchemas(Rendered rendered) {
        UpstreamSchemas schemas = UpstreamSchemas.load();
        Map<String, List<String>> violations = new LinkedHashMap<>();
        for (JsonNode object : rendered.resources()) {
            List<String> found = schemas.violations(object);
            if (!found.isEmpty()) {
                violations.put(Rendered.id(object) + " (" + object.path("apiVersion").asText() + ")", found);
            }
        }

        assertThat(rendered.resources()).as("what %s renders", rendered.source()).isNotEmpty();
        assertThat(violations).as("schema violations in what %s renders", rendered.source()).isEmpty();
    }
}
