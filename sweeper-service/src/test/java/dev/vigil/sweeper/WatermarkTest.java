package dev.vigil.sweeper;

import static dev.vigil.sweeper.SweeperHarness.TOPICS;
import static dev.vigil.sweeper.SweeperHarness.timeouts;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.contracts.event.FirstHeartbeatReceived;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.event.RunTimeouts;
import dev.vigil.sweeper.run.RunSweeper;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The sweep's "now" is the minimum over the task's clock partitions of what was processed on each:
 * records that a consumer delivers late on one partition are never overtaken by ticks on another.
 */
class WatermarkTest {

    /** The benchmark's runs: a beat every 666 ms, a 2 s heartbeat timeout. */
    private static final RunTimeouts T2 = timeouts(2_000, 30_000, 20_000, 3_600_000);
    private static final String HEARTBEATS = TOPICS.heartbeats().name();
    private static final String RUN_EVENTS = TOPICS.runEvents().name();
    private static final String AGENT_HEARTBEATS = TOPICS.agentHeartbeats().name();

    private SweeperHarness sweeper = new SweeperHarness();

    @AfterEach
    void close() {
        sweeper.close();
    }

    @Test
    void aTickReadOnRunEventsNeverMovesNowPastAHeartbeatStillWaitingOnHeartbeats() {
        sweeper.created("r1", 1, 0, T2);
        sweeper.heartbeat("r1", 1, 1_000);
        // The consumer hands over run-events-N up to 3 s before the beat appended at 1.6 s on heartbeats-N.
        sweeper.tick(RUN_EVENTS, 3_000);
        sweeper.tick(RUN_EVENTS, 3_500);
        sweeper.heartbeat("r1", 1, 1_600);
        sweeper.heartbeats("r1", 1, 2_266, 6_000, 666);
        assertThat(sweeper.timedOut()).as("the run beat every 666 ms").isEmpty();
    }

    @Test
    void aLaggingHeartbeatsPartitionHoldsDetectionBackAndTheRealTimeoutStillFiresOnceItIsIn() {
        sweeper.created("live", 1, 0, T2);
        sweeper.created("dies", 1, 0, T2);
        sweeper.heartbeat("live", 1, 500);
        sweeper.heartbeat("dies", 1, 500);
        sweeper.hold(HEARTBEATS); // heartbeats-N lags: 20 s of beats and ticks wait in the topic
        for (long at = 1_000; at <= 20_000; at += 666) {
            sweeper.heartbeat("live", 1, at);
            if (at < 2_500) {
                sweeper.heartbeat("dies", 1, at); // last beat at 2_332
            }
        }
        sweeper.ticks(20_000, 21_000, 50);
        assertThat(sweeper.timedOut()).as("run-events ran 20 s ahead, but nothing is known of the beats").isEmpty();

        sweeper.release(HEARTBEATS);
        assertThat(sweeper.timedOut()).singleElement().satisfies(t -> {
            assertThat(t.runId()).isEqualTo("dies");
            assertThat(t.dueAt()).isEqualTo(Instant.ofEpochMilli(4_332));
        });
    }

    @Test
    void aPartitionThatDeliveredNothingSinceTheTaskStartedHoldsTheWatermark() {
        sweeper.hold(HEARTBEATS);
        sweeper.created("r1", 1, 0, T2);
        sweeper.heartbeat("r1", 1, 1_000);
        sweeper.ticks(1_000, 40_000, 50); // run-events alone reaches 40 s: past the 30 s start timeout
        assertThat(sweeper.timedOut()).isEmpty();
        sweeper.release(HEARTBEATS);
        assertThat(sweeper.timedOut()).singleElement().satisfies(t -> {
            assertThat(t.reason()).isEqualTo(Reason.HEARTBEAT_TIMEOUT);
            assertThat(t.dueAt()).isEqualTo(Instant.ofEpochMilli(3_000));
        });
    }

    @Test
    void aLinkReadAheadOfTheAgentsHeartbeatsNeverLosesALiveAgent() {
        Duration grace = Duration.ofSeconds(2);
        sweeper.agentHeartbeat("agent-a", 0, grace);
        sweeper.hold(AGENT_HEARTBEATS); // agent-heartbeats-N lags; the agent beats every 500 ms
        for (long at = 500; at <= 10_000; at += 500) {
            sweeper.agentHeartbeat("agent-a", at, grace);
        }
        // A run created for the agent at 9 s: its link reaches the agent task first, stamped 9 s.
        sweeper.created("r1", 1, 9_000, timeouts(600_000, 600_000, 600_000, 3_600_000), "agent-a");
        sweeper.tick(RUN_EVENTS, 9_500);
        assertThat(sweeper.timedOut()).as("the link is data, not the agent task's clock").isEmpty();

        sweeper.release(AGENT_HEARTBEATS);
        sweeper.ticks(10_000, 11_000, 500);
        assertThat(sweeper.timedOut()).isEmpty();
        sweeper.ticks(11_500, 13_000, 500);
        assertThat(sweeper.timedOut()).singleElement().satisfies(t -> {
            assertThat(t.reason()).isEqualTo(Reason.AGENT_LOST);
            assertThat(t.runId()).isEqualTo("r1");
            assertThat(t.dueAt()).isEqualTo(Instant.ofEpochMilli(12_000));
        });
    }

    @Test
    void aRetrysBeatsReadBeforeTheFinishOfTheAttemptBeforeAndItsOwnCreateStillStartIt() {
        sweeper.created("r1", 1, 0, T2);
        sweeper.heartbeats("r1", 1, 500, 3_000, 500); // attempt 1 lives until 2.5 s, then is finished
        sweeper.hold(RUN_EVENTS);
        sweeper.finished("r1", 1, 3_000);
        sweeper.created("r1", 2, 3_100, T2);
        sweeper.heartbeats("r1", 2, 3_200, 40_000, 600); // attempt 2's worker beats from 3.2 s
        sweeper.ticks(40_000, 40_500, 50);
        sweeper.release(RUN_EVENTS); // the finish and the retry's create are read after every beat
        sweeper.ticks(40_600, 41_000, 100);
        assertThat(sweeper.timedOut()).as("attempt 2 beat all along").isEmpty();
        assertThat(sweeper.activity()).filteredOn(FirstHeartbeatReceived.class::isInstance)
                .extracting(a -> a.attempt()).containsExactly(1, 2);

        sweeper.ticks(41_500, 45_000, 500);
        assertThat(sweeper.timedOut()).singleElement().satisfies(t -> {
            assertThat(t.attempt()).isEqualTo(2);
            assertThat(t.reason()).isEqualTo(Reason.HEARTBEAT_TIMEOUT);
            assertThat(t.dueAt()).isEqualTo(Instant.ofEpochMilli(39_800 + 2_000));
        });
    }

    @Test
    void aHeartbeatOfAnAttemptNotCreatedChangesNothingAndCannotWedgeALaterRetry() {
        sweeper.created("r1", 1, 0, T2);
        sweeper.heartbeat("r1", 1, 500);
        sweeper.heartbeats("r1", 99, 600, 10_000, 300); // forged beats of attempt 99
        sweeper.ticks(10_000, 10_500, 50);
        assertThat(sweeper.timedOut()).as("attempt 1 died at 0.5 s").singleElement().satisfies(t -> {
            assertThat(t.attempt()).isEqualTo(1);
            assertThat(t.dueAt()).isEqualTo(Instant.ofEpochMilli(2_500));
        });

        sweeper.finished("r1", 1, 11_000);
        sweeper.created("r1", 2, 12_000, T2); // the real retry
        sweeper.ticks(12_000, 50_000, 500);
        assertThat(sweeper.timedOut()).extracting(RunTimedOut::attempt, RunTimedOut::reason).containsExactly(
                org.assertj.core.groups.Tuple.tuple(1, Reason.HEARTBEAT_TIMEOUT),
                org.assertj.core.groups.Tuple.tuple(2, Reason.START_TIMEOUT));
    }

    @Test
    void aTaskRestoredFromTheStoreNeverTimesOutAnIrregularButHealthyRunWhoseLastBeatsItLost() {
        RunTimeouts t10 = timeouts(10_000, 30_000, 20_000, 3_600_000);
        sweeper.created("r1", 1, 0, t10);
        sweeper.heartbeat("r1", 1, 1_000); // written
        sweeper.heartbeat("r1", 1, 5_000); // kept in memory only: 4 s < half the timeout after the written one
        sweeper.ticks(5_000, 5_500, 500);
        sweeper = sweeper.restarted(); // the offsets past 5 s were committed; the store says 1 s
        sweeper.heartbeat("r1", 1, 14_000); // 9 s after the last beat: healthy, but 13 s after the stored one
        sweeper.ticks(14_000, 23_500, 500);
        assertThat(sweeper.timedOut()).isEmpty();
        sweeper.ticks(24_000, 30_000, 500);
        assertThat(sweeper.timedOut()).singleElement()
                .satisfies(t -> assertThat(t.dueAt()).isEqualTo(Instant.ofEpochMilli(24_000)));
    }

    @Test
    void aRunThatDiesRightAfterARestoreIsDetectedAtMostHalfATimeoutLate() {
        RunTimeouts t10 = timeouts(10_000, 30_000, 20_000, 3_600_000);
        sweeper.created("r1", 1, 0, t10);
        sweeper.heartbeats("r1", 1, 1_000, 5_001, 1_000); // written at 1 s; 2..5 s kept in memory
        sweeper.ticks(5_000, 5_500, 500);
        sweeper = sweeper.restarted();
        sweeper.ticks(6_000, 15_500, 500);
        assertThat(sweeper.timedOut()).as("the stored beat is 1 s, but beats until 5.9 s may be lost").isEmpty();
        sweeper.ticks(16_000, 20_000, 500);
        assertThat(sweeper.timedOut()).singleElement()
                .satisfies(t -> assertThat(t.dueAt()).isEqualTo(Instant.ofEpochMilli(16_000)));
    }

    @Test
    void theClockIsWrittenAboutOncePerHalfBlackoutThresholdNotOncePerSweep() {
        // Every write goes to the changelog a restarted task restores: one per 10 ms sweep made the clock's
        // changelog the biggest thing a sweeper restores (hundreds of thousands of records in a long run).
        for (long at = 0; at <= 20_000; at += 50) {
            sweeper.tick(at);
        }
        long writes = sweeper.driver.producedTopicNames().stream().filter(t -> t.endsWith(RunSweeper.CLOCK + "-changelog"))
                .mapToLong(t -> sweeper.driver.createOutputTopic(t, new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                        new org.apache.kafka.common.serialization.ByteArrayDeserializer()).getQueueSize())
                .sum();
        long bound = 20_000 / (sweeper.config.blackoutThreshold().toMillis() / 2) + 2;
        assertThat(writes).as("clock writes in 20 s of ticks").isBetween(1L, bound);
    }

    @Test
    void aClockWrittenLessOftenOnlyEverLengthensABlackoutAcrossARestart() {
        sweeper.created("r1", 1, 0, T2);
        sweeper.heartbeats("r1", 1, 100, 5_000, 500); // last beat 4.6 s; the stored clock may be up to 1 s older
        sweeper = sweeper.restarted();
        sweeper.heartbeats("r1", 1, 5_100, 9_000, 500); // restarted within 0.5 s: no silence held against it
        sweeper.ticks(9_000, 10_000, 100);
        assertThat(sweeper.timedOut()).isEmpty();
    }
}
