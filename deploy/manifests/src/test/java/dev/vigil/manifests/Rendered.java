package dev.vigil.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.StreamSupport;

/**
 * What one {@code kubectl kustomize} rendered: the resources, and lookups over them.
 *
 * @param source the directory it was built from, relative to the repository root (for messages)
 */
record Rendered(String source, List<JsonNode> resources) {

    Rendered {
        resources = List.copyOf(resources);
    }

    List<JsonNode> ofKind(String kind) {
        return resources.stream().filter(r -> kind.equals(r.path("kind").asText())).toList();
    }

    Optional<JsonNode> find(String kind, String name) {
        return ofKind(kind).stream().filter(r -> name.equals(name(r))).findFirst();
    }

    JsonNode get(String kind, String name) {
        return find(kind, name).orElseThrow(() -> new AssertionError(source + " renders no " + kind + " " + name));
    }

    /** Deployments and StatefulSets. */
    List<JsonNode> workloads() {
        List<JsonNode> workloads = new ArrayList<>(ofKind("Deployment"));
        workloads.addAll(ofKind("StatefulSet"));
        return workloads;
    }

    /** The Deployment of one of Vigil's services (named like the service). */
    JsonNode service(String service) {
        return get("Deployment", service);
    }

    static String name(JsonNode resource) {
        return resource.path("metadata").path("name").asText();
    }

    static String namespace(JsonNode resource) {
        return resource.path("metadata").path("namespace").asText();
    }

    static String id(JsonNode resource) {
        return resource.path("kind").asText() + " " + namespace(resource) + "/" + name(resource);
    }

    static Map<String, String> labels(JsonNode resource) {
        return strings(resource.path("metadata").path("labels"));
    }

    static Map<String, String> strings(JsonNode object) {
        Map<String, String> map = new LinkedHashMap<>();
        object.properties().forEach(e -> map.put(e.getKey(), e.getValue().asText()));
        return map;
    }

    static List<JsonNode> list(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).toList();
    }

    static List<String> texts(JsonNode array) {
        return list(array).stream().map(JsonNode::asText).toList();
    }

    static JsonNode podSpec(JsonNode workload) {
        return workload.path("spec").path("template").path("spec");
    }

    static List<JsonNode> containers(JsonNode workload) {
        return list(podSpec(workload).path("containers"));
    }

    static JsonNode container(JsonNode workload) {
        List<JsonNode> containers = containers(workload);
        if (containers.size() != 1) {
            throw new AssertionError(id(workload) + " has " + containers.size() + " containers, expected 1");
        }
        return containers.get(0);
    }

    /**
     * The environment a container gets, as the kubelet would assemble it: envFrom ConfigMaps first (in order),
     * then env. A Secret value is shown as {@code secret:<name>/<key>} (its content is not the point here).
     */
    Map<String, String> env(JsonNode workload) {
        JsonNode container = container(workload);
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode from : list(container.path("envFrom"))) {
            if (from.has("configMapRef")) {
                String name = from.path("configMapRef").path("name").asText();
                Optional<JsonNode> configMap = find("ConfigMap", name);
                if (configMap.isEmpty() && !from.path("configMapRef").path("optional").asBoolean(false)) {
                    throw new AssertionError(id(workload) + " takes its env from ConfigMap " + name
                            + ", which " + source + " does not render");
                }
                configMap.ifPresent(cm -> env.putAll(strings(cm.path("data"))));
            }
        }
        for (JsonNode variable : list(container.path("env"))) {
            String name = variable.path("name").asText();
            JsonNode from = variable.path("valueFrom");
            if (from.has("secretKeyRef")) {
                env.put(name, "secret:" + from.path("secretKeyRef").path("name").asText() + "/"
                        + from.path("secretKeyRef").path("key").asText());
            } else if (from.has("configMapKeyRef")) {
                JsonNode ref = from.path("configMapKeyRef");
                find("ConfigMap", ref.path("name").asText())
                        .map(cm -> cm.path("data").path(ref.path("key").asText()))
                        .filter(value -> !value.isMissingNode())
                        .ifPresent(value -> env.put(name, value.asText()));
            } else {
                env.put(name, variable.path("value").asText());
            }
        }
        return env;
    }

    /** The secretKeyRef of env variable {@code name} of the workload's container, if it has one. */
    static Optional<JsonNode> secretKeyRef(JsonNode workload, String name) {
        return list(container(workload).path("env")).stream()
                .filter(variable -> name.equals(variable.path("name").asText()))
                .map(variable -> variable.path("valueFrom").path("secretKeyRef"))
                .filter(ref -> !ref.isMissingNode())
                .findFirst();
    }

    /** Whether every label of {@code selector} is among {@code labels}. */
    static boolean selects(Map<String, String> selector, Map<String, String> labels) {
        return !selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet());
    }
}
