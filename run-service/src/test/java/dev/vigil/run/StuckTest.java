package dev.vigil.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.contracts.event.ProgressReported;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunStatus;
import dev.vigil.run.store.RunRepository;
import dev.vigil.run.store.RunRow;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class StuckTest {

    private static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");

    @Test
    void aPendingAttemptIsStuckOnceItsStartTimeoutHasPassedSinceTheAttemptBegan() {
        RunRow retried = run(RunStatus.PENDING, T0.plusSeconds(100), null, null, null);
        assertThat(Stuck.of(retried, T0.plusSeconds(100 + 60))).as("exactly at the timeout").isEmpty();
        Stuck stuck = Stuck.of(retried, T0.plusSeconds(100 + 61)).orElseThrow();
        assertThat(stuck.reason()).isEqualTo(Reason.START_TIMEOUT);
        assertThat(stuck.dueAt()).isEqualTo(T0.plusSeconds(160));
        assertThat(stuck.detail()).contains("no first heartbeat", "PT1M");
    }

    @Test
    void aRunningRunIsStuckWhenItsLastReportedHeartbeatIsOlderThanItsHeartbeatTimeoutPlusTheReportingSlack() {
        long slack = Stuck.REPORTING_SLACK_SECONDS;
        RunRow started = run(RunStatus.RUNNING, T0, T0.plusSeconds(5), null, null);
        assertThat(Stuck.of(started, T0.plusSeconds(5 + 30 + slack))).isEmpty();
        assertThat(Stuck.of(started, T0.plusSeconds(5 + 31 + slack)).orElseThrow().reason())
                .isEqualTo(Reason.HEARTBEAT_TIMEOUT);
        RunRow beating = run(RunStatus.RUNNING, T0, T0.plusSeconds(5), T0.plusSeconds(50), null);
        assertThat(Stuck.of(beating, T0.plusSeconds(60 + slack))).as("measured from the last heartbeat").isEmpty();
        assertThat(Stuck.of(beating, T0.plusSeconds(81 + slack)).orElseThrow().dueAt())
                .isEqualTo(T0.plusSeconds(80 + slack));
    }

    @Test
    void theSlackCoversTheSweepersLivenessRefreshPlusDeliveryAndTheSqlRuleUsesTheSameSlack() {
        assertThat(Stuck.REPORTING_SLACK_SECONDS).isEqualTo(ProgressReported.MAX_LIVENESS_SECONDS + 10);
        // Unchanged progress is re-reported at most every 30 s (the contract's bound on the sweeper's
        // liveness-interval), by the first heartbeat
        // at or after that, which a healthy worker sends within its heartbeat timeout (30 s here); then
        // up to 10 s of delivery. Reported at 50 s, the next report lands by 50 + 30 + 30 + 10 s.
        RunRow healthy = run(RunStatus.RUNNING, T0, T0.plusSeconds(5), T0.plusSeconds(50), null);
        assertThat(Stuck.of(healthy, T0.plusSeconds(50 + 30 + 30 + 10))).isEmpty();
        assertThat(RunRepository.STUCK)
                .contains("interval '" + Stuck.REPORTING_SLACK_SECONDS + " seconds' < :now");
    }

    @Test
    void aTerminatingRunIsStuckPastItsStopTimeout() {
        RunRow stopping = run(RunStatus.TERMINATING, T0, T0, T0, T0.plusSeconds(10));
        assertThat(Stuck.of(stopping, T0.plusSeconds(10 + 45))).isEmpty();
        assertThat(Stuck.of(stopping, T0.plusSeconds(10 + 46)).orElseThrow().reason()).isEqualTo(Reason.STOP_TIMEOUT);
    }

    @Test
    void aRunningRunWhoseProgressStalledWithStallFlagIsStuckUntilItsProgressMovesAndTheSqlRuleSaysSo() {
        Instant now = T0.plusSeconds(3_010);
        Stuck stuck = Stuck.of(flagged(T0.plusSeconds(660)), now).orElseThrow();
        assertThat(stuck.reason()).isEqualTo(Reason.PROGRESS_STALLED);
        assertThat(stuck.dueAt()).isEqualTo(T0.plusSeconds(660));
        assertThat(stuck.detail()).contains("progress", "PT10M");
        assertThat(Stuck.of(flagged(null), now)).as("its progress moved since").isEmpty();
        assertThat(RunRepository.STUCK).contains("status = 'RUNNING' and stalled_at is not null");
    }

    @Test
    void finishedRunsAreNeverStuck() {
        for (RunStatus status : new RunStatus[] {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.ABORTED,
                RunStatus.TIMED_OUT}) {
            assertThat(Stuck.of(run(status, T0, T0, T0, T0), T0.plusSeconds(86_400))).as(status.name()).isEmpty();
        }
    }

    /** Timeouts: heartbeat 30 s, start 60 s, stop 45 s. */
    static RunRow run(RunStatus status, Instant attemptCreatedAt, Instant startedAt, Instant lastHeartbeatAt,
                      Instant stopRequestedAt) {
        return new RunRow(UUID.randomUUID(), "acme", "key", null, null, 1, status, null, null, 30_000, 60_000, 45_000,
                3_600_000, null, null, null, null, 0, lastHeartbeatAt, 0, T0, startedAt, stopRequestedAt, null, T0,
                attemptCreatedAt, null, null, null, null, null, null);
    }

    /** A RUNNING run beating on time whose progress (watched for 10 min, flagged) stalled at {@code stalledAt}. */
    static RunRow flagged(Instant stalledAt) {
        RunRow running = run(RunStatus.RUNNING, T0, T0, T0.plusSeconds(3_000), null);
        return new RunRow(running.id(), "acme", "key", null, null, 1, RunStatus.RUNNING, null, null, 30_000, 60_000,
                45_000, 3_600_000, null, null, 3L, "chapter 3", 900, running.lastHeartbeatAt(), 0, T0, T0, null, null, T0,
                T0, 600_000L, "flag", stalledAt, T0.plusSeconds(60), null, null);
    }
}
