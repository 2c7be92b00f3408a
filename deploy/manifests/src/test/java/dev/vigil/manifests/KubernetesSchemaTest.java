package dev.vigil.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * No API server checks the manifests here, so a misspelled field ({@code readinesProbe}) would pass kustomize and
 * be dropped silently by a lenient apply. Every built-in resource is read into the fabric8 Kubernetes model, which
 * keeps fields it does not know in "additional properties": there must be none. A second opinion next to
 * {@link UpstreamSchemaTest}, which checks every object, custom resources included, against the upstream schemas.
 */
class KubernetesSchemaTest {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    static List<Path> kustomizations() {
        return KustomizeBuildTest.kustomizations();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kustomizations")
    void everyBuiltInResourceHasOnlyFieldsKubernetesKnows(Path dir) throws Exception {
        Rendered rendered = Kustomize.build(dir);

        for (JsonNode resource : rendered.resources()) {
            HasMetadata typed = SERIALIZATION.unmarshal(Kustomize.YAML.writeValueAsString(resource), HasMetadata.class);
            if (typed instanceof GenericKubernetesResource) {
                continue;
            }
            List<String> unknown = new ArrayList<>();
            collectUnknown(typed, Rendered.id(resource), unknown, new IdentityHashMap<>());
            assertThat(unknown).as("fields Kubernetes does not know in %s", rendered.source()).isEmpty();
        }
    }

    /** Walks the model's getters, collecting every non-empty additionalProperties map with where it was found. */
    private static void collectUnknown(Object object, String path, List<String> unknown, Map<Object, Boolean> seen)
            throws InvocationTargetException, IllegalAccessException {
        if (object == null || seen.put(object, Boolean.TRUE) != null) {
            return;
        }
        if (object instanceof Collection<?> collection) {
            int i = 0;
            for (Object element : collection) {
                collectUnknown(element, path + "[" + i++ + "]", unknown, seen);
            }
            return;
        }
        if (object instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                collectUnknown(entry.getValue(), path + "." + entry.getKey(), unknown, seen);
            }
            return;
        }
        if (!(object instanceof KubernetesResource) || !object.getClass().getPackageName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method getter : object.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || !getter.getName().startsWith("get") || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            Object value = getter.invoke(object);
            if (getter.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    unknown.add(path + ": " + extra.keySet());
                }
                continue;
            }
            String field = Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4);
            if (!IGNORED.contains(field)) {
                collectUnknown(value, path + "." + field, unknown, seen);
            }
        }
    }

    private static final Set<String> IGNORED = Set.of("class", "apiVersion", "kind", "plural", "singular", "fullResourceName");
}
