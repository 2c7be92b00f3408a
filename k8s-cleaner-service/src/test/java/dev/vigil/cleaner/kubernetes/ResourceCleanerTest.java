package dev.vigil.cleaner.kubernetes;

import static dev.vigil.cleaner.Resources.MANAGED_BY;
import static dev.vigil.cleaner.Resources.SESSION;
import static dev.vigil.cleaner.Resources.create;
import static dev.vigil.cleaner.Resources.createAllKinds;
import static dev.vigil.cleaner.Resources.exists;
import static dev.vigil.cleaner.Resources.kindsPresent;
import static dev.vigil.cleaner.Resources.labels;
import static dev.vigil.cleaner.Resources.vigilLabels;
import static dev.vigil.cleaner.Resources.WORKSPACE;
import static dev.vigil.cleaner.Resources.WS;
import static dev.vigil.cleaner.Resources.get;
import static dev.vigil.cleaner.Resources.selector;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.cleaner.Cleaner;
import dev.vigil.cleaner.MockApi;
import dev.vigil.cleaner.Resources;
import dev.vigil.cleaner.TestSettings;
import dev.vigil.contracts.event.CleanupOutcome;
import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.event.CleanupTrigger;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Label-selected deletes on fabric8's CRUD mock API server. */
@ExtendWith(MockApi.class)
class ResourceCleanerTest {

    static KubernetesClient client;

    private Cleaner cleaner;

    @BeforeEach
    void setUp() {
        cleaner = new Cleaner(client, TestSettings.allowing("agents", "tenant-b"));
    }

    @Test
    void deletesEveryKindCarryingTheRunLabelAndTheManagedByLabel() {
        createAllKinds(client, "agents", "web-r1", vigilLabels("r1"));

        List<CleanupPerformed> done = cleaner.cached().resources.deleteLabelled("r1", 1, WS, "agents", selector("r1"),
                CleanupTrigger.RUN_FINISHED, null);

        assertThat(kindsPresent(client, "agents", "web-r1")).isEmpty();
        assertThat(done).extracting(CleanupPerformed::kind).containsExactly("Deployment", "StatefulSet", "Job", "Service",
                "Pod", "ConfigMap", "Secret", "PersistentVolumeClaim", "Ingress");
        assertThat(done).allSatisfy(d -> {
            assertThat(d.outcome()).isEqualTo(CleanupOutcome.DELETED);
            assertThat(d.runId()).isEqualTo("r1");
            assertThat(d.namespace()).isEqualTo("agents");
            assertThat(d.name()).isEqualTo("web-r1");
            assertThat(d.trigger()).isEqualTo(CleanupTrigger.RUN_FINISHED);
        });
        assertThat(cleaner.output.cleanups).containsExactlyInAnyOrderElementsOf(done);
        assertThat(cleaner.output.threads).as("each kind listed and deleted on its own pool thread")
                .hasSize(ResourceKind.values().length).allMatch(name -> name.startsWith("vigil-cleanup-kind-"));
        assertThat(cleaner.count("vigil.cleaner.resources.deleted", "kind", "Deployment", "trigger", "run_finished"))
                .isEqualTo(1);
    }

    @Test
    void leavesUnlabelledHalfLabelledOtherRunAndOtherNamespaceResourcesAlone() {
        createAllKinds(client, "agents", "mine-r2", vigilLabels("r2"));
        createAllKinds(client, "agents", "unlabelled-r2", Map.of());
        createAllKinds(client, "agents", "session-only-r2", labels(SESSION, "r2"));
        createAllKinds(client, "agents", "managed-only-r2", labels(MANAGED_BY, "vigil"));
        createAllKinds(client, "agents", "other-manager-r2", labels(SESSION, "r2", MANAGED_BY, "helm"));
        createAllKinds(client, "agents", "other-run", vigilLabels("r2-other"));
        createAllKinds(client, "tenant-b", "mine-r2", vigilLabels("r2"));

        cleaner.cached().resources.deleteLabelled("r2", 1, WS, "agents", selector("r2"),
                CleanupTrigger.RUN_FINISHED, null);

        assertThat(kindsPresent(client, "agents", "mine-r2")).isEmpty();
        for (String untouched : List.of("unlabelled-r2", "session-only-r2", "managed-only-r2", "other-manager-r2",
                "other-run")) {
            assertThat(kindsPresent(client, "agents", untouched)).as(untouched).hasSize(ResourceKind.values().length);
        }
        assertThat(kindsPresent(client, "tenant-b", "mine-r2")).hasSize(ResourceKind.values().length);
        assertThat(cleaner.output.cleanups).extracting(CleanupPerformed::name).containsOnly("mine-r2");
    }

    @Test
    void requiresEveryLabelOfTheRunsTarget() {
        create(client, ResourceKind.DEPLOYMENT, "agents", "both", labels(SESSION, "r3", "slot", "a", MANAGED_BY, "vigil",
                WORKSPACE, WS));
        create(client, ResourceKind.DEPLOYMENT, "agents", "no-slot", vigilLabels("r3"));

        cleaner.cached().resources.deleteLabelled("r3", 1, WS, "agents", Map.of(SESSION, "r3", WORKSPACE, WS, "slot", "a"),
                CleanupTrigger.RUN_FINISHED, null);

        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "both")).isFalse();
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "no-slot")).isTrue();
    }

    @Test
    void sparesWhatALaterAttemptLabelledAsItsOwn() {
        create(client, ResourceKind.DEPLOYMENT, "agents", "attempt-1", labels(SESSION, "r9", MANAGED_BY, "vigil", WORKSPACE, WS,
                dev.vigil.contracts.Labels.ATTEMPT, "1"));
        create(client, ResourceKind.DEPLOYMENT, "agents", "attempt-2", labels(SESSION, "r9", MANAGED_BY, "vigil", WORKSPACE, WS,
                dev.vigil.contracts.Labels.ATTEMPT, "2"));
        List<CleanupPerformed> done = cleaner.cached().resources.deleteLabelled("r9", 1, WS, "agents", selector("r9"),
                CleanupTrigger.RUN_FINISHED, java.time.Instant.now().plusSeconds(30));
        assertThat(done).extracting(CleanupPerformed::name).containsExactly("attempt-1");
        assertThat(client.apps().deployments().inNamespace("agents").withName("attempt-2").get()).isNotNull();
    }

    @Test
    void sparesWhatWasCreatedAfterTheAttemptEndedForARetryMayOwnIt() {
        create(client, ResourceKind.DEPLOYMENT, "agents", "retried", labels(SESSION, "retried", MANAGED_BY, "vigil", WORKSPACE, WS));
        List<CleanupPerformed> tooEarly = cleaner.cached().resources.deleteLabelled("retried", 1, WS, "agents", selector("retried"),
                CleanupTrigger.RUN_FINISHED, java.time.Instant.now().minusSeconds(30));
        assertThat(tooEarly).isEmpty();
        assertThat(client.apps().deployments().inNamespace("agents").withName("retried").get()).isNotNull();

        List<CleanupPerformed> after = cleaner.cached().resources.deleteLabelled("retried", 1, WS, "agents", selector("retried"),
                CleanupTrigger.RUN_FINISHED, java.time.Instant.now().plusSeconds(30));
        assertThat(after).extracting(CleanupPerformed::name).containsExactly("retried");
    }

    @Test
    void sparesWhatWasCreatedInTheSecondTheAttemptEndedForCreationTimesAreWholeSeconds() {
        create(client, ResourceKind.DEPLOYMENT, "agents", "same-second", labels(SESSION, "tight", MANAGED_BY, "vigil", WORKSPACE, WS));
        java.time.Instant created = java.time.Instant.parse(client.apps().deployments().inNamespace("agents")
                .withName("same-second").get().getMetadata().getCreationTimestamp());

        List<CleanupPerformed> sameSecond = cleaner.cached().resources.deleteLabelled("tight", 1, WS, "agents", selector("tight"),
                CleanupTrigger.RUN_FINISHED, created.plusMillis(999));
        assertThat(sameSecond).as("a retry may have created it in the second the attempt ended").isEmpty();

        List<CleanupPerformed> secondAfter = cleaner.cached().resources.deleteLabelled("tight", 1, WS, "agents", selector("tight"),
                CleanupTrigger.RUN_FINISHED, created.plusSeconds(1));
        assertThat(secondAfter).extracting(CleanupPerformed::name).containsExactly("same-second");
    }

    @Test
    void judgesAResourceCarryingAnAttemptLabelByTheLabelAloneEvenInTheSecondTheAttemptEnded() {
        create(client, ResourceKind.DEPLOYMENT, "agents", "labelled", labels(SESSION, "quick", MANAGED_BY, "vigil", WORKSPACE, WS,
                dev.vigil.contracts.Labels.ATTEMPT, "1"));
        List<CleanupPerformed> done = cleaner.cached().resources.deleteLabelled("quick", 1, WS, "agents", selector("quick"),
                CleanupTrigger.RUN_FINISHED, java.time.Instant.now().minusSeconds(30));
        assertThat(done).extracting(CleanupPerformed::name).containsExactly("labelled");
    }

    @Test
    void repeatingACleanupFindsNothingAndFailsNothing() {
        createAllKinds(client, "agents", "web-r4", vigilLabels("r4"));
        cleaner.cached().resources.deleteLabelled("r4", 1, WS, "agents", selector("r4"),
                CleanupTrigger.RUN_FINISHED, null);

        List<CleanupPerformed> again = cleaner.cached().resources.deleteLabelled("r4", 1, WS, "agents", selector("r4"),
                CleanupTrigger.RUN_FINISHED, null);

        assertThat(again).isEmpty();
        assertThat(cleaner.output.cleanups).hasSize(ResourceKind.values().length)
                .allMatch(c -> c.outcome() == CleanupOutcome.DELETED);
    }

    @Test
    void deletingOneThatIsAlreadyGoneIsASuccess() {
        HasMetadata listed = create(client, ResourceKind.SERVICE, "agents", "gone-r5", vigilLabels("r5"));
        client.services().inNamespace("agents").withName("gone-r5").delete();

        CleanupPerformed done = cleaner.resources.delete("r5", 1, ResourceKind.SERVICE, listed,
                CleanupTrigger.GARBAGE_COLLECTION, r -> true);

        assertThat(done.outcome()).isEqualTo(CleanupOutcome.ALREADY_GONE);
        assertThat(done.detail()).isNull();
    }

    @Test
    void refusesNamespacesThatAreNotAllowed() {
        create(client, ResourceKind.POD, "kube-system", "p-r6", vigilLabels("r6"));

        assertThatThrownBy(() -> cleaner.cached().resources.deleteLabelled("r6", 1, WS, "kube-system", selector("r6"),
                CleanupTrigger.RUN_FINISHED, null)).isInstanceOf(IllegalArgumentException.class);
        HasMetadata pod = get(client, ResourceKind.POD, "kube-system", "p-r6");
        assertThatThrownBy(() -> cleaner.resources.delete("r6", 1, ResourceKind.POD, pod,
                CleanupTrigger.GARBAGE_COLLECTION, r -> true)).isInstanceOf(IllegalArgumentException.class);

        assertThat(exists(client, ResourceKind.POD, "kube-system", "p-r6")).isTrue();
    }
}
