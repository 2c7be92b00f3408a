package dev.vigil.cleaner.events;

import static dev.vigil.cleaner.Events.created;
import static dev.vigil.cleaner.Events.finished;
import static dev.vigil.cleaner.Events.started;
import static dev.vigil.cleaner.Events.stopRequested;
import static dev.vigil.cleaner.Events.target;
import static dev.vigil.cleaner.Records.garbage;
import static dev.vigil.cleaner.Records.record;
import static dev.vigil.cleaner.Records.watermark;
import static dev.vigil.cleaner.Resources.createAllKinds;
import static dev.vigil.cleaner.Resources.kindsPresent;
import static dev.vigil.cleaner.Resources.vigilLabels;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.cleaner.Cleaner;
import dev.vigil.cleaner.MockApi;
import dev.vigil.cleaner.FaultInjectingDispatcher;
import dev.vigil.cleaner.Records;
import dev.vigil.cleaner.TestSettings;
import dev.vigil.cleaner.kubernetes.ResourceKind;
import dev.vigil.contracts.Labels;
import dev.vigil.contracts.event.CleanupOutcome;
import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.event.CleanupTarget;
import dev.vigil.contracts.event.CleanupTrigger;
import dev.vigil.contracts.serde.InvalidEventException;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** From run-events records to deletes: which finishes act, what is dead-lettered, what is never touched. */
@ExtendWith(MockApi.class)
class RunEventProcessorTest {

    private static final int ALL_KINDS = ResourceKind.values().length;

    static FaultInjectingDispatcher api;
    static KubernetesClient client;

    private Cleaner cleaner;

    @BeforeEach
    void setUp() {
        cleaner = new Cleaner(client, TestSettings.allowing("agents", "tenant-b"));
    }

    private void process(List<ConsumerRecord<byte[], byte[]>> records) {
        Rewinds rewinds = new Rewinds();
        cleaner.cached().processor.act(cleaner.processor.apply(records, r -> true, rewinds), rewinds);
        assertThat(rewinds.offsets()).as("every dead letter was sent").isEmpty();
    }

    @Test
    void eachRunOfABatchIsCleanedUpAsItsOwnConcurrentTaskWithItsFinishesInOrder() throws Exception {
        List<String> runs = List.of("c1", "c2", "c3", "c4");
        runs.forEach(run -> createAllKinds(client, "agents", "web-" + run, vigilLabels(run)));
        java.util.concurrent.ThreadPoolExecutor workers = (java.util.concurrent.ThreadPoolExecutor)
                java.util.concurrent.Executors.newFixedThreadPool(4);
        RunEventProcessor processor = new RunEventProcessor(Records.CATALOG.runEvents().valueSerde().deserializer(),
                cleaner.store, new RunFinishedCleanup(cleaner.settings, cleaner.resources, cleaner.metrics),
                cleaner.output, cleaner.metrics, workers);
        try {
            Rewinds rewinds = new Rewinds();
            processor.act(processor.apply(List.of(record(0, finished("c1", 1)), record(1, finished("c2", 1)),
                    record(2, finished("c3", 1)), record(3, finished("c4", 1)), record(4, finished("c1", 1))), r -> true,
                    rewinds), rewinds);
        } finally {
            processor.close();
        }
        // Counted once the pool has terminated: a task's count is settled only after its future completes.
        assertThat(workers.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(workers.getCompletedTaskCount()).as("one task per run, c1's two finishes in one").isEqualTo(4);
        runs.forEach(run -> assertThat(kindsPresent(client, "agents", "web-" + run)).as(run).isEmpty());
        assertThat(cleaner.output.cleanups).filteredOn(c -> c.runId().equals("c1"))
                .extracting(CleanupPerformed::outcome).containsOnly(CleanupOutcome.DELETED);
    }

    @Test
    void aFinishDeletesTheResourcesOfTheTargetItsRunWasCreatedWith() {
        createAllKinds(client, "agents", "web-p1", vigilLabels("p1"));

        process(List.of(record(0, created("p1", 1, target("agents", "p1"))), record(1, started("p1", 1)),
                record(2, finished("p1", 1))));

        assertThat(kindsPresent(client, "agents", "web-p1")).isEmpty();
        assertThat(cleaner.output.cleanups).hasSize(ALL_KINDS).allSatisfy(c -> {
            assertThat(c.runId()).isEqualTo("p1");
            assertThat(c.outcome()).isEqualTo(CleanupOutcome.DELETED);
            assertThat(c.trigger()).isEqualTo(CleanupTrigger.RUN_FINISHED);
        });
        assertThat(cleaner.output.deadLetters).isEmpty();
    }

    @Test
    void aLiveRunsResourcesAreNeverTouched() {
        createAllKinds(client, "agents", "web-p2", vigilLabels("p2"));

        process(List.of(record(0, created("p2", 1, target("agents", "p2"))), record(1, started("p2", 1)),
                record(2, stopRequested("p2", 1))));

        assertThat(kindsPresent(client, "agents", "web-p2")).hasSize(ALL_KINDS);
        assertThat(cleaner.output.cleanups).isEmpty();
    }

    @Test
    void aRetryArrivingWithTheOldAttemptsFinishProtectsTheNewAttempt() {
        createAllKinds(client, "agents", "web-p3", vigilLabels("p3"));

        process(List.of(record(0, created("p3", 1)), record(1, finished("p3", 1, target("agents", "p3"))),
                record(2, created("p3", 2, target("agents", "p3")))));

        assertThat(kindsPresent(client, "agents", "web-p3")).hasSize(ALL_KINDS);
        assertThat(cleaner.output.cleanups).isEmpty();
        assertThat(cleaner.count("vigil.cleaner.cleanups.refused", "reason", "superseded_attempt")).isEqualTo(1);
    }

    @Test
    void aLateFinishOfAnOlderAttemptDeletesNothing() {
        createAllKinds(client, "agents", "web-p4", vigilLabels("p4"));
        process(List.of(record(0, created("p4", 2, target("agents", "p4")))));

        process(List.of(record(1, finished("p4", 1, target("agents", "p4")))));

        assertThat(kindsPresent(client, "agents", "web-p4")).hasSize(ALL_KINDS);
        assertThat(cleaner.output.cleanups).isEmpty();
    }

    @Test
    void badRecordsAreDeadLetteredAndTheNextEventIsStillProcessed() {
        createAllKinds(client, "agents", "web-p5", vigilLabels("p5"));
        var garbage = garbage(0, "\u0000\u0001 not json at all");
        var missingRunId = garbage(1, "{\"type\":\"RunFinished\",\"eventId\":\"e-1\",\"attempt\":1,\"version\":1}");

        process(List.of(garbage, missingRunId, record(2, finished("p5", 1, target("agents", "p5")))));

        assertThat(cleaner.output.deadLetters).hasSize(2);
        assertThat(cleaner.output.deadLetters.get(0).record()).isSameAs(garbage);
        assertThat(cleaner.output.deadLetters.get(0).reason()).isInstanceOf(InvalidEventException.class);
        assertThat(cleaner.output.deadLetters.get(1).record()).isSameAs(missingRunId);
        assertThat(cleaner.output.deadLetters.get(1).reason()).hasMessageContaining("runId");
        assertThat(cleaner.count("vigil.cleaner.dead.letters", "reason", "invalid_event")).isEqualTo(2);
        assertThat(kindsPresent(client, "agents", "web-p5")).isEmpty();
    }

    @Test
    void recordsHandledBeforeARestartUpdateStateButAreNeitherActedOnNorDeadLetteredAgain() {
        createAllKinds(client, "agents", "web-p6", vigilLabels("p6"));

        var finishes = cleaner.processor.apply(List.of(garbage(0, "junk"),
                record(1, finished("p6", 1, target("agents", "p6")))), r -> false, new Rewinds());

        assertThat(finishes).isEmpty();
        assertThat(cleaner.output.deadLetters).isEmpty();
        assertThat(cleaner.store.get("p6")).hasValueSatisfying(s -> assertThat(s.terminal()).isTrue());
        assertThat(kindsPresent(client, "agents", "web-p6")).hasSize(ALL_KINDS);
    }

    @Test
    void watermarkTicksAreSkipped() {
        process(List.of(watermark(0)));

        assertThat(cleaner.output.deadLetters).isEmpty();
        assertThat(cleaner.store.size()).isZero();
    }

    @Test
    void aNamespaceNotOnTheAllowListIsNeverCleaned() {
        createAllKinds(client, "kube-system", "web-p7", vigilLabels("p7"));

        process(List.of(record(0, finished("p7", 1, target("kube-system", "p7")))));

        assertThat(kindsPresent(client, "kube-system", "web-p7")).hasSize(ALL_KINDS);
        assertThat(cleaner.output.cleanups).isEmpty();
        assertThat(cleaner.output.deadLetters).isEmpty();
        assertThat(cleaner.count("vigil.cleaner.cleanups.refused", "reason", "namespace_not_allowed")).isEqualTo(1);
    }

    @Test
    void withoutATargetTheRunLabelIsLookedForInEveryAllowedNamespace() {
        createAllKinds(client, "agents", "web-p8", vigilLabels("p8"));
        createAllKinds(client, "tenant-b", "web-p8", vigilLabels("p8"));
        createAllKinds(client, "elsewhere", "web-p8", vigilLabels("p8"));

        process(List.of(record(0, created("p8", 1)), record(1, finished("p8", 1))));

        assertThat(kindsPresent(client, "agents", "web-p8")).isEmpty();
        assertThat(kindsPresent(client, "tenant-b", "web-p8")).isEmpty();
        assertThat(kindsPresent(client, "elsewhere", "web-p8")).hasSize(ALL_KINDS);
    }

    @Test
    void aTargetWithSeveralLabelsNeedsAllOfThem() {
        CleanupTarget slotTarget = new CleanupTarget("agents", Labels.selector("session", "p9", "ws-1", Map.of("slot", "b")));
        createAllKinds(client, "agents", "slot-b", Labels.selector("session", "p9", "ws-1", Map.of("slot", "b")));
        createAllKinds(client, "agents", "slot-a", Labels.selector("session", "p9", "ws-1", Map.of("slot", "a")));

        process(List.of(record(0, finished("p9", 1, slotTarget))));

        assertThat(kindsPresent(client, "agents", "slot-b")).isEmpty();
        assertThat(kindsPresent(client, "agents", "slot-a")).hasSize(ALL_KINDS);
    }

    @Test
    void aCleanupThatGivesUpDeadLettersTheFinishWithTheReason() {
        createAllKinds(client, "agents", "web-p10", vigilLabels("p10"));
        int attempts = TestSettings.FAST_RETRY.attempts();
        for (int i = 0; i < attempts; i++) {
            api.failNext("DELETE", "/api/v1/namespaces/agents/services/web-p10", 500);
        }
        var finish = record(0, finished("p10", 1, target("agents", "p10")));

        process(List.of(finish));

        assertThat(kindsPresent(client, "agents", "web-p10")).containsExactly(ResourceKind.SERVICE);
        assertThat(cleaner.output.cleanups).filteredOn(c -> c.outcome() == CleanupOutcome.FAILED)
                .extracting(CleanupPerformed::kind).containsExactly("Service");
        assertThat(cleaner.output.deadLetters).singleElement().satisfies(dl -> {
            assertThat(dl.record()).isSameAs(finish);
            assertThat(dl.reason()).isInstanceOf(CleanupFailedException.class)
                    .hasMessageContaining("run p10").hasMessageContaining("Service agents/web-p10")
                    .hasMessageContaining("HTTP 500");
        });
        assertThat(cleaner.count("vigil.cleaner.dead.letters", "reason", "cleanup_failed")).isEqualTo(1);
    }

    @Test
    void aFinishWhoseFailureCannotBeDeadLetteredIsToBeReadAgain() {
        createAllKinds(client, "agents", "web-p12", vigilLabels("p12"));
        for (int i = 0; i < TestSettings.FAST_RETRY.attempts(); i++) {
            api.failNext("DELETE", "/api/v1/namespaces/agents/services/web-p12", 500);
        }
        cleaner.output.deadLettersToFail = 1;
        Rewinds rewinds = new Rewinds();

        cleaner.cached().processor.act(cleaner.processor.apply(List.of(record(0, 7, finished("p12", 1, target("agents", "p12")))),
                r -> true, rewinds), rewinds);

        assertThat(rewinds.offsets()).containsExactly(Map.entry(new TopicPartition(Records.TOPIC, 0), 7L));
        assertThat(cleaner.output.deadLetters).isEmpty();
        assertThat(cleaner.count("vigil.cleaner.dead.letter.failures", "reason", "cleanup_failed")).isEqualTo(1);
        assertThat(cleaner.count("vigil.cleaner.dead.letters", "reason", "cleanup_failed")).isZero();
    }

    @Test
    void aRepeatedFinishFindsNothingAndRaisesNothing() {
        createAllKinds(client, "agents", "web-p11", vigilLabels("p11"));
        var finish = finished("p11", 1, target("agents", "p11"));
        process(List.of(record(0, finish)));
        int afterFirst = cleaner.output.cleanups.size();

        process(List.of(record(1, finish), record(2, finished("p11", 1, target("agents", "p11")))));

        assertThat(afterFirst).isEqualTo(ALL_KINDS);
        assertThat(cleaner.output.cleanups).hasSize(ALL_KINDS);
        assertThat(cleaner.output.deadLetters).isEmpty();
    }
}
