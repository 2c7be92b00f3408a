package dev.vigil.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The schema check can fail, and for the reason it names: each broken object below differs from a valid one (checked
 * first) by one mistake.
 */
class UpstreamSchemasTest {

    private static final String NODE_POOL = """
            apiVersion: kafka.strimzi.io/v1
            kind: KafkaNodePool
            metadata:
              name: broker
              namespace: vigil
              labels:
                strimzi.io/cluster: vigil
            spec:
              replicas: 3
              roles: [broker]
              storage:
                type: jbod
                volumes:
                  - {id: 0, type: persistent-claim, size: 100Gi, deleteClaim: false}
              template:
                pod:
                  topologySpreadConstraints:
                    - maxSkew: 1
                      topologyKey: topology.kubernetes.io/zone
                      whenUnsatisfiable: DoNotSchedule
                      labelSelector:
                        matchLabels: {strimzi.io/pool-name: broker}
            """;

    private static final String KAFKA = """
            apiVersion: kafka.strimzi.io/v1
            kind: Kafka
            metadata:
              name: vigil
              namespace: vigil
            spec:
              kafka:
                version: 4.3.1
                metadataVersion: 4.3-IV0
                rack:
                  topologyKey: topology.kubernetes.io/zone
                listeners:
                  - {name: tls, port: 9093, type: internal, tls: true, authentication: {type: scram-sha-512}}
                config:
                  min.insync.replicas: 2
                  any.broker.setting.at.all: true
              entityOperator:
                topicOperator: {}
                userOperator: {}
            """;

    private static final String KAFKA_USER = """
            apiVersion: kafka.strimzi.io/v1
            kind: KafkaUser
            metadata:
              name: vigil-workers
              namespace: vigil
              labels:
                strimzi.io/cluster: vigil
            spec:
              authentication:
                type: scram-sha-512
              authorization:
                type: simple
                acls:
                  - resource: {type: topic, name: vigil.heartbeats, patternType: literal}
                    operations: [Describe, Write]
            """;

    private static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: run-service
              namespace: vigil
            spec:
              replicas: 2
              selector:
                matchLabels: {app: run-service}
              template:
                metadata:
                  labels: {app: run-service}
                spec:
                  containers:
                    - name: run-service
                      image: vigil/run-service:0.1.0
                      ports:
                        - {name: http, containerPort: 8080}
                      readinessProbe:
                        httpGet: {path: /health/readiness, port: http}
                      resources:
                        requests: {cpu: 100m, memory: 512Mi}
            """;

    private final UpstreamSchemas schemas = UpstreamSchemas.load();

    @Test
    void theValidObjectsTheOthersAreMadeFromHaveNoViolations() throws IOException {
        for (String valid : List.of(NODE_POOL, KAFKA, KAFKA_USER, DEPLOYMENT)) {
            JsonNode object = yaml(valid);
            assertThat(schemas.violations(object)).as(Rendered.id(object)).isEmpty();
        }
    }

    @Test
    void aMisspelledFieldInAKafkaNodePoolIsAViolation() throws IOException {
        assertThat(schemas.violations(yaml(NODE_POOL.replace("  replicas: 3", "  replicaz: 3"))))
                .anySatisfy(violation -> assertThat(violation).contains("$.spec").contains("'replicaz'")
                        .contains("not defined in the schema"))
                .anySatisfy(violation -> assertThat(violation).contains("required property 'replicas'"));
    }

    @Test
    void aMisspelledFieldDeepInAPodTemplateOfAKafkaNodePoolIsAViolation() throws IOException {
        assertThat(schemas.violations(yaml(NODE_POOL.replace("maxSkew: 1", "maxSkw: 1"))))
                .anySatisfy(violation -> assertThat(violation).contains("topologySpreadConstraints[0]").contains("'maxSkw'"));
    }

    @Test
    void aMisspelledProbeInADeploymentIsAViolation() throws IOException {
        assertThat(schemas.violations(yaml(DEPLOYMENT.replace("readinessProbe:", "readinesProbe:"))))
                .singleElement().asString().contains("$.spec.template.spec.containers[0]").contains("'readinesProbe'")
                .contains("not defined in the schema");
    }

    @Test
    void aValueOfTheWrongTypeInADeploymentIsAViolation() throws IOException {
        assertThat(schemas.violations(yaml(DEPLOYMENT.replace("replicas: 2", "replicas: two"))))
                .singleElement().asString().contains("$.spec.replicas").contains("string found, integer expected");
    }

    /** Kubernetes' OpenAPI document says which fields are required; the schema used before this one did not. */
    @Test
    void aDeploymentWithoutItsSelectorIsAViolation() throws IOException {
        assertThat(schemas.violations(yaml(DEPLOYMENT.replace("""
                  selector:
                    matchLabels: {app: run-service}
                """, ""))))
                .singleElement().asString().contains("$.spec").contains("required property 'selector'");
    }

    @Test
    void aContainerWithoutANameIsAViolation() throws IOException {
        assertThat(schemas.violations(yaml(DEPLOYMENT.replace("- name: run-service\n          image:", "- image:"))))
                .singleElement().asString().contains("$.spec.template.spec.containers[0]").contains("required property 'name'");
    }

    /** An IntOrString and a Quantity are written as strings in the document; the API server takes numbers too. */
    @Test
    void aPortOrAQuantityGivenAsANumberIsNoViolation() throws IOException {
        assertThat(schemas.violations(yaml(DEPLOYMENT.replace("port: http", "port: 8080").replace("cpu: 100m", "cpu: 1"))))
                .isEmpty();
        assertThat(schemas.violations(yaml(DEPLOYMENT.replace("port: http", "port: true"))))
                .singleElement().asString().contains("$.spec.template.spec.containers[0].readinessProbe.httpGet.port");
    }

    @Test
    void aMisspelledMetadataFieldOfACustomResourceIsAViolation() throws IOException {
        assertThat(schemas.violations(yaml(KAFKA_USER.replace("  labels:", "  label:"))))
                .singleElement().asString().contains("$.metadata").contains("'label'");
    }

    /** v1 made a listener's {@code tls} required (v1beta2 defaulted it). */
    @Test
    void aListenerWithoutTlsIsAViolationOfTheV1KafkaSchema() throws IOException {
        assertThat(schemas.violations(yaml(KAFKA.replace(" tls: true,", ""))))
                .singleElement().asString().contains("$.spec.kafka.listeners[0]").contains("required property 'tls'");
    }

    /** v1 dropped an ACL's singular {@code operation}, deprecated in v1beta2 for {@code operations}. */
    @Test
    void anAclWithTheSingularOperationRemovedInV1IsAViolation() throws IOException {
        assertThat(schemas.violations(yaml(KAFKA_USER.replace("operations: [Describe, Write]", "operation: Write"))))
                .anySatisfy(violation -> assertThat(violation).contains("'operation'").contains("not defined in the schema"))
                .anySatisfy(violation -> assertThat(violation).contains("required property 'operations'"));
    }

    /** Strimzi 1.x serves only kafka.strimzi.io/v1: a v1beta2 object would be refused by the API server. */
    @Test
    void aStrimziObjectOfTheV1beta2ApiStrimziNoLongerServesIsAViolation() throws IOException {
        for (String valid : List.of(NODE_POOL, KAFKA, KAFKA_USER)) {
            JsonNode old = yaml(valid.replace("apiVersion: kafka.strimzi.io/v1\n", "apiVersion: kafka.strimzi.io/v1beta2\n"));
            assertThat(schemas.violations(old)).as(Rendered.id(old)).singleElement().asString()
                    .contains("no schema for apiVersion kafka.strimzi.io/v1beta2");
        }
    }

    @Test
    void aBuiltInKindOfAnApiVersionKubernetesNoLongerServesIsAViolation() throws IOException {
        assertThat(schemas.violations(yaml(DEPLOYMENT.replace("apiVersion: apps/v1", "apiVersion: apps/v1beta1"))))
                .singleElement().asString().contains("no schema for apiVersion apps/v1beta1, kind Deployment");
    }

    @Test
    void aKindWithoutASchemaIsAViolation() throws IOException {
        assertThat(schemas.violations(yaml("""
                apiVersion: example.com/v1
                kind: Widget
                metadata: {name: w}
                spec: {size: 3}
                """))).singleElement().asString().contains("no schema for apiVersion example.com/v1, kind Widget");
        assertThat(schemas.violations(yaml(DEPLOYMENT.replace("kind: Deployment", "kind: DeploymentSpec"))))
                .as("a type that is not a kind").singleElement().asString().contains("no schema");
    }

    private static JsonNode yaml(String text) throws IOException {
        return Kustomize.parse(text).get(0);
    }
}
