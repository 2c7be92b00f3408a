package dev.vigil.cleaner.gc;

import static dev.vigil.cleaner.Events.created;
import static dev.vigil.cleaner.Events.finished;
import static dev.vigil.cleaner.Events.started;
import static dev.vigil.cleaner.Resources.MANAGED_BY;
import static dev.vigil.cleaner.Resources.SESSION;
import static dev.vigil.cleaner.Resources.WORKSPACE;
import static dev.vigil.cleaner.Resources.create;
import static dev.vigil.cleaner.Resources.exists;
import static dev.vigil.cleaner.Resources.labels;
import static dev.vigil.cleaner.Resources.vigilLabels;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.cleaner.Cleaner;
import dev.vigil.cleaner.MockApi;
import dev.vigil.cleaner.Resources;
import dev.vigil.cleaner.TestSettings;
import dev.vigil.cleaner.settings.CleanerSettings;
import dev.vigil.contracts.Labels;
import dev.vigil.contracts.event.CleanupTarget;
import dev.vigil.cleaner.kubernetes.ResourceKind;
import dev.vigil.contracts.event.CleanupOutcome;
import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.event.CleanupTrigger;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The periodic sweep on the CRUD mock. Every resource here is created "now" on the mock's clock;
 * the store's horizon (when it last had every run event) is moved instead, to make them young or old.
 */
@ExtendWith(MockApi.class)
class GarbageCollectorTest {

    static KubernetesClient client;

    private Cleaner cleaner;

    @BeforeEach
    void setUp() {
        client.apps().deployments().inAnyNamespace().delete();
        client.services().inAnyNamespace().delete();
        client.pods().inAnyNamespace().delete();
        cleaner = new Cleaner(client, TestSettings.allowing("agents"));
        cleaner.store.apply(created("live-run", 1));
        cleaner.store.apply(started("live-run", 1));
        cleaner.store.apply(created("done-run", 1));
        cleaner.store.apply(finished("done-run", 1));
        cleaner.store.apply(finished("retried-run", 1));
        cleaner.store.apply(created("retried-run", 2));
        cleaner.store.markReady();
    }

    private void horizonIn(Duration fromNow) {
        cleaner.store.markCaughtUp(Instant.now().plus(fromNow));
    }

    @Test
    void deletesTheResourcesOfFinishedRunsAndSparesLiveOnes() {
        create(client, ResourceKind.DEPLOYMENT, "agents", "done", vigilLabels("done-run"));
        create(client, ResourceKind.SERVICE, "agents", "done", vigilLabels("done-run"));
        create(client, ResourceKind.DEPLOYMENT, "agents", "live", vigilLabels("live-run"));
        create(client, ResourceKind.DEPLOYMENT, "agents", "retried", vigilLabels("retried-run"));
        horizonIn(Duration.ofMinutes(1));

        GarbageCollector.Sweep sweep = cleaner.cached().gc.sweep();

        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "done")).isFalse();
        assertThat(exists(client, ResourceKind.SERVICE, "agents", "done")).isFalse();
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "live")).isTrue();
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "retried")).isTrue();
        assertThat(sweep).isEqualTo(new GarbageCollector.Sweep(false, 4, 2, 2, 0));
        assertThat(cleaner.output.cleanups).hasSize(2).allSatisfy(c -> {
            assertThat(c.runId()).isEqualTo("done-run");
            assertThat(c.trigger()).isEqualTo(CleanupTrigger.GARBAGE_COLLECTION);
            assertThat(c.outcome()).isEqualTo(CleanupOutcome.DELETED);
        });
        assertThat(cleaner.count("vigil.cleaner.gc.orphans.found", "kind", "Deployment", "run", "terminal")).isEqualTo(1);
        assertThat(cleaner.count("vigil.cleaner.gc.sweeps", "result", "completed")).isEqualTo(1);
    }

    @Test
    void deletesResourcesOfRunsVigilDoesNotKnowOnlyAfterTheGracePeriod() {
        create(client, ResourceKind.POD, "agents", "stray", vigilLabels("never-heard-of"));
        create(client, ResourceKind.POD, "agents", "live", vigilLabels("live-run"));

        horizonIn(Duration.ofMinutes(9));
        cleaner.cached().gc.sweep();
        assertThat(exists(client, ResourceKind.POD, "agents", "stray")).as("within the 10 min grace").isTrue();

        horizonIn(Duration.ofMinutes(11));
        cleaner.cached().gc.sweep();
        assertThat(exists(client, ResourceKind.POD, "agents", "stray")).isFalse();
        assertThat(exists(client, ResourceKind.POD, "agents", "live")).isTrue();
        assertThat(cleaner.output.cleanups).extracting(CleanupPerformed::runId, CleanupPerformed::name,
                CleanupPerformed::outcome).containsExactly(
                        org.assertj.core.groups.Tuple.tuple("never-heard-of", "stray", CleanupOutcome.SPARED),
                        org.assertj.core.groups.Tuple.tuple("never-heard-of", "stray", CleanupOutcome.DELETED));
        assertThat(cleaner.count("vigil.cleaner.gc.orphans.found", "kind", "Pod", "run", "unknown")).isEqualTo(1);
    }

    @Test
    void neverTouchesWhatLacksALabelOrLiesOutsideTheAllowList() {
        create(client, ResourceKind.DEPLOYMENT, "agents", "session-only", labels(SESSION, "done-run"));
        create(client, ResourceKind.DEPLOYMENT, "agents", "no-run-label", labels(MANAGED_BY, "vigil"));
        create(client, ResourceKind.DEPLOYMENT, "agents", "other-manager", labels(SESSION, "done-run", MANAGED_BY, "helm"));
        create(client, ResourceKind.DEPLOYMENT, "elsewhere", "done", vigilLabels("done-run"));
        horizonIn(Duration.ofDays(1));

        GarbageCollector.Sweep sweep = cleaner.cached().gc.sweep();

        assertThat(sweep.orphans()).isZero();
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "session-only")).isTrue();
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "no-run-label")).isTrue();
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "other-manager")).isTrue();
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "elsewhere", "done")).isTrue();
    }

    @Test
    void sparesAFinishedRunsResourceCreatedTooShortlyBeforeTheHorizonForARetryMayOwnIt() {
        create(client, ResourceKind.DEPLOYMENT, "agents", "done", vigilLabels("done-run"));
        Instant created = Instant.parse(client.apps().deployments().inNamespace("agents").withName("done").get()
                .getMetadata().getCreationTimestamp());

        cleaner.store.markCaughtUp(created.plus(GarbageCollector.RETRY_MARGIN));
        assertThat(cleaner.cached().gc.sweep().orphans()).as("a retry's RunCreated may still be in the outbox").isZero();
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "done")).isTrue();

        cleaner.store.markCaughtUp(created.plus(GarbageCollector.RETRY_MARGIN).plusSeconds(1));
        assertThat(cleaner.cached().gc.sweep().deleted()).isEqualTo(1);
    }

    @Test
    void judgesAResourceCarryingAnAttemptLabelByTheLabelAlone() {
        create(client, ResourceKind.DEPLOYMENT, "agents", "mine", labels(SESSION, "done-run", MANAGED_BY, "vigil", WORKSPACE, "ws-1",
                dev.vigil.contracts.Labels.ATTEMPT, "1"));
        create(client, ResourceKind.DEPLOYMENT, "agents", "next", labels(SESSION, "done-run", MANAGED_BY, "vigil", WORKSPACE, "ws-1",
                dev.vigil.contracts.Labels.ATTEMPT, "2"));
        horizonIn(Duration.ZERO);

        assertThat(cleaner.cached().gc.sweep().deleted()).isEqualTo(1);
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "mine")).isFalse();
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "next")).as("a retry the store has not seen").isTrue();
    }

    @Test
    void sparesWhatWasCreatedAfterTheRunStateWasLastCaughtUp() {
        create(client, ResourceKind.DEPLOYMENT, "agents", "done", vigilLabels("done-run"));
        create(client, ResourceKind.DEPLOYMENT, "agents", "stray", vigilLabels("never-heard-of"));
        horizonIn(Duration.ofMinutes(-1));

        GarbageCollector.Sweep sweep = cleaner.cached().gc.sweep();

        assertThat(sweep.orphans()).isZero();
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "done")).isTrue();
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "stray")).isTrue();
    }

    @Test
    void doesNothingBeforeTheRunStateIsRebuilt() {
        create(client, ResourceKind.DEPLOYMENT, "agents", "stray", vigilLabels("never-heard-of"));
        Cleaner starting = new Cleaner(client, TestSettings.allowing("agents"));
        starting.store.markCaughtUp(Instant.now().plus(Duration.ofDays(1)));

        GarbageCollector.Sweep sweep = starting.cached().gc.sweep();

        assertThat(sweep.skipped()).isTrue();
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "stray")).isTrue();
        assertThat(starting.count("vigil.cleaner.gc.sweeps", "result", "skipped")).isEqualTo(1);
    }

    @Test
    void aResourceWhoseRunLabelIsNotARunVigilKnowsIsReportedAtOnceAndDeletedOnlyPastTheOrphanAge() {
        Cleaner month = new Cleaner(client, CleanerSettings.of(List.of("agents"), List.of("Deployment"), "session",
                MANAGED_BY, "vigil", Duration.ofDays(31), Duration.ofDays(30), TestSettings.FAST_RETRY, 100, CleanerSettings.Service.DEFAULTS));
        month.store.apply(created("chat-91-run", 1, new CleanupTarget("agents",
                Labels.selector("session", "chat-91-run", "ws-1", Map.of("chat", "chat-91")))));
        month.store.markReady();
        create(client, ResourceKind.DEPLOYMENT, "agents", "chat-91", labels(SESSION, "chat-91", MANAGED_BY, "vigil",
                WORKSPACE, "ws-1"));
        month.store.markCaughtUp(Instant.now().plus(Duration.ofMinutes(11)));

        month.cached().gc.sweep();
        month.cached().gc.sweep();

        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "chat-91")).as("ten minutes is no orphan age").isTrue();
        assertThat(month.output.cleanups).as("reported once, not every sweep").singleElement().satisfies(report -> {
            assertThat(report.outcome()).isEqualTo(CleanupOutcome.SPARED);
            assertThat(report.runId()).isEqualTo("chat-91");
            assertThat(report.detail()).contains("unknown to Vigil", "PT744H");
        });
        assertThat(month.registry.get("vigil.cleaner.gc.unknown.run.resources").gauge().value()).isEqualTo(1);

        month.store.markCaughtUp(Instant.now().plus(Duration.ofDays(31)).plusSeconds(5));
        assertThat(month.cached().gc.sweep().deleted()).isEqualTo(1);
        assertThat(month.registry.get("vigil.cleaner.gc.unknown.run.resources").gauge().value()).isZero();
    }

    @Test
    void neverTouchesAResourceWithoutTheWorkspaceLabelOrWithAnotherWorkspaceThanItsRuns() {
        create(client, ResourceKind.DEPLOYMENT, "agents", "no-workspace", labels(SESSION, "done-run", MANAGED_BY, "vigil"));
        create(client, ResourceKind.DEPLOYMENT, "agents", "other-workspace", vigilLabels("done-run", "other"));
        create(client, ResourceKind.DEPLOYMENT, "agents", "unknown-no-workspace",
                labels(SESSION, "never-heard-of", MANAGED_BY, "vigil"));
        horizonIn(Duration.ofDays(1));

        assertThat(cleaner.cached().gc.sweep().orphans()).isZero();

        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "no-workspace")).isTrue();
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "other-workspace")).isTrue();
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "unknown-no-workspace")).isTrue();
        assertThat(cleaner.count("vigil.cleaner.cleanups.refused", "reason", "workspace_mismatch")).isEqualTo(1);
    }

    @Test
    void aLiveRunsResourceIsNeverCollectedInAnyWorkspaceEvenPastTheOrphanAge() {
        create(client, ResourceKind.DEPLOYMENT, "agents", "live-elsewhere", vigilLabels("live-run", "other"));
        create(client, ResourceKind.DEPLOYMENT, "agents", "live", vigilLabels("live-run"));
        horizonIn(Duration.ofDays(365));

        assertThat(cleaner.cached().gc.sweep().orphans()).isZero();
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "live-elsewhere")).isTrue();
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "live")).isTrue();
    }
}
