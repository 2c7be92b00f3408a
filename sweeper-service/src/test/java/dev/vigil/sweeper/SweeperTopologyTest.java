package dev.vigil.sweeper;

import static dev.vigil.sweeper.SweeperHarness.timeouts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.vigil.contracts.VigilHeaders;
import dev.vigil.contracts.event.FirstHeartbeatReceived;
import dev.vigil.contracts.event.Heartbeat;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunDeadlineApproaching;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.event.RunTimeouts;
import dev.vigil.contracts.event.StallAction;
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

/**
 * Every detection rule, on the production topology, with explicit broker timestamps, the input
 * delivered in the order piped; {@link InterleavedSweeperTopologyTest} runs them all again with the
 * partitions reordered. One class, so that the interleaved run inherits every rule: splitting it would
 * let a new rule escape the reordering.
 */
class SweeperTopologyTest {

    private static final RunTimeouts T10 = timeouts(10_000, 30_000, 20_000, 3_600_000);
    /** T10 with a 30 s progress timeout that fails the run, or flags it. */
    private static final RunTimeouts P30_FAIL = progress(StallAction.FAIL);
    private static final RunTimeouts P30_FLAG = progress(StallAction.FLAG);

    private static RunTimeouts progress(StallAction onStall) {
        return new RunTimeouts(T10.heartbeat(), T10.start(), T10.stop(), T10.maxDuration(), Duration.ofSeconds(30), onStall);
    }

    /** Beats of {@code runId} every 3 s from {@code from} to before {@code to}, with {@code steps(at)} as progress. */
    private void beats(String runId, int attempt, long from, long to, java.util.function.LongUnaryOperator steps) {
        for (long at = from; at < to; at += 3_000) {
            long step = steps.applyAsLong(at);
            sweeper.heartbeat(runId, attempt, at, step, "chapter " + step);
        }
    }

    protected final SweeperHarness sweeper = harness();

    protected SweeperHarness harness() {
        return new SweeperHarness();
    }

    /**
     * Whether records reach the task in the order piped. Which records a sweeper ignores depends on the
     * order it reads its partitions in; which timeouts fire, and when, does not.
     */
    private boolean inOrder() {
        return sweeper.seed() == null;
    }

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
        if (inOrder()) {
            assertThat(sweeper.counter("vigil.sweeper.heartbeats.kept")).isEqualTo(2.0);
        }

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
        if (inOrder()) { // else the finish may be read before any beat
            assertThat(sweeper.activity()).filteredOn(FirstHeartbeatReceived.class::isInstance).hasSize(1);
            assertThat(sweeper.metrics().ignoredCount("after_end")).isEqualTo(1);
        }
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
        assertThat(sweeper.metrics().ignoredCount("after_end")).isEqualTo(8);
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
        if (inOrder()) {
            assertThat(sweeper.metrics().ignoredCount("stale_attempt")).isEqualTo(28 + 2);
        }
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
    void aRunThatHeartbeatsWithUnchangedProgressStallsOnceExactlyAtItsProgressTimeout() {
        sweeper.created("r1", 1, 0, P30_FAIL);
        sweeper.created("bare", 1, 0, P30_FAIL);
        sweeper.created("unwatched", 1, 0, T10);
        for (long at = 1_000; at < 69_000; at += 3_000) {
            long step = Math.min(at / 3_000, 2); // changes until 7 s, then stays at 2
            sweeper.heartbeat("r1", 1, at, step, "chapter " + step);
            sweeper.heartbeat("unwatched", 1, at, 2L, "chapter 2");
            sweeper.heartbeat("bare", 1, at + 1_000); // beats without progress: none ever made
        }
        sweeper.ticks(69_000, 69_000, 500);
        assertThat(sweeper.timedOut()).extracting(RunTimedOut::runId, RunTimedOut::reason, t -> t.dueAt().toEpochMilli())
                .containsExactlyInAnyOrder(tuple("r1", Reason.PROGRESS_STALLED, 37_000L),
                        tuple("bare", Reason.PROGRESS_STALLED, 32_000L));
        assertThat(sweeper.timedOut("r1")).singleElement().satisfies(t -> {
            assertThat(t.progressChangedAt()).isEqualTo(Instant.ofEpochMilli(7_000));
            assertThat(t.agentAlive()).as("it was heartbeating").isTrue();
            assertThat(t.attempt()).isEqualTo(1);
        });
    }

    @Test
    void aLiveRunIsWarnedOnceAtItsWarnAtShareOfItsMaxDurationAndStillTimesOutAtItsDeadline() {
        RunTimeouts warned = new RunTimeouts(T10.heartbeat(), T10.start(), T10.stop(), Duration.ofSeconds(100), null,
                null, 0.8);
        sweeper.created("r1", 1, 0, warned);
        sweeper.created("unwarned", 1, 0, new RunTimeouts(T10.heartbeat(), T10.start(), T10.stop(), Duration.ofSeconds(100)));
        sweeper.created("done", 1, 0, warned);
        sweeper.created("stopping", 1, 0, warned);
        // Never beats: warned while pending like any live run (its start timeout is longer than its max duration).
        sweeper.created("pending", 1, 500, new RunTimeouts(T10.heartbeat(), Duration.ofMinutes(5), T10.stop(),
                Duration.ofSeconds(100), null, null, 0.8));
        for (long at = 1_000; at < 130_000; at += 3_000) {
            if (at == 79_000) {
                sweeper.ticks(79_000, 79_500, 500);
                assertThat(warnings()).as("nothing before 80 s").isEmpty();
            }
            sweeper.heartbeat("r1", 1, at);
            sweeper.heartbeat("unwarned", 1, at);
            sweeper.heartbeat("stopping", 1, at);
            if (at < 70_000) {
                sweeper.heartbeat("done", 1, at);
            } else if (at == 70_000) {
                sweeper.finished("done", 1, at);
            }
            if (at == 61_000) {
                sweeper.stopRequested("stopping", 1, 1, at);
            }
        }
        sweeper.ticks(130_000, 131_000, 500);
        assertThat(warnings()).extracting(RunDeadlineApproaching::runId, w -> w.dueAt().toEpochMilli(),
                w -> w.deadlineAt().toEpochMilli(), RunDeadlineApproaching::attempt)
                .containsExactlyInAnyOrder(tuple("r1", 80_000L, 100_000L, 1), tuple("pending", 80_500L, 100_500L, 1));
        assertThat(sweeper.timedOut("r1")).singleElement().satisfies(t -> {
            assertThat(t.reason()).isEqualTo(Reason.DEADLINE_EXCEEDED);
            assertThat(t.dueAt()).isEqualTo(Instant.ofEpochMilli(100_000));
        });
        assertThat(sweeper.timedOut("unwarned")).extracting(RunTimedOut::reason).containsExactly(Reason.DEADLINE_EXCEEDED);
    }

    @Test
    void aRetriedRunIsWarnedForItsNewAttemptFromItsOwnStartAndARestartDoesNotWarnTwice() {
        RunTimeouts warned = new RunTimeouts(T10.heartbeat(), T10.start(), T10.stop(), Duration.ofSeconds(100), null,
                null, 0.5);
        sweeper.created("r1", 1, 0, warned);
        sweeper.heartbeats("r1", 1, 1_000, 20_000, 3_000);
        sweeper.ticks(19_500, 30_000, 500); // heartbeat timeout at 28 s
        sweeper.created("r1", 2, 40_000, warned);
        sweeper.heartbeats("r1", 2, 41_000, 95_000, 3_000);
        sweeper.ticks(95_000, 95_000, 500);
        assertThat(warnings()).extracting(RunDeadlineApproaching::attempt, w -> w.dueAt().toEpochMilli())
                .as("attempt 1 died before its warning; attempt 2's is due 50 s after its own creation")
                .containsExactly(tuple(2, 90_000L));

        SweeperHarness restarted = sweeper.restarted();
        try {
            restarted.heartbeats("r1", 2, 95_000, 130_000, 3_000);
            restarted.ticks(130_000, 130_000, 500);
            assertThat(restarted.activity()).filteredOn(RunDeadlineApproaching.class::isInstance).isEmpty();
        } finally {
            restarted.close();
        }
    }

    @Test
    void aRunFoundPastItsDeadlineAfterAnOutageIsTimedOutAndNotWarnedFirst() {
        sweeper.created("r1", 1, 0, new RunTimeouts(T10.heartbeat(), Duration.ofMinutes(5), T10.stop(),
                Duration.ofSeconds(100), null, null, 0.5));
        sweeper.blackout(150_000); // nothing appended anywhere from 0 to 150 s: warning and deadline both pass
        sweeper.ticks(150_000, 151_000, 500);
        assertThat(sweeper.timedOut()).extracting(RunTimedOut::reason).containsExactly(Reason.DEADLINE_EXCEEDED);
        assertThat(warnings()).isEmpty();
    }

    private List<RunDeadlineApproaching> warnings() {
        return sweeper.activity().stream().filter(RunDeadlineApproaching.class::isInstance)
                .map(RunDeadlineApproaching.class::cast).toList();
    }

    @Test
    void aRunWhoseProgressKeepsChangingIsNeverStalled() {
        sweeper.created("r1", 1, 0, P30_FAIL);
        beats("r1", 1, 1_000, 200_000, at -> at / 25_000); // a new step every 25 s: always inside 30 s
        sweeper.ticks(200_000, 200_000, 500);
        assertThat(sweeper.timedOut()).isEmpty();
    }

    @Test
    void aStallAfterARetryBelongsToTheNewAttemptAndTheZombiesProgressCountsForNothing() {
        sweeper.created("r1", 1, 0, P30_FAIL);
        beats("r1", 1, 1_000, 20_000, at -> 1);
        sweeper.created("r1", 2, 20_000, P30_FAIL);
        for (long at = 22_000; at < 80_000; at += 3_000) {
            sweeper.heartbeat("r1", 2, at, 5L, "chapter 5"); // the retry is stuck at chapter 5
            sweeper.heartbeat("r1", 1, at + 1_000, at, "zombie " + at); // the old attempt's worker "progresses"
        }
        sweeper.ticks(80_000, 80_000, 500);
        assertThat(sweeper.timedOut()).singleElement().satisfies(t -> {
            assertThat(t.attempt()).isEqualTo(2);
            assertThat(t.reason()).isEqualTo(Reason.PROGRESS_STALLED);
            assertThat(t.dueAt()).isEqualTo(Instant.ofEpochMilli(52_000));
        });
    }

    @Test
    void noStallFiresWhileTheHeartbeatPartitionLagsAndTheRealOneFiresOnceItsDataIsIn() {
        sweeper.created("r1", 1, 0, P30_FAIL);
        sweeper.hold(SweeperHarness.TOPICS.heartbeats().name());
        beats("r1", 1, 1_000, 60_000, at -> at / 10_000); // progressing, but not read yet
        beats("r1", 1, 60_000, 120_000, at -> 99);
        sweeper.ticks(120_000, 120_000, 500);
        assertThat(sweeper.timedOut()).as("the other partitions' clocks ran ahead; progress was in the held one")
                .isEmpty();

        sweeper.release(SweeperHarness.TOPICS.heartbeats().name());
        sweeper.ticks(120_500, 121_000, 500);
        assertThat(sweeper.timedOut()).singleElement().satisfies(t -> {
            assertThat(t.reason()).isEqualTo(Reason.PROGRESS_STALLED);
            assertThat(t.dueAt()).isEqualTo(Instant.ofEpochMilli(90_000)); // changed to 99 at 60 s
        });
    }

    @Test
    void aFlaggedStallFiresOnceAndLeavesTheRunLiveWithItsOtherTimeoutsArmed() {
        sweeper.created("r1", 1, 0, P30_FLAG);
        beats("r1", 1, 1_000, 52_000, at -> 3); // stuck at 3 from 1 s, then the worker dies after 49 s
        sweeper.ticks(52_000, 80_000, 500);
        assertThat(sweeper.timedOut()).extracting(RunTimedOut::reason, t -> t.dueAt().toEpochMilli())
                .containsExactly(tuple(Reason.PROGRESS_STALLED, 31_000L), tuple(Reason.HEARTBEAT_TIMEOUT, 59_000L));
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

        // Sorted by source topic, then as piped: the order across topics is the consumer's.
        List<TestRecord<byte[], byte[]>> dead = sweeper.deadLetters().stream()
                .sorted(java.util.Comparator.comparing(r -> header(r, VigilHeaders.DLQ_SOURCE_TOPIC))).toList();
        assertThat(dead).extracting(r -> header(r, VigilHeaders.DLQ_SOURCE_TOPIC))
                .containsExactly("vigil.agent-heartbeats", "vigil.heartbeats", "vigil.heartbeats", "vigil.run-events");
        assertThat(reason(dead.get(0))).contains("expected a JSON object");
        assertThat(dead.get(1).value()).isEqualTo(garbage);
        assertThat(reason(dead.get(1))).startsWith("not valid JSON");
        assertThat(reason(dead.get(2))).contains("record key 'null' does not match");
        assertThat(reason(dead.get(3))).contains("unsupported version 2 of RunCreated").doesNotContain("Exception");
        assertThat(sweeper.metrics().deadLetterCount()).isEqualTo(4);

        sweeper.created("r1", 1, 1_000, T10);
        sweeper.ticks(1_000, 32_000, 500);
        assertThat(sweeper.timedOut()).extracting(RunTimedOut::reason).containsExactly(Reason.START_TIMEOUT);
    }

    @Test
    void eachRunHasAtMostOneDeadlineEntryAndHeartbeatsDoNotTouchTheQueue() {
        for (int i = 0; i < 200; i++) {
            sweeper.created("r" + i, 1, 0, T10);
        }
        KeyValueStore<?, ?> deadlines = sweeper.store(RunSweeper.DEADLINES);
        assertThat(deadlines.approximateNumEntries()).isEqualTo(200);
        for (long at = 1_000; at < 60_000; at += 3_000) {
            for (int i = 0; i < 200; i++) {
                sweeper.heartbeat("r" + i, 1, at);
            }
            sweeper.tick(at);
        }
        assertThat(sweeper.store(RunSweeper.DEADLINES).approximateNumEntries()).isEqualTo(200);
        assertThat(sweeper.timedOut()).isEmpty();
        assertThat(sweeper.store(RunSweeper.RUNS).approximateNumEntries()).isEqualTo(200);
    }

    @Test
    void anUnreadableStoredStateIsDroppedOnceAndTheSweepAndItsTaskGoOn() {
        sweeper.created("broken", 1, 0, T10);
        sweeper.created("healthy-neighbour", 1, 0, T10);
        sweeper.heartbeat("broken", 1, 1_000);
        sweeper.heartbeat("healthy-neighbour", 1, 1_000);
        sweeper.store(RunSweeper.RUNS).put("broken", new byte[] {1, 2, (byte) 0xff}); // a bug, a bad restore
        sweeper.heartbeat("broken", 1, 2_000);
        sweeper.ticks(2_000, 20_000, 500);
        assertThat(sweeper.timedOut()).extracting(RunTimedOut::runId).containsExactly("healthy-neighbour");
        assertThat(sweeper.counter("vigil.sweeper.states.dropped")).isEqualTo(1.0);
        sweeper.created("broken", 2, 20_000, T10); // a retry is tracked again
        sweeper.ticks(20_500, 60_000, 500);
        assertThat(sweeper.timedOut()).extracting(RunTimedOut::runId, RunTimedOut::attempt).contains(
                org.assertj.core.groups.Tuple.tuple("broken", 2));
    }

    private static String reason(TestRecord<byte[], byte[]> record) {
        return header(record, VigilHeaders.DLQ_REASON);
    }

    private static String header(TestRecord<byte[], byte[]> record, String key) {
        return new String(record.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
    }
}
