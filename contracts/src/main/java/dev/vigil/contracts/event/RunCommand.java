package dev.vigil.contracts.event;

/** An instruction to the agent running a run, written by run-service to {@code vigil.commands}. */
public sealed interface RunCommand extends RunScoped permits StopRun {
}
