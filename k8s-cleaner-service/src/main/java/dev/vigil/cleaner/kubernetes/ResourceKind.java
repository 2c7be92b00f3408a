package dev.vigil.cleaner.kubernetes;

import io.fabric8.kubernetes.api.model.DeleteOptions;
import io.fabric8.kubernetes.api.model.DeleteOptionsBuilder;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The kinds of namespaced resources the cleaner may delete, each with the fabric8 call that reaches
 * it, so that a cleanup reads like the {@code kubectl delete deployment,service -l session=<id>} it
 * replaces.
 */
public enum ResourceKind {
    DEPLOYMENT("Deployment", "apps", "deployments", client -> client.apps().deployments()),
    STATEFUL_SET("StatefulSet", "apps", "statefulsets", client -> client.apps().statefulSets()),
    JOB("Job", "batch", "jobs", client -> client.batch().v1().jobs()),
    SERVICE("Service", "", "services", KubernetesClient::services),
    POD("Pod", "", "pods", KubernetesClient::pods),
    CONFIG_MAP("ConfigMap", "", "configmaps", KubernetesClient::configMaps),
    SECRET("Secret", "", "secrets", KubernetesClient::secrets),
    PERSISTENT_VOLUME_CLAIM("PersistentVolumeClaim", "", "persistentvolumeclaims",
            KubernetesClient::persistentVolumeClaims),
    INGRESS("Ingress", "networking.k8s.io", "ingresses", client -> client.network().v1().ingresses());

    private final String kind;
    private final String apiGroup;
    private final String plural;
    private final Function<KubernetesClient, MixedOperation<? extends HasMetadata,
            ? extends KubernetesResourceList<? extends HasMetadata>, ? extends Resource<? extends HasMetadata>>> api;

    ResourceKind(String kind, String apiGroup, String plural, Function<KubernetesClient, MixedOperation<? extends HasMetadata,
            ? extends KubernetesResourceList<? extends HasMetadata>, ? extends Resource<? extends HasMetadata>>> api) {
        this.kind = kind;
        this.apiGroup = apiGroup;
        this.plural = plural;
        this.api = api;
    }

    /** The Kubernetes kind, e.g. {@code Deployment}. */
    public String kind() {
        return kind;
    }

    /** The API group ({@code ""} for the core group), as an RBAC rule names it. */
    public String apiGroup() {
        return apiGroup;
    }

    /** The resource name, as an RBAC rule and {@code kubectl} name it, e.g. {@code deployments}. */
    public String plural() {
        return plural;
    }

    /**
     * Lists the resources of this kind in {@code namespace} that carry every one of {@code labels} (tools and
     * tests; the cleaner itself reads its {@link ResourceCache}). Only equality selectors are sent: set-based ones
     * are not understood by every API server fake.
     */
    public List<HasMetadata> list(KubernetesClient client, String namespace, Map<String, String> labels) {
        return List.copyOf(api.apply(client).inNamespace(namespace).withLabels(labels).list().getItems());
    }

    /**
     * An informer (not started) of the resources of this kind in {@code namespace} that carry every one of
     * {@code labels}, with no periodic resync: the watch keeps it current.
     */
    @SuppressWarnings("unchecked")
    SharedIndexInformer<HasMetadata> informer(KubernetesClient client, String namespace, Map<String, String> labels) {
        return (SharedIndexInformer<HasMetadata>) api.apply(client).inNamespace(namespace).withLabels(labels)
                .runnableInformer(0);
    }

    /** What a delete with preconditions came to. */
    public enum Deletion { DELETED, GONE, PRECONDITION_FAILED }

    /**
     * Deletes the one object that was listed, by name with background propagation (so the objects it
     * owns, ReplicaSets and Pods, are collected by Kubernetes too) and with preconditions on its UID
     * and resourceVersion: an object re-created under the same name, or changed since it was listed
     * (relabelled), is not deleted ({@link Deletion#PRECONDITION_FAILED}: the API server's 409).
     * fabric8's DSL sends no UID precondition, hence the raw call.
     */
    public Deletion delete(KubernetesClient client, HasMetadata listed) {
        DeleteOptions options = new DeleteOptionsBuilder()
                .withPropagationPolicy(DeletionPropagation.BACKGROUND.toString())
                .withNewPreconditions().withUid(listed.getMetadata().getUid())
                .withResourceVersion(listed.getMetadata().getResourceVersion()).endPreconditions()
                .build();
        try {
            client.raw(path(listed.getMetadata().getNamespace(), listed.getMetadata().getName()), "DELETE", options);
            return Deletion.DELETED;
        } catch (KubernetesClientException e) {
            return switch (e.getCode()) {
                case 404 -> Deletion.GONE;
                case 409 -> Deletion.PRECONDITION_FAILED;
                default -> throw e;
            };
        }
    }

    /** The object named {@code name} as it is now, or null if there is none. */
    public HasMetadata get(KubernetesClient client, String namespace, String name) {
        return api.apply(client).inNamespace(namespace).withName(name).get();
    }

    /** The object's path on the API server, e.g. {@code /apis/apps/v1/namespaces/agents/deployments/web}. */
    String path(String namespace, String name) {
        return (apiGroup.isEmpty() ? "/api/v1" : "/apis/" + apiGroup + "/v1") + "/namespaces/" + namespace + "/" + plural
                + "/" + name;
    }

    /** The kind named {@code name}: its kind ({@code Deployment}) or resource name ({@code deployments}), any case. */
    public static ResourceKind parse(String name) {
        String wanted = name.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values())
                .filter(k -> k.kind.toLowerCase(Locale.ROOT).equals(wanted) || k.plural.equals(wanted))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown resource kind '" + name + "', expected one of "
                        + Arrays.stream(values()).map(ResourceKind::kind).collect(Collectors.joining(", "))));
    }

    @Override
    public String toString() {
        return kind;
    }
}
