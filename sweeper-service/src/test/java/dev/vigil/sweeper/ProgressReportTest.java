package dev.vigil.sweeper;

import static dev.vigil.sweeper.SweeperHarness.timeouts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.contracts.ConfigLookup;
import dev.vigil.contracts.event.FirstHeartbeatReceived;
import dev.vigil.contracts.event.ProgressReported;
import dev.vigil.contracts.event.RunActivity;
import dev.vigil.contracts.event.RunTimeouts;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How the sweeper summarizes heartbeats for run-service ({@code vigil.run-activity}). Unlike detection,
 * when summaries go out depends on the order the partitions are read in (beats read before their
 * {@code RunCreated} start the run without one), so these run in order only.
 */
class ProgressReportTest {

    private static final RunTimeouts T10 = timeouts(10_000, 30_000, 20_000, 3_600_000);

    private final SweeperHarness sweeper = new SweeperHarness();

    @AfterEach
    void close() {
        sweeper.close();
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
    void aLivenessIntervalLongerThanTheContractsBoundIsRefusedBecauseRunServiceWouldCallLiveRunsStuck() {
        String key = "vigil.sweeper.liveness-interval";
        Duration longest = Duration.ofSeconds(ProgressReported.MAX_LIVENESS_SECONDS);
        assertThat(SweeperSettings.from(ConfigLookup.of(Map.of(key, longest))).detection().livenessInterval())
                .isEqualTo(Duration.ofSeconds(30));
        assertThatThrownBy(() -> SweeperSettings.from(ConfigLookup.of(Map.of(key, longest.plusSeconds(1)))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("liveness-interval");
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
        assertThat(sweeper.activity()).filteredOn(FirstHeartbeatReceived.class::isInstance)
                .extracting(RunActivity::attempt).containsExactly(1, 2);
        assertThat(progress("r1")).extracting(ProgressReported::attempt, p -> p.lastHeartbeatAt().toEpochMilli())
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, 1_000L),
                        org.assertj.core.groups.Tuple.tuple(2, 4_000L));
    }

    private List<ProgressReported> progress(String runId) {
        return sweeper.activity().stream().filter(ProgressReported.class::isInstance).map(ProgressReported.class::cast)
                .filter(p -> p.runId().equals(runId)).toList();
    }
}
