package dev.vigil.cleaner.events;

import static dev.vigil.cleaner.Records.record;
import static dev.vigil.cleaner.Resources.createAllKinds;
import static dev.vigil.cleaner.Resources.kindsPresent;
import static dev.vigil.cleaner.Resources.vigilLabels;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.cleaner.Cleaner;
import dev.vigil.cleaner.MockApi;
import dev.vigil.cleaner.Resources;
import dev.vigil.cleaner.TestSettings;
import dev.vigil.cleaner.kubernetes.ResourceKind;
import dev.vigil.contracts.Labels;
import dev.vigil.contracts.event.CleanupOutcome;
import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.event.CleanupTarget;
import dev.vigil.contracts.event.CleanupTrigger;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunCreated;
import dev.vigil.contracts.event.RunFinished;
import dev.vigil.contracts.event.RunStarted;
import dev.vigil.contracts.event.RunStatus;
import dev.vigil.contracts.event.RunTimeouts;
import dev.vigil.contracts.event.VigilEvent;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Two workspaces share the namespace {@code agents}: a live run of {@code demo} and a hostile tenant
 * {@code other} whose finishing runs name every widening selector. The run events come straight to
 * the cleaner, as if run-service had let them through: the cleaner is its own guard.
 */
@ExtendWith(MockApi.class)
class TenantIsolationTest {

    static KubernetesClient client;

    private static final String VICTIM = "9ceb92ff-0000-4000-8000-000000000001";
    private static final int ALL_KINDS = ResourceKind.values().length;

    private Cleaner cleaner;

    @BeforeEach
    void setUp() {
        for (ResourceKind kind : ResourceKind.values()) {
            kind.list(client, "agents", Map.of()).forEach(r -> client.resource(r).delete());
        }
        cleaner = new Cleaner(client, TestSettings.allowing("agents"));
        createAllKinds(client, "agents", "w-victim", vigilLabels(VICTIM, "demo"));
        process(created(VICTIM, "demo", null), RunStarted.of(VICTIM, 1, "agent-1"));
    }

    static List<Arguments> wideningSelectors() {
        return List.of(
                Arguments.of("managed-by only", Map.of(Labels.MANAGED_BY, "vigil")),
                Arguments.of("another run's id", Map.of("session", VICTIM)),
                Arguments.of("another workspace", Map.of(Labels.WORKSPACE, "demo")),
                Arguments.of("only user labels", Map.of("team", "search")),
                Arguments.of("the victim's whole selector", Labels.ofRun("session", VICTIM, "demo")),
                Arguments.of("its own id in another workspace", Map.of("session", "{self}", Labels.WORKSPACE, "demo")),
                Arguments.of("another run's id in its own workspace", Map.of("session", VICTIM, Labels.WORKSPACE, "other")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("wideningSelectors")
    void aFinishingRunsSelectorThatCouldReachAnotherRunIsRefusedCountedAndAudited(String trick, Map<String, String> labels) {
        String attacker = UUID.randomUUID().toString();
        Map<String, String> selector = new HashMap<>(labels);
        selector.replaceAll((k, v) -> v.equals("{self}") ? attacker : v);
        CleanupTarget target = new CleanupTarget("agents", selector);

        process(created(attacker, "other", target), finished(attacker, "other", target));

        assertThat(kindsPresent(client, "agents", "w-victim")).as(trick).hasSize(ALL_KINDS);
        assertThat(cleaner.output.cleanups).singleElement().satisfies(refusal -> {
            assertThat(refusal.runId()).isEqualTo(attacker);
            assertThat(refusal.outcome()).isEqualTo(CleanupOutcome.REFUSED);
            assertThat(refusal.detail()).contains("session=" + attacker, "vigil.dev/workspace=other");
        });
        assertThat(cleaner.count("vigil.cleaner.cleanups.refused", "reason", "unscoped_selector")).isEqualTo(1);
        assertThat(cleaner.output.deadLetters).as("a refusal is final, not a failure to retry").isEmpty();
    }

    @Test
    void withNoTargetOrItsOwnSelectorARunDeletesOnlyItsOwnResourcesNotASharedNamespacesOthers() {
        String attacker = UUID.randomUUID().toString();
        String neighbour = UUID.randomUUID().toString();
        createAllKinds(client, "agents", "w-attacker", vigilLabels(attacker, "other"));
        createAllKinds(client, "agents", "w-neighbour", vigilLabels(neighbour, "other"));
        CleanupTarget own = new CleanupTarget("agents", Labels.selector("session", attacker, "other", Map.of()));

        process(created(attacker, "other", null), finished(attacker, "other", null));
        process(created(neighbour, "other", own), finished(neighbour, "other", own));

        assertThat(kindsPresent(client, "agents", "w-attacker")).isEmpty();
        assertThat(kindsPresent(client, "agents", "w-neighbour")).as("a run whose target names another run's id")
                .hasSize(ALL_KINDS);
        assertThat(kindsPresent(client, "agents", "w-victim")).hasSize(ALL_KINDS);
    }

    @Test
    void aResourceWhoseRunLabelNamesALiveRunIsNeverDeletedHoweverTheCallWasMade() {
        List<CleanupPerformed> done = cleaner.cached().resources.deleteLabelled(VICTIM, 1, "demo", "agents",
                Labels.ofRun("session", VICTIM, "demo"), CleanupTrigger.RUN_FINISHED, null);

        assertThat(kindsPresent(client, "agents", "w-victim")).hasSize(ALL_KINDS);
        assertThat(done).hasSize(ALL_KINDS).allSatisfy(d -> {
            assertThat(d.outcome()).isEqualTo(CleanupOutcome.SPARED);
            assertThat(d.detail()).contains("live");
        });
        assertThat(cleaner.count("vigil.cleaner.cleanups.refused", "reason", "live_run")).isEqualTo(ALL_KINDS);
    }

    private void process(dev.vigil.contracts.event.RunEvent... events) {
        long[] offset = {0};
        Rewinds rewinds = new Rewinds();
        cleaner.cached().processor.act(cleaner.processor.apply(
                java.util.Arrays.stream(events).map(e -> record(offset[0]++, e)).toList(), r -> true, rewinds), rewinds);
    }

    private static RunCreated created(String runId, String workspace, CleanupTarget target) {
        return RunCreated.of(runId, 1, workspace, "slot-" + runId, "agent-session", null,
                new RunTimeouts(Duration.ofSeconds(30), Duration.ofMinutes(2), Duration.ofMinutes(1), Duration.ofHours(4)),
                target);
    }

    private static RunFinished finished(String runId, String workspace, CleanupTarget target) {
        return new RunFinished(UUID.randomUUID().toString(), runId, 1, workspace, "slot-" + runId, RunStatus.SUCCEEDED,
                Reason.COMPLETED, null, target, Instant.now().plusSeconds(2), VigilEvent.VERSION);
    }
}
