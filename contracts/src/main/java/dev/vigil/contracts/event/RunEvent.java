package dev.vigil.contracts.event;

/** The lifecycle of a run, written by run-service to {@code vigil.run-events}. */
public sealed interface RunEvent extends RunScoped
        permits RunCreated, RunStarted, RunStopRequested, RunFinished, RunDeadlineApproaching {
}
