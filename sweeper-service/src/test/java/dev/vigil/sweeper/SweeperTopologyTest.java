package dev.vigil.sweeper;

import static dev.vigil.sweeper.SweeperHarness.timeouts;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.contracts.VigilHeaders;
import dev.vigil.contracts.event.FirstHeartbeatReceived;
import dev.vigil.contracts.event.Heartbeat;
import dev.vigil.contracts.event.ProgressReported;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.event.RunTimeouts;
import dev.vigil.contracts.serde.EventJson;
import dev.vigil.sweeper.run.RunSweeper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every detection rule, on the production topology, with explicit broker timestamps. */
class SweeperTopologyTest {

    private static final RunTimeouts T10 = timeouts(10_000, 30_000, 20_000, 3_600_000);

    private final SweeperHarness sweeper = new SweeperHarness();

    @AfterEach
    void close() {
        sweeper.close();
    }

    @Test
    void aHeartbeatGapLongerThanTheTimeoutFiresOnceAtLastHeartbeatPlusTimeout() {
        sweeper.created("r1", 1, 0, T10);
        sweeper.heartbeats("r1", 1, 1_000, 20_001, 3_000); // last at 19_000
        sweeper.ticks(19_500, 28_500, 500);
        assertThat(sweeper.timedOut()).isEmpty();

        sweeper.ticks(29_000, 60_000, 500);
        List<RunTimedOut> fired = sweeper.timedOut();
        assertThat(fired).singleElement().satisfies(t -> {
            assertThat(t.runId()).isEqualTo("r1");
            assertThat(t.reason()).isEqualTo(Reason.HEARTBEAT_TIMEOUT);
            assertThat(t.dueAt()).isEqualTo(Instant.ofEpochMilli(29_000));
            assertThat(t.lastHeartbeatAt()).isEqualTo(Instant.ofEpochMilli(19_000));
            assertThat(t.agentAlive()).isFalse();
        });
    }

    @Test
    void heartbeatsWrittenThroughAtHalfATimeoutNeverTimeOutAHealthyRunAfterARestartAndADeadOneStillGoes() {
        sweeper.created("r1", 1, 0, T10);
        sweeper.heartbeats("r1", 1, 1_000, 10_001, 3_000); // written at 1 s and 7 s; 4 s and 10 s only in memory
        assertThat(sweeper.registry.get("vigil.sweeper.heartbeats.kept").counter().count()).isEqualTo(2.0);

        // Restored from the stores: the beat at 10 s is lost; the stored one is 7 s. The next beat is
        // due 6 s after it, within the 10 s timeout (written through at a whole timeout it would be 12 s).
        SweeperHarness restarted = sweeper.restarted();
        try {
            restarted.heartbeats("r1", 1, 13_000, 40_001, 3_000); // last at 40 s
            restarted.ticks(40_500, 49_500, 500);
            assertThat(restarted.timedOut()).isEmpty();

            restarted.ticks(50_000, 60_000, 500);
            assertThat(restarted.timedOut()).singleElement().satisfies(t ->
                    assertThat(t.dueAt()).isEqualTo(Instant.ofEpochMilli(50_000)));
        } finally {
            restarted.close();
        }
    }

    @Test
    void wallClockAloneFiresNothingButTheBrokerClockFiresEvenWithNoHeartbeatsAtAll() {
        sweeper.created("r1", 1, 0, T10);
        sweeper.heartbeat("r1", 1, 1_000);
        // Every worker is dead and nothing arrives: wall-clock time passes, stream time does not.
        sweeper.driver.advanceWallClockTime(Duration.ofHours(1));
        assertThat(sweeper.timedOut()).as("a stalled sweeper must not guess").isEmpty();

        // The ticker keeps the broker clock flowing through the input: now it fires.
        sweeper.ticks(1_500, 12_000, 500);
        assertThat(sweeper.timedOut()).extracting(RunTimedOut::reason).containsExactly(Reason.HEARTBEAT_TIMEOUT);
    }

    @Test
    void aBacklogOfHealthyHeartbeatsProcessedLateProducesNoTimeout() {
        // A restarted or lagging sweeper reads 10 minutes of backlog at once, long after it was written:
        // the heartbeats sit between the ticks in the topic, and gaps are measured between append times.
        sweeper.created("healthy", 1, 0, T10);
        sweeper.created("dies", 1, 0, T10);
        sweeper.driver.advanceWallClockTime(Duration.ofMinutes(30));
        for (long at = 500; at <= 600_000; at += 500) {
            if (at % 3_000 == 0) {
                sweeper.heartbeat("healthy", 1, at);
                if (at <= 120_000) {
                    sweeper.heartbeat("dies", 1, at);
                }
            }
            sweeper.tick(at);
        }
        assertThat(sweeper.timedOut()).singleElement().satisfies(t -> {
            assertThat(t.runId()).isEqualTo("dies");
            assertThat(t.dueAt()).isEqualTo(Instant.ofEpochMilli(130_000));
        });
    }

    @Test
    void aRunCreatedButNeverStartedTimesOutOnItsStartTimeout() {
        sweeper.created("r1", 1, 1_000, T10);
        sweeper.ticks(1_000, 30_500, 500);
        assertThat(sweeper.timedOut()).isEmpty();
        sweeper.ticks(31_000, 40_000, 500);
        assertThat(sweeper.timedOut()).singleElement().satisfies(t -> {
            assertThat(t.reason()).isEqualTo(Reason.START_TIMEOUT);
            assertThat(t.dueAt()).isEqualTo(Instant.ofEpochMilli(31_000));
            assertThat(t.lastHeartbeatAt()).isNull();
        });
    }

    @Test
    void theFirstHeartbeatStartsTheRunAndIsReportedOnce() {
        sweeper.created("r1", 1, 0, T10);
        sweeper.heartbeats("r1", 1, 2_000, 40_000, 3_000);
        sweeper.ticks(40_000, 45_000, 500);
        assertThat(sweeper.activity()).filteredOn(FirstHeartbeatReceived.class::isInstance).singleElement()
                .satisfies(a -> assertThat(((FirstHeartbeatReceived) a).heartbeatAt()).isEqualTo(Instant.ofEpochMilli(2_000)));
        assertThat(sweeper.timedOut()).as("started runs are not held to the start timeout").isEmpty();
    }

    @Test
    void heartbeatsThatOvertakeRunCreatedStillStartTheRun() {
        // The worker starts before run-service's outbox has published the run.
        sweeper.heartbeat("r1", 1, 1_000);
        sweeper.heartbeat("r1", 1, 4_000);
        sweeper.created("r1", 1, 5_000, T10);
        assertThat(sweeper.activity()).filteredOn(FirstHeartbeatReceived.class::isInstance).hasSize(1);
        sweeper.heartbeats("r1", 1, 7_000, 40_000, 3_000);
        sweeper.ticks(40_000, 60_000, 500);
        assertThat(sweeper.timedOut()).singleElement().satisfies(t -> {
            assertThat(t.reason()).isEqualTo(Reason.HEARTBEAT_TIMEOUT);
            assertThat(t.dueAt()).isEqualTo(Instant.ofEpochMilli(47_000));
        });
    }

    @Test
    void changingProgressIsSummarizedAtMostOncePerProgressInterval() {
        sweeper.created("r1", 1, 0, T10);
        for (int step = 0; step < 40; step++) {
            sweeper.heartbeat("r1", 1, 1_000 + step * 500L, (long) step, "step " + step);
        }
        List<ProgressReported> progress = progress("r1");
        assertThat(progress).hasSize(4); // 20 s of beats, each a change: one summary per 5 s
        assertThat(progress.get(progress.size() - 1).steps()).isEqualTo(30L);
        assertThat(progress.get(progress.size() - 1).message()).isEqualTo("step 30");
    }

    @Test
    void unchangedHeartbeatsAreReportedOnceAndThenOnlyRefreshedOncePerLivenessInterval() {
        assertThat(sweeper.config.livenessInterval()).isEqualTo(Duration.ofSeconds(30));
        sweeper.created("steady", 1, 0, T10);
        sweeper.created("quiet", 1, 0, T10);
        for (long at = 1_000; at <= 61_000; at += 1_000) { // every second for 60 s
            sweeper.heartbeat("steady", 1, at, 7L, "chapter 7");
            sweeper.heartbeat("quiet", 1, at); // no steps, no message
        }
        // The first heartbeat, then one sign of life per 30 s: not one summary per 5 s (13).
        assertThat(progress("steady")).extracting(p -> p.lastHeartbeatAt().toEpochMilli())
                .containsExactly(1_000L, 31_000L, 61_000L);
        assertThat(progress("steady")).allSatisfy(p -> {
            assertThat(p.steps()).isEqualTo(7L);
            assertThat(p.message()).isEqualTo("chapter 7");
        });
        assertThat(progress("steady")).extracting(ProgressReported::heartbeats).containsExactly(1L, 31L, 61L);
        assertThat(progress("quiet")).extracting(p -> p.lastHeartbeatAt().toEpochMilli())
                .containsExactly(1_000L, 31_000L, 61_000L);
        assertThat(sweeper.timedOut()).isEmpty();
    }

    @Test
    void aProgressChangeIsReportedWithinTheProgressInterval() {
        sweeper.created("r1", 1, 0, T10);
        for (long at = 1_000; at <= 12_000; at += 1_000) {
            sweeper.heartbeat("r1", 1, at, 1L, "chapter 1");
        }
        sweeper.heartbeat("r1", 1, 13_000, 2L, "chapter 2");   // 12 s after the last report: at once
        for (long at = 14_000; at <= 20_000; at += 1_000) {
            sweeper.heartbeat("r1", 1, at, 2L, "chapter 2");
        }
        sweeper.heartbeat("r1", 1, 21_000, 2L, "chapter 2b"); // the message alone changes: 8 s later, at once
        assertThat(progress("r1")).extracting(p -> p.lastHeartbeatAt().toEpochMilli(), ProgressReported::steps,
                ProgressReported::message).containsExactly(
                        org.assertj.core.groups.Tuple.tuple(1_000L, 1L, "chapter 1"),
                        org.assertj.core.groups.Tuple.tuple(13_000L, 2L, "chapter 2"),
                        org.assertj.core.groups.Tuple.tuple(21_000L, 2L, "chapter 2b"));
    }

    @Test
    void aProgressChangeInsideTheIntervalIsReportedWithTheFirstHeartbeatAfterItNotLost() {
        sweeper.created("r1", 1, 0, T10);
        sweeper.heartbeat("r1", 1, 1_000, 1L, "chapter 1"); // the first: reported
        sweeper.heartbeat("r1", 1, 2_000, 2L, "chapter 2"); // a change 1 s later: too soon
        sweeper.heartbeat("r1", 1, 4_000, 2L, "chapter 2"); // unchanged since, still too soon
        assertThat(progress("r1")).extracting(ProgressReported::steps).containsExactly(1L);

        sweeper.heartbeat("r1", 1, 6_000, 2L, "chapter 2"); // the interval is over: the change goes out
        for (long at = 8_000; at <= 40_000; at += 2_000) {
            sweeper.heartbeat("r1", 1, at, 2L, "chapter 2");
        }
        assertThat(progress("r1")).extracting(p -> p.lastHeartbeatAt().toEpochMilli(), ProgressReported::steps)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1_000L, 1L),
                        org.assertj.core.groups.Tuple.tuple(6_000L, 2L),
                        org.assertj.core.groups.Tuple.tuple(36_000L, 2L)); // then liveness, 30 s on
    }

    @Test
    void eachAttemptReportsItsFirstHeartbeatEvenWithTheSameProgress() {
        sweeper.created("r1", 1, 0, T10);
        sweeper.heartbeat("r1", 1, 1_000, 5L, "same");
        sweeper.finished("r1", 1, 2_000);
        sweeper.created("r1", 2, 3_000, T10); // retry
        sweeper.heartbeat("r1", 2, 4_000, 5L, "same");
        sweeper.heartbeat("r1", 2, 5_000, 5L, "same");
        assertThat(progress("r1")).extracting(ProgressReported::attempt, p -> p.lastHeartbeatAt().toEpochMilli())
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, 1_000L),
                        org.assertj.core.groups.Tuple.tuple(2, 4_000L));
    }

    @Test
    void aStopThatTimesOutWhileTheWorkerLivesSaysSoAndFiresOncePerStopRequest() {
        sweeper.created("r1", 1, 0, T10);
        sweeper.heartbeat("r1", 1, 1_000);
        sweeper.stopRequested("r1", 1, 1, 2_000);
        sweeper.heartbeats("r1", 1, 4_000, 50_000, 3_000); // the worker ignores the stop but lives
        sweeper.ticks(4_000, 50_000, 500);
        assertThat(sweeper.timedOut()).singleElement().satisfies(t -> {
            assertThat(t.reason()).isEqualTo(Reason.STOP_TIMEOUT);
            assertThat(t.dueAt()).isEqualTo(Instant.ofEpochMilli(22_000));
            assertThat(t.agentAlive()).isTrue();
            assertThat(t.stopAttempt()).isEqualTo(1);
        });

        sweeper.stopRequested("r1", 1, 2, 50_000); // run-service re-sends the stop
        sweeper.ticks(50_500, 60_000, 500);        // ... and then the worker dies too (last beat 49_000)
        sweeper.ticks(60_500, 80_000, 500);
        assertThat(sweeper.timedOut()).extracting(RunTimedOut::reason)
                .containsExactly(Reason.STOP_TIMEOUT, Reason.HEARTBEAT_TIMEOUT);
        assertThat(sweeper.timedOut().get(1).dueAt()).isEqualTo(Instant.ofEpochMilli(59_000));
    }

    @Test
    void aStopOfARunWhoseWorkerIsGoneForcesWithAgentNotAlive() {
        sweeper.created("r1", 1, 0, timeouts(60_000, 30_000, 5_000, 3_600_000));
        sweeper.heartbeat("r1", 1, 1_000);
        sweeper.stopRequested("r1", 1, 1, 2_000);
        sweeper.ticks(2_000, 8_000, 500);
        assertThat(sweeper.timedOut()).singleElement().satisfies(t -> {
            assertThat(t.reason()).isEqualTo(Reason.STOP_TIMEOUT);
            assertThat(t.agentAlive()).as("last beat 6 s ago is within the 60 s heartbeat timeout").isTrue();
        });
    }

    @Test
    void aRunThatKeepsHeartbeatingPastItsMaxDurationIsTimedOutAsDeadlineExceeded() {
        sweeper.created("r1", 1, 0, timeouts(10_000, 30_000, 20_000, 60_000));
        sweeper.heartbeats("r1", 1, 1_000, 90_000, 3_000);
        sweeper.ticks(1_000, 90_000, 500);
        assertThat(sweeper.timedOut()).singleElement().satisfies(t -> {
            assertThat(t.reason()).isEqualTo(Reason.DEADLINE_EXCEEDED);
            assertThat(t.dueAt()).isEqualTo(Instant.ofEpochMilli(60_000));
        });
    }

    @Test
    void eachRunIsHeldToItsOwnTimeouts() {
        sweeper.created("fast", 1, 0, timeouts(2_000, 30_000, 20_000, 3_600_000));
        sweeper.created("slow", 1, 0, timeouts(60_000, 30_000, 20_000, 3_600_000));
        sweeper.heartbeat("fast", 1, 1_000);
        sweeper.heartbeat("slow", 1, 1_000);
        sweeper.ticks(1_000, 30_000, 500);
        assertThat(sweeper.timedOut()).extracting(RunTimedOut::runId).containsExactly("fast");
        sweeper.ticks(30_500, 70_000, 500);
        assertThat(sweeper.timedOut()).extracting(RunTimedOut::runId, t -> t.dueAt().toEpochMilli())
                .containsExactly(org.assertj.core.groups.Tuple.tuple("fast", 3_000L),
                        org.assertj.core.groups.Tuple.tuple("slow", 61_000L));
    }

    @Test
    void aFinishedRunIsDisarmedAndItsLateHeartbeatsChangeNothing() {
        sweeper.created("r1", 1, 0, T10);
        sweeper.heartbeat("r1", 1, 1_000);
        sweeper.finished("r1", 1, 2_000);
        sweeper.heartbeat("r1", 1, 3_000); // a zombie's late beat
        sweeper.ticks(3_000, 120_000, 500);
        assertThat(sweeper.timedOut()).isEmpty();
        assertThat(sweeper.metrics.ignoredCount("after_end")).isEqualTo(1);
        assertThat(sweeper.activity()).filteredOn(FirstHeartbeatReceived.class::isInstance).hasSize(1);
    }

    @Test
    void aTimedOutRunIsNotRevivedByAZombieHeartbeat() {
        sweeper.created("r1", 1, 0, T10);
        sweeper.heartbeat("r1", 1, 1_000);
        sweeper.ticks(1_000, 12_000, 500);
        assertThat(sweeper.timedOut()).hasSize(1);
        sweeper.heartbeats("r1", 1, 12_000, 20_000, 1_000); // the "dead" worker was only partitioned away
        sweeper.ticks(20_000, 120_000, 500);
        assertThat(sweeper.timedOut()).as("fires once per attempt").hasSize(1);
        assertThat(sweeper.activity()).filteredOn(FirstHeartbeatReceived.class::isInstance).hasSize(1);
        assertThat(sweeper.metrics.ignoredCount("after_end")).isEqualTo(8);
    }

    @Test
    void olderAttemptsAreFencedOff() {
        sweeper.created("r1", 1, 0, T10);
        sweeper.heartbeat("r1", 1, 1_000);
        sweeper.finished("r1", 1, 2_000);
        sweeper.created("r1", 2, 3_000, T10); // retry
        sweeper.heartbeats("r1", 1, 4_000, 60_000, 2_000); // attempt 1's zombie keeps beating
        sweeper.created("r1", 1, 5_000, T10); // and a stale create is replayed
        sweeper.finished("r1", 1, 6_000);     // and a stale finish
        sweeper.ticks(6_000, 60_000, 500);
        assertThat(sweeper.timedOut()).singleElement().satisfies(t -> {
            assertThat(t.attempt()).isEqualTo(2);
            assertThat(t.reason()).as("attempt 2 never started").isEqualTo(Reason.START_TIMEOUT);
            assertThat(t.dueAt()).isEqualTo(Instant.ofEpochMilli(33_000));
        });
        assertThat(sweeper.metrics.ignoredCount("stale_attempt")).isEqualTo(28 + 2);
    }

    @Test
    void anAgentSilentForItsGraceLosesEveryLiveRunOnceAndNoOthers() {
        Duration grace = Duration.ofSeconds(5);
        sweeper.agentHeartbeat("agent-a", 0, grace);
        sweeper.agentHeartbeat("agent-b", 0, grace);
        RunTimeouts longHeartbeat = timeouts(600_000, 600_000, 600_000, 3_600_000);
        sweeper.created("a1", 1, 100, longHeartbeat, "agent-a");
        sweeper.created("a2", 1, 100, longHeartbeat, "agent-a");
        sweeper.created("a3", 1, 100, longHeartbeat, "agent-a");
        sweeper.created("b1", 1, 100, longHeartbeat, "agent-b");
        sweeper.finished("a3", 1, 1_000);
        for (long at = 1_000; at <= 30_000; at += 1_000) {
            if (at <= 3_000) {
                sweeper.agentHeartbeat("agent-a", at, grace);
            }
            sweeper.agentHeartbeat("agent-b", at, grace);
            sweeper.tick(at);
        }
        assertThat(sweeper.timedOut()).extracting(RunTimedOut::runId).containsExactlyInAnyOrder("a1", "a2");
        assertThat(sweeper.timedOut()).allSatisfy(t -> {
            assertThat(t.reason()).isEqualTo(Reason.AGENT_LOST);
            assertThat(t.agentId()).isEqualTo("agent-a");
            assertThat(t.agentAlive()).isFalse();
            assertThat(t.dueAt()).isEqualTo(Instant.ofEpochMilli(8_000));
        });
    }

    @Test
    void silenceDuringABrokerBlackoutIsNotHeldAgainstRuns() {
        sweeper.created("r1", 1, 0, T10);
        sweeper.heartbeat("r1", 1, 1_000);
        sweeper.ticks(1_000, 5_000, 500);
        // The broker is down from 5 s to 65 s: nothing is appended, not even ticks.
        sweeper.blackout(65_000);
        sweeper.tick(65_000);
        sweeper.ticks(65_500, 66_000, 500);
        sweeper.heartbeat("r1", 1, 66_200); // the worker's first beat after the outage
        sweeper.ticks(66_500, 70_000, 500);
        assertThat(sweeper.timedOut()).as("60 s of blackout are not a missed heartbeat").isEmpty();

        sweeper.ticks(70_500, 80_000, 500);
        assertThat(sweeper.timedOut()).singleElement()
                .satisfies(t -> assertThat(t.dueAt()).isEqualTo(Instant.ofEpochMilli(76_200)));
    }

    @Test
    void aRunThatDiedBeforeABlackoutIsStillDetectedAfterIt() {
        sweeper.created("r1", 1, 0, T10);
        sweeper.heartbeat("r1", 1, 1_000);
        sweeper.ticks(1_000, 5_000, 500);
        sweeper.blackout(65_000);
        sweeper.ticks(65_000, 80_000, 500);
        // 4 s of silence before the blackout + 6 s after it make the 10 s timeout.
        assertThat(sweeper.timedOut()).singleElement()
                .satisfies(t -> assertThat(t.dueAt()).isEqualTo(Instant.ofEpochMilli(71_000)));
    }

    @Test
    void garbageOnEveryInputGoesToTheDeadLetterTopicAndProcessingGoesOn() {
        byte[] garbage = {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef};
        sweeper.rawHeartbeat("r1".getBytes(StandardCharsets.UTF_8), garbage, 100);
        sweeper.rawRunEvent("r1".getBytes(StandardCharsets.UTF_8), "{\"type\":\"RunCreated\",\"version\":2}".getBytes(), 200);
        sweeper.rawAgentHeartbeat("a".getBytes(StandardCharsets.UTF_8), "[]".getBytes(), 300);
        sweeper.rawHeartbeat(null, EventJson.write(Heartbeat.of("r9", 1, null, 0, null, null)), 400);

        List<TestRecord<byte[], byte[]>> dead = sweeper.deadLetters();
        assertThat(dead).hasSize(4);
        assertThat(dead.get(0).value()).isEqualTo(garbage);
        assertThat(reason(dead.get(0))).startsWith("not valid JSON");
        assertThat(reason(dead.get(1))).contains("unsupported version 2 of RunCreated").doesNotContain("Exception");
        assertThat(reason(dead.get(2))).contains("expected a JSON object");
        assertThat(reason(dead.get(3))).contains("record key 'null' does not match");
        assertThat(header(dead.get(0), VigilHeaders.DLQ_SOURCE_TOPIC)).isEqualTo("vigil.heartbeats");
        assertThat(sweeper.metrics.deadLetterCount()).isEqualTo(4);

        sweeper.created("r1", 1, 1_000, T10);
        sweeper.ticks(1_000, 32_000, 500);
        assertThat(sweeper.timedOut()).extracting(RunTimedOut::reason).containsExactly(Reason.START_TIMEOUT);
    }

    @Test
    void eachRunHasAtMostOneDeadlineEntryAndHeartbeatsDoNotTouchTheQueue() {
        for (int i = 0; i < 200; i++) {
            sweeper.created("r" + i, 1, 0, T10);
        }
        KeyValueStore<?, ?> deadlines = sweeper.driver.getKeyValueStore(RunSweeper.DEADLINES);
        assertThat(deadlines.approximateNumEntries()).isEqualTo(200);
        for (long at = 1_000; at < 60_000; at += 3_000) {
            for (int i = 0; i < 200; i++) {
                sweeper.heartbeat("r" + i, 1, at);
            }
            sweeper.tick(at);
        }
        assertThat(deadlines.approximateNumEntries()).isEqualTo(200);
        assertThat(sweeper.timedOut()).isEmpty();
        assertThat(sweeper.driver.getKeyValueStore(RunSweeper.RUNS).approximateNumEntries()).isEqualTo(200);
    }

    private List<ProgressReported> progress(String runId) {
        return sweeper.activity().stream().filter(ProgressReported.class::isInstance).map(ProgressReported.class::cast)
                .filter(p -> p.runId().equals(runId)).toList();
    }

    private static String reason(TestRecord<byte[], byte[]> record) {
        return header(record, VigilHeaders.DLQ_REASON);
    }

    private static String header(TestRecord<byte[], byte[]> record, String key) {
        return new String(record.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
    }
}
