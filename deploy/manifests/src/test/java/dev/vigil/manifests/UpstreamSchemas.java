package dev.vigil.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The upstream schemas a rendered object is checked against (src/test/resources/schemas; its README says where each
 * file came from): a built-in kind against its definition in Kubernetes 1.36's OpenAPI document, a custom resource
 * against the openAPIV3Schema of the version its CRD serves (Strimzi 1.2.0, the Prometheus Operator 0.93.0).
 *
 * <p>Two things no OpenAPI validator does by default are done here, because an API server does them: a field the
 * schema does not declare is an error (a lenient apply would drop it silently, a strict one rejects it), and so is an
 * object whose apiVersion and kind have no schema at all (a CRD version that is no longer served, a removed API). And
 * two types are taken as the API server parses them, not as the OpenAPI document writes them: an IntOrString is a
 * string or an integer, a Quantity a string or a number ({@code port: 8080}, {@code cpu: 1}).
 * Not checked: CEL rules ({@code x-kubernetes-validations}), which need an API server to evaluate.
 */
final class UpstreamSchemas {

    static final String KUBERNETES_SCHEMA = "schemas/kubernetes-1.36/swagger.json";
    private static final String QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity";
    static final List<String> CRDS = List.of(
            "schemas/strimzi-1.2.0/040-Crd-kafka.yaml",
            "schemas/strimzi-1.2.0/043-Crd-kafkatopic.yaml",
            "schemas/strimzi-1.2.0/044-Crd-kafkauser.yaml",
            "schemas/strimzi-1.2.0/045-Crd-kafkanodepool.yaml",
            "schemas/prometheus-operator-v0.93.0/monitoring.coreos.com_servicemonitors.yaml");

    /**
     * The built-in group versions a manifest may use (all GA and served by Kubernetes 1.36), with the package their
     * types are named under. Listed rather than derived: the schema file also holds types of versions no server
     * serves by default (alpha and beta versions), which must count as having no schema.
     */
    private static final Map<String, String> BUILT_IN = Map.of(
            "v1", "io.k8s.api.core.v1",
            "apps/v1", "io.k8s.api.apps.v1",
            "batch/v1", "io.k8s.api.batch.v1",
            "autoscaling/v2", "io.k8s.api.autoscaling.v2",
            "networking.k8s.io/v1", "io.k8s.api.networking.v1",
            "policy/v1", "io.k8s.api.policy.v1",
            "rbac.authorization.k8s.io/v1", "io.k8s.api.rbac.v1",
            "scheduling.k8s.io/v1", "io.k8s.api.scheduling.v1",
            "storage.k8s.io/v1", "io.k8s.api.storage.v1");
    private static final String OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    // Draft 4 is the JSON Schema that OpenAPI 3.0 schemas (a CRD's openAPIV3Schema) are written in; formats such as
    // int32 are OpenAPI's, not assertions. Locations as JSONPath ($.spec.containers[0]), as kubectl prints them.
    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4);
    private static final SchemaValidatorsConfig CONFIG = SchemaValidatorsConfig.builder()
            .formatAssertionsEnabled(false).pathType(PathType.JSON_PATH).build();
    private static volatile UpstreamSchemas loaded;

    /** Every built-in type by name, as JSON Schema: the target of each {@code #/definitions/...} reference. */
    private final ObjectNode definitions;
    /** The schema of each custom resource, by {@code group/version Kind}. */
    private final Map<String, ObjectNode> customResources;
    private final Map<String, JsonSchema> compiled = new ConcurrentHashMap<>();

    private UpstreamSchemas(ObjectNode definitions, Map<String, ObjectNode> customResources) {
        this.definitions = definitions;
        this.customResources = customResources;
    }

    /** The schemas of src/test/resources/schemas, read once. */
    static UpstreamSchemas load() {
        if (loaded == null) {
            synchronized (UpstreamSchemas.class) {
                if (loaded == null) {
                    ObjectNode definitions = kubernetesDefinitions(readJson(KUBERNETES_SCHEMA));
                    Map<String, ObjectNode> customResources = new HashMap<>();
                    for (String file : CRDS) {
                        for (JsonNode crd : readYaml(file)) {
                            customResources.putAll(servedVersions(crd, definitions));
                        }
                    }
                    loaded = new UpstreamSchemas(definitions, Map.copyOf(customResources));
                }
            }
        }
        return loaded;
    }

    /**
     * What is wrong with {@code object} by the schema of its apiVersion and kind, one message per violation (empty:
     * valid). An object whose apiVersion and kind have no schema here is itself a violation.
     */
    List<String> violations(JsonNode object) {
        String apiVersion = object.path("apiVersion").asText();
        String kind = object.path("kind").asText();
        Optional<JsonSchema> schema = schema(apiVersion, kind);
        if (schema.isEmpty()) {
            return List.of("no schema for apiVersion " + apiVersion + ", kind " + kind + " (neither a built-in kind "
                    + "Kubernetes 1.36 serves nor a version one of the CRDs in src/test/resources/schemas serves)");
        }
        return schema.get().validate(object).stream().map(ValidationMessage::getMessage).sorted().toList();
    }

    private Optional<JsonSchema> schema(String apiVersion, String kind) {
        String key = apiVersion + " " + kind;
        JsonSchema known = compiled.get(key);
        if (known != null) {
            return Optional.of(known);
        }
        ObjectNode root;
        String builtInPackage = BUILT_IN.get(apiVersion);
        if (builtInPackage != null && isKind(definitions.path(builtInPackage + "." + kind))) {
            root = NODES.objectNode();
            root.set("$ref", NODES.textNode("#/definitions/" + builtInPackage + "." + kind));
        } else if (customResources.containsKey(key)) {
            root = customResources.get(key).deepCopy();
        } else {
            return Optional.empty();
        }
        root.set("definitions", definitions);
        JsonSchema schema = FACTORY.getSchema(root, CONFIG);
        compiled.put(key, schema);
        return Optional.of(schema);
    }

    /** A top-level kind, as opposed to a type only used inside one (PodSpec has no apiVersion). */
    private static boolean isKind(JsonNode definition) {
        JsonNode properties = definition.path("properties");
        return properties.has("apiVersion") && properties.has("kind") && properties.has("metadata");
    }

    /**
     * The definitions of Kubernetes' OpenAPI document (Swagger 2.0: JSON Schema draft 4 with {@code #/definitions/...}
     * references), each closed to the fields it declares, IntOrString and Quantity as the API server parses them.
     */
    static ObjectNode kubernetesDefinitions(JsonNode openApi) {
        if (!(openApi.path("definitions") instanceof ObjectNode upstream) || !upstream.has(QUANTITY)) {
            throw new IllegalStateException(KUBERNETES_SCHEMA + " has no definitions of Kubernetes' types");
        }
        ObjectNode definitions = upstream.deepCopy();
        definitions.forEach(UpstreamSchemas::intOrStringAsParsed);
        definitions.forEach(UpstreamSchemas::closeObjects);
        ObjectNode quantity = definitions.putObject(QUANTITY);
        quantity.putArray("type").add("string").add("number");
        return definitions;
    }

    /** {@code format: int-or-string} is written {@code type: string}; the API server takes an integer too. */
    private static void intOrStringAsParsed(JsonNode schema) {
        if (!(schema instanceof ObjectNode node)) {
            return;
        }
        if ("int-or-string".equals(node.path("format").asText(null))) {
            node.putArray("type").add("string").add("integer");
        }
        schema.path("properties").forEach(UpstreamSchemas::intOrStringAsParsed);
        intOrStringAsParsed(schema.path("items"));
        intOrStringAsParsed(schema.path("additionalProperties"));
    }

    /**
     * The schema of each version a CRD serves, by {@code group/version Kind}: its openAPIV3Schema with every object
     * closed to the fields it declares, and metadata checked as Kubernetes' ObjectMeta (the CRD only says "object").
     */
    static Map<String, ObjectNode> servedVersions(JsonNode crd, ObjectNode definitions) {
        if (!definitions.has(OBJECT_META)) {
            throw new IllegalStateException(KUBERNETES_SCHEMA + " has no " + OBJECT_META);
        }
        String group = crd.path("spec").path("group").asText();
        String kind = crd.path("spec").path("names").path("kind").asText();
        Map<String, ObjectNode> schemas = new HashMap<>();
        for (JsonNode version : crd.path("spec").path("versions")) {
            JsonNode openApi = version.path("schema").path("openAPIV3Schema");
            if (!version.path("served").asBoolean(false) || !openApi.isObject()) {
                continue;
            }
            ObjectNode schema = openApi.deepCopy();
            closeObjects(schema);
            if (!(schema.get("properties") instanceof ObjectNode properties)) {
                throw new IllegalStateException("the " + kind + " CRD declares no properties: " + version.path("name"));
            }
            ObjectNode metadata = NODES.objectNode();
            metadata.put("$ref", "#/definitions/" + OBJECT_META);
            properties.set("metadata", metadata);
            schemas.put(group + "/" + version.path("name").asText() + " " + kind, schema);
        }
        return schemas;
    }

    /**
     * Forbids undeclared fields wherever a schema declares its fields and does not say otherwise, as an API server
     * does for a structural schema. Only the structural parts (properties, items, additionalProperties) are closed:
     * the branches of oneOf/anyOf/allOf/not restate some of the fields to constrain them, and closing those would
     * reject every field a branch does not restate.
     */
    static void closeObjects(JsonNode schema) {
        if (!(schema instanceof ObjectNode node)) {
            return;
        }
        if (node.has("properties") && !node.has("additionalProperties")
                && !node.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
            node.set("additionalProperties", BooleanNode.FALSE);
        }
        node.path("properties").forEach(UpstreamSchemas::closeObjects);
        closeObjects(node.path("items"));
        closeObjects(node.path("additionalProperties"));
    }

    private static JsonNode readJson(String resource) {
        try {
            return new ObjectMapper().readTree(text(resource));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<JsonNode> readYaml(String resource) {
        try {
            return Kustomize.parse(text(resource));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String text(String resource) {
        try (InputStream in = UpstreamSchemas.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no test resource " + resource);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
