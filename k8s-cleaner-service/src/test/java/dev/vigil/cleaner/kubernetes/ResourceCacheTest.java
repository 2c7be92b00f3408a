package dev.vigil.cleaner.kubernetes;

import static dev.vigil.cleaner.Events.created;
import static dev.vigil.cleaner.Events.finished;
import static dev.vigil.cleaner.Events.started;
import static dev.vigil.cleaner.Resources.WS;
import static dev.vigil.cleaner.Resources.create;
import static dev.vigil.cleaner.Resources.exists;
import static dev.vigil.cleaner.Resources.selector;
import static dev.vigil.cleaner.Resources.vigilLabels;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.cleaner.Cleaner;
import dev.vigil.cleaner.MockApi;
import dev.vigil.cleaner.FaultInjectingDispatcher;
import dev.vigil.cleaner.TestSettings;
import dev.vigil.cleaner.gc.GarbageCollector;
import dev.vigil.contracts.event.CleanupOutcome;
import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.event.CleanupTrigger;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The cleaner reads a watch cache, as a controller does: a cleanup costs the API server its deletes, and a garbage
 * collection sweep nothing but its deletes. (Listing the nine kinds by label, as it did, cost twelve requests for
 * a run with three objects.) Requests are counted at the API server.
 */
@ExtendWith(MockApi.class)
class ResourceCacheTest {

    private static final List<ResourceKind> PER_RUN = List.of(ResourceKind.DEPLOYMENT, ResourceKind.SERVICE,
            ResourceKind.POD);

    static FaultInjectingDispatcher api;
    static KubernetesClient client;

    @Test
    void aCleanupCostsTheApiServerOneRequestPerObjectItDeletesAndNoList() {
        int runs = 25;
        for (int i = 0; i < runs; i++) {
            for (ResourceKind kind : PER_RUN) {
                create(client, kind, "agents", "cost-" + i, vigilLabels("cost-" + i));
            }
        }
        Cleaner cleaner = new Cleaner(client, TestSettings.allowing("agents"));
        cleaner.cached();
        long before = api.total();
        long lists = listsSoFar();

        int deleted = 0;
        for (int i = 0; i < runs; i++) {
            List<CleanupPerformed> done = cleaner.resources.deleteLabelled("cost-" + i, 1, WS, "agents",
                    selector("cost-" + i), CleanupTrigger.RUN_FINISHED, null);
            deleted += (int) done.stream().filter(d -> d.outcome() == CleanupOutcome.DELETED).count();
        }

        long requests = api.total() - before;
        System.out.printf("%d cleanups deleted %d objects with %d API requests (%.2f per cleanup)%n", runs, deleted,
                requests, (double) requests / runs);
        assertThat(deleted).isEqualTo(runs * PER_RUN.size());
        assertThat(requests).as("at most the deletes and one more per cleanup").isLessThanOrEqualTo(deleted + runs);
        assertThat(listsSoFar()).as("nothing listed").isEqualTo(lists);
        for (int i = 0; i < runs; i++) {
            assertThat(exists(client, ResourceKind.POD, "agents", "cost-" + i)).isFalse();
        }
    }

    @Test
    void aSecondCleanupRightAfterTheFirstFindsNothingThoughTheWatchHasNotReportedTheDeletesYet() {
        for (ResourceKind kind : PER_RUN) {
            create(client, kind, "agents", "twice", vigilLabels("twice-run"));
        }
        Cleaner cleaner = new Cleaner(client, TestSettings.allowing("agents"));
        cleaner.cached();
        List<CleanupPerformed> first = cleaner.resources.deleteLabelled("twice-run", 1, WS, "agents",
                selector("twice-run"), CleanupTrigger.RUN_FINISHED, null);
        long before = api.total();

        List<CleanupPerformed> second = cleaner.resources.deleteLabelled("twice-run", 1, WS, "agents",
                selector("twice-run"), CleanupTrigger.RUN_FINISHED, null);

        assertThat(first).extracting(CleanupPerformed::outcome).containsOnly(CleanupOutcome.DELETED).hasSize(3);
        assertThat(second).isEmpty();
        assertThat(api.total() - before).isZero();
    }

    @Test
    void anObjectTheWatchDeliversAfterTheCleanupReadTheCacheIsDeletedByItsSecondLook() {
        Cleaner cleaner = new Cleaner(client, TestSettings.allowing("agents"));
        cleaner.cached();

        List<CleanupPerformed> first = cleaner.resources.deleteLabelled("late-run", 1, WS, "agents",
                selector("late-run"), CleanupTrigger.RUN_FINISHED, null);
        create(client, ResourceKind.POD, "agents", "late", vigilLabels("late-run")); // as if its event were late

        assertThat(first).isEmpty();
        Awaitility.await().atMost(Duration.ofSeconds(15))
                .until(() -> !exists(client, ResourceKind.POD, "agents", "late"));
        assertThat(cleaner.output.cleanups).extracting(CleanupPerformed::name, CleanupPerformed::outcome)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("late", CleanupOutcome.DELETED));
    }

    @Test
    void aGarbageCollectionSweepCostsTheApiServerOnlyItsDeletes() {
        create(client, ResourceKind.DEPLOYMENT, "agents", "gc-done", vigilLabels("gc-done-run"));
        for (int i = 0; i < 20; i++) {
            create(client, ResourceKind.POD, "agents", "gc-live-" + i, vigilLabels("gc-live-run"));
        }
        Cleaner cleaner = new Cleaner(client, TestSettings.allowing("agents"));
        cleaner.store.apply(created("gc-live-run", 1));
        cleaner.store.apply(started("gc-live-run", 1));
        cleaner.store.apply(created("gc-done-run", 1));
        cleaner.store.apply(finished("gc-done-run", 1));
        cleaner.store.markReady();
        cleaner.store.markCaughtUp(Instant.now().plus(Duration.ofMinutes(1)));
        cleaner.cached();
        long before = api.total();

        GarbageCollector.Sweep sweep = cleaner.gc.sweep();

        assertThat(sweep.examined()).isGreaterThanOrEqualTo(21);
        assertThat(sweep.deleted()).isEqualTo(1);
        assertThat(api.total() - before).as("the one delete, no list").isEqualTo(1);
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "gc-done")).isFalse();
        assertThat(exists(client, ResourceKind.POD, "agents", "gc-live-0")).isTrue();
    }

    @Test
    void theCacheHoldsOnlyManagedObjectsAndFollowsTheirChanges() {
        create(client, ResourceKind.CONFIG_MAP, "agents", "mine", vigilLabels("follow-run"));
        create(client, ResourceKind.CONFIG_MAP, "agents", "not-managed", Map.of("session", "follow-run"));
        Cleaner cleaner = new Cleaner(client, TestSettings.allowing("agents"));
        cleaner.cached();
        assertThat(cleaner.cache.byRun(ResourceKind.CONFIG_MAP, "agents", "follow-run"))
                .extracting(o -> o.getMetadata().getName()).containsExactly("mine");

        client.configMaps().inNamespace("agents").withName("mine")
                .edit(c -> { c.getMetadata().getLabels().put("session", "another-run"); return c; });
        cleaner.cached();

        assertThat(cleaner.cache.byRun(ResourceKind.CONFIG_MAP, "agents", "follow-run")).isEmpty();
        assertThat(cleaner.cache.byRun(ResourceKind.CONFIG_MAP, "agents", "another-run")).hasSize(1);
    }

    private static long listsSoFar() {
        return api.count("GET");
    }
}
