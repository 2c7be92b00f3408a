package dev.vigil.cleaner;

import dev.vigil.cleaner.kubernetes.ResourceKind;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Creates and looks up labelled resources of every kind on a (mock) API server. */
public final class Resources {

    public static final String SESSION = "session";
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String WORKSPACE = "vigil.dev/workspace";
    /** The workspace of {@link dev.vigil.cleaner.Events}' runs. */
    public static final String WS = "ws-1";

    private Resources() {
    }

    /** The labels the cleaner requires: {@code session=<runId>}, managed-by and the workspace {@value #WS}. */
    public static Map<String, String> vigilLabels(String runId) {
        return vigilLabels(runId, WS);
    }

    public static Map<String, String> vigilLabels(String runId, String workspace) {
        return Map.of(SESSION, runId, MANAGED_BY, "vigil", WORKSPACE, workspace);
    }

    /** The run's own cleanup selector (the managed-by label is the cleaner's to add). */
    public static Map<String, String> selector(String runId) {
        return Map.of(SESSION, runId, WORKSPACE, WS);
    }

    /** The object named {@code name} as the API server has it now. */
    public static HasMetadata get(KubernetesClient client, ResourceKind kind, String namespace, String name) {
        return kind.get(client, namespace, name);
    }

    public static Map<String, String> labels(String... keysAndValues) {
        Map<String, String> labels = new HashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            labels.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return labels;
    }

    /** Creates one resource of {@code kind}. */
    public static HasMetadata create(KubernetesClient client, ResourceKind kind, String namespace, String name,
                                     Map<String, String> labels) {
        ObjectMeta meta = new ObjectMetaBuilder().withName(name).withNamespace(namespace).withLabels(labels).build();
        HasMetadata resource = switch (kind) {
            case DEPLOYMENT -> new DeploymentBuilder().withMetadata(meta).build();
            case STATEFUL_SET -> new StatefulSetBuilder().withMetadata(meta).build();
            case JOB -> new JobBuilder().withMetadata(meta).build();
            case SERVICE -> new ServiceBuilder().withMetadata(meta).build();
            case POD -> new PodBuilder().withMetadata(meta).build();
            case CONFIG_MAP -> new ConfigMapBuilder().withMetadata(meta).build();
            case SECRET -> new SecretBuilder().withMetadata(meta).build();
            case PERSISTENT_VOLUME_CLAIM -> new PersistentVolumeClaimBuilder().withMetadata(meta).build();
            case INGRESS -> new IngressBuilder().withMetadata(meta).build();
        };
        return client.resource(resource).create();
    }

    /** Creates one resource of every kind, each named {@code name}. */
    public static void createAllKinds(KubernetesClient client, String namespace, String name, Map<String, String> labels) {
        for (ResourceKind kind : ResourceKind.values()) {
            create(client, kind, namespace, name, labels);
        }
    }

    /** Whether the resource exists. */
    public static boolean exists(KubernetesClient client, ResourceKind kind, String namespace, String name) {
        return kind.list(client, namespace, Map.of()).stream().anyMatch(r -> r.getMetadata().getName().equals(name));
    }

    /** The names of the kinds of which a resource named {@code name} exists in {@code namespace}. */
    public static List<ResourceKind> kindsPresent(KubernetesClient client, String namespace, String name) {
        return List.of(ResourceKind.values()).stream().filter(kind -> exists(client, kind, namespace, name)).toList();
    }
}
