package dev.vigil.cleaner.kubernetes;

import static dev.vigil.cleaner.Resources.MANAGED_BY;
import static dev.vigil.cleaner.Resources.SESSION;
import static dev.vigil.cleaner.Resources.create;
import static dev.vigil.cleaner.Resources.exists;
import static dev.vigil.cleaner.Resources.labels;
import static dev.vigil.cleaner.Resources.vigilLabels;
import static dev.vigil.cleaner.Resources.WS;
import static dev.vigil.cleaner.Resources.get;
import static dev.vigil.cleaner.Resources.selector;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.vigil.cleaner.Cleaner;
import dev.vigil.cleaner.MockApi;
import dev.vigil.cleaner.FaultInjectingDispatcher;
import dev.vigil.cleaner.LogCapture;
import dev.vigil.cleaner.TestSettings;
import dev.vigil.contracts.event.CleanupOutcome;
import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.event.CleanupTrigger;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Throttling, server errors, conflicts, refusals and dead connections, on a mock API server that fails on demand. */
@ExtendWith(MockApi.class)
class FailingApiServerTest {

    private static final String DEPLOYMENTS = "/apis/apps/v1/namespaces/agents/deployments";

    static FaultInjectingDispatcher api;
    static KubernetesClient client;

    private Cleaner cleaner;

    @BeforeEach
    void setUp() {
        cleaner = new Cleaner(client, TestSettings.allowing("agents"));
    }

    @Test
    void throttledThenServerErrorThenSuccessDeletesOnce() {
        create(client, ResourceKind.DEPLOYMENT, "agents", "web-t1", vigilLabels("t1"));
        api.failNext("DELETE", DEPLOYMENTS + "/web-t1", 429, 500);

        List<CleanupPerformed> done = cleaner.cached().resources.deleteLabelled("t1", 1, WS, "agents", selector("t1"),
                CleanupTrigger.RUN_FINISHED, null);

        assertThat(api.count("DELETE", DEPLOYMENTS + "/web-t1")).isEqualTo(3);
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "web-t1")).isFalse();
        assertThat(done).singleElement().satisfies(d -> {
            assertThat(d.kind()).isEqualTo("Deployment");
            assertThat(d.name()).isEqualTo("web-t1");
            assertThat(d.outcome()).isEqualTo(CleanupOutcome.DELETED);
        });
        assertThat(cleaner.output.cleanups).containsExactlyElementsOf(done);
    }

    @Test
    void aCacheWhoseFirstListsFailKeepsListingAndACleanupWaitsForItThenDeletes() {
        create(client, ResourceKind.DEPLOYMENT, "agents", "web-t2", vigilLabels("t2"));
        api.failNext("GET", DEPLOYMENTS, 503, 500);
        api.failNext("DELETE", DEPLOYMENTS + "/web-t2", 409);

        Cleaner late = new Cleaner(client, TestSettings.allowing("agents"));
        List<CleanupPerformed> done = late.resources.deleteLabelled("t2", 1, WS, "agents", selector("t2"),
                CleanupTrigger.RUN_FINISHED, null);

        assertThat(done).extracting(CleanupPerformed::outcome).containsExactly(CleanupOutcome.DELETED);
        assertThat(api.count("GET", DEPLOYMENTS)).as("two failed lists, then one that worked").isGreaterThanOrEqualTo(3);
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "web-t2")).isFalse();
    }

    @Test
    void givingUpLogsOneErrorLineAndAuditsTheFailure() {
        create(client, ResourceKind.DEPLOYMENT, "agents", "web-t3", vigilLabels("t3"));
        int attempts = TestSettings.FAST_RETRY.attempts();
        api.failNext("DELETE", DEPLOYMENTS + "/web-t3", IntStream.generate(() -> 503).limit(attempts).toArray());

        List<CleanupPerformed> done;
        try (LogCapture logs = new LogCapture()) {
            done = cleaner.cached().resources.deleteLabelled("t3", 2, WS, "agents", selector("t3"),
                CleanupTrigger.RUN_FINISHED, null);

            assertThat(logs.messages(Level.ERROR)).singleElement().satisfies(line -> assertThat(line)
                    .contains("cleanup FAILED", "run=t3", "attempt=2", "kind=Deployment", "namespace=agents",
                            "name=web-t3", "HTTP 503", "injected failure 503"));
        }

        assertThat(api.count("DELETE", DEPLOYMENTS + "/web-t3")).isEqualTo(attempts);
        assertThat(done).singleElement().satisfies(d -> {
            assertThat(d.outcome()).isEqualTo(CleanupOutcome.FAILED);
            assertThat(d.detail()).contains("after " + attempts + " tries", "HTTP 503");
        });
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "web-t3")).isTrue();
        assertThat(cleaner.count("vigil.cleaner.resources.failed", "kind", "Deployment")).isEqualTo(1);
    }

    @Test
    void forbiddenIsNotRetried() {
        create(client, ResourceKind.DEPLOYMENT, "agents", "web-t4", vigilLabels("t4"));
        api.failNext("DELETE", DEPLOYMENTS + "/web-t4", 403);

        CleanupPerformed done = cleaner.resources.delete("t4", 1, ResourceKind.DEPLOYMENT,
                get(client, ResourceKind.DEPLOYMENT, "agents", "web-t4"), CleanupTrigger.GARBAGE_COLLECTION, r -> true);

        assertThat(done.outcome()).isEqualTo(CleanupOutcome.FAILED);
        assertThat(done.detail()).contains("after 1 try", "HTTP 403");
        assertThat(api.count("DELETE", DEPLOYMENTS + "/web-t4")).isEqualTo(1);
    }

    @Test
    void notFoundOnDeleteMeansAlreadyGone() {
        create(client, ResourceKind.DEPLOYMENT, "agents", "web-t5", vigilLabels("t5"));
        api.failNext("DELETE", DEPLOYMENTS + "/web-t5", 500, 404);

        CleanupPerformed done = cleaner.resources.delete("t5", 1, ResourceKind.DEPLOYMENT,
                get(client, ResourceKind.DEPLOYMENT, "agents", "web-t5"), CleanupTrigger.RUN_FINISHED, r -> true);

        assertThat(done.outcome()).isEqualTo(CleanupOutcome.ALREADY_GONE);
        assertThat(cleaner.count("vigil.cleaner.resources.already.gone", "kind", "Deployment")).isEqualTo(1);
    }

    @Test
    void anObjectReCreatedUnderTheSameNameAfterItWasListedIsNotDeleted() {
        HasMetadata listed = create(client, ResourceKind.DEPLOYMENT, "agents", "web-u1", vigilLabels("u1"));
        client.apps().deployments().inNamespace("agents").withName("web-u1").delete();
        HasMetadata successor = create(client, ResourceKind.DEPLOYMENT, "agents", "web-u1", vigilLabels("u1"));

        CleanupPerformed done = cleaner.resources.delete("u1", 1, ResourceKind.DEPLOYMENT, listed,
                CleanupTrigger.RUN_FINISHED, r -> true);

        assertThat(done.outcome()).isEqualTo(CleanupOutcome.SPARED);
        assertThat(done.detail()).contains("re-created", listed.getMetadata().getUid(), successor.getMetadata().getUid());
        assertThat(get(client, ResourceKind.DEPLOYMENT, "agents", "web-u1").getMetadata().getUid())
                .isEqualTo(successor.getMetadata().getUid());
        assertThat(cleaner.count("vigil.cleaner.cleanups.refused", "reason", "replaced")).isEqualTo(1);
    }

    @Test
    void anObjectRelabelledAfterItWasListedIsNotDeletedButOneWhoseStatusChangedIs() {
        HasMetadata relabelled = create(client, ResourceKind.DEPLOYMENT, "agents", "web-u2", vigilLabels("u2"));
        HasMetadata touched = create(client, ResourceKind.DEPLOYMENT, "agents", "web-u3", vigilLabels("u3"));
        client.apps().deployments().inNamespace("agents").withName("web-u2")
                .edit(d -> { d.getMetadata().getLabels().put(SESSION, "someone-else"); return d; });
        client.apps().deployments().inNamespace("agents").withName("web-u3")
                .edit(d -> { d.getMetadata().setAnnotations(Map.of("replicas", "scaled")); return d; });

        CleanupPerformed spared = cleaner.resources.delete("u2", 1, ResourceKind.DEPLOYMENT, relabelled,
                CleanupTrigger.RUN_FINISHED, current -> ResourceCleaner.carriesAll(current, vigilLabels("u2")));
        CleanupPerformed deleted = cleaner.resources.delete("u3", 1, ResourceKind.DEPLOYMENT, touched,
                CleanupTrigger.RUN_FINISHED, current -> ResourceCleaner.carriesAll(current, vigilLabels("u3")));

        assertThat(spared.outcome()).isEqualTo(CleanupOutcome.SPARED);
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "web-u2")).isTrue();
        assertThat(deleted.outcome()).isEqualTo(CleanupOutcome.DELETED);
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "web-u3")).isFalse();
        assertThat(api.count("DELETE", DEPLOYMENTS + "/web-u3")).as("refused once on the old resourceVersion").isEqualTo(2);
    }

    @Test
    void aServerThatIgnoresSelectorsStillCannotMakeItDeleteUnlabelledResources() {
        create(client, ResourceKind.DEPLOYMENT, "agents", "web-t6", vigilLabels("t6"));
        create(client, ResourceKind.DEPLOYMENT, "agents", "session-only-t6", labels(SESSION, "t6"));
        create(client, ResourceKind.DEPLOYMENT, "agents", "managed-only-t6", labels(MANAGED_BY, "vigil"));
        api.ignoreLabelSelectors(true);
        Cleaner fed = new Cleaner(client, TestSettings.allowing("agents"));
        try {
            fed.cached();
            assertThat(fed.cache.all(ResourceKind.DEPLOYMENT, "agents")).as("the server sent what lacks the label too")
                    .extracting(d -> d.getMetadata().getName()).contains("session-only-t6", "managed-only-t6");

            List<CleanupPerformed> done = fed.resources.deleteLabelled("t6", 1, WS, "agents", selector("t6"),
                    CleanupTrigger.RUN_FINISHED, null);

            assertThat(done).extracting(CleanupPerformed::name).containsExactly("web-t6");
        } finally {
            api.ignoreLabelSelectors(false);
        }
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "web-t6")).isFalse();
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "session-only-t6")).isTrue();
        assertThat(exists(client, ResourceKind.DEPLOYMENT, "agents", "managed-only-t6")).isTrue();
    }

    @Test
    void noApiServerAtAllMakesACleanupWaitForTheCacheUpToItsBoundThenGiveUpWithOneErrorDeletingNothing() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Config config = new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:" + closedPort)
                .withRequestRetryBackoffLimit(0).build();
        try (KubernetesClient unreachable = new KubernetesClientBuilder().withConfig(config).build();
             LogCapture logs = new LogCapture()) {
            Cleaner offline = new Cleaner(unreachable, TestSettings.waitingForTheCache(Duration.ofSeconds(1), "agents"));
            long start = System.nanoTime();

            List<CleanupPerformed> done = offline.resources.deleteLabelled("t7", 1, WS, "agents", selector("t7"),
                    CleanupTrigger.RUN_FINISHED, null);

            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("it waited for the cache").isGreaterThanOrEqualTo(
                    Duration.ofSeconds(1));
            assertThat(done).singleElement().satisfies(d -> {
                assertThat(d.outcome()).isEqualTo(CleanupOutcome.FAILED);
                assertThat(d.kind()).isEqualTo(ResourceCleaner.ANY_KIND);
                assertThat(d.detail()).contains("has not listed every kind within PT1S", "nothing deleted");
            });
            assertThat(logs.messages(Level.ERROR)).singleElement().satisfies(line -> assertThat(line)
                    .contains("cleanup FAILED", "run=t7"));
            assertThat(offline.cache.synced()).isFalse();
            assertThat(offline.cache.describe()).containsValue("not synced");
        }
    }
}
