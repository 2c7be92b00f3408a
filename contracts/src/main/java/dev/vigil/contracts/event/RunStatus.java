package dev.vigil.contracts.event;

/** The states of a run. A run moves PENDING → RUNNING → TERMINATING → one terminal state, once. */
public enum RunStatus {
    PENDING,
    RUNNING,
    TERMINATING,
    SUCCEEDED,
    FAILED,
    ABORTED,
    TIMED_OUT;

    /** Whether the run is over; a terminal status is written at most once and never changes again. */
    public boolean isTerminal() {
        return switch (this) {
            case SUCCEEDED, FAILED, ABORTED, TIMED_OUT -> true;
            case PENDING, RUNNING, TERMINATING -> false;
        };
    }
}
