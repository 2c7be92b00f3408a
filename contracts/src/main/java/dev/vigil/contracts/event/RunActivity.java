package dev.vigil.contracts.event;

/** What the sweeper saw of a run's heartbeats, written to {@code vigil.run-activity} for run-service. */
public sealed interface RunActivity extends RunScoped permits FirstHeartbeatReceived, ProgressReported, RunDeadlineApproaching {
}
