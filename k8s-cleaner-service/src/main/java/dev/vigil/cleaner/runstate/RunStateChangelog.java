package dev.vigil.cleaner.runstate;

/**
 * Where the run state store writes every change, so that a restarted cleaner knows a run for its
 * whole life, not only while {@code vigil.run-events} still holds the run's events.
 */
public interface RunStateChangelog {

    /** Writes nowhere (tests that need no durability). */
    RunStateChangelog NONE = new RunStateChangelog() {
        @Override
        public void changed(RunState state) {
        }

        @Override
        public void forgotten(String runId) {
        }
    };

    /** The run's state is now {@code state}. */
    void changed(RunState state);

    /** The store forgot the run (a finished run evicted to stay bounded). */
    void forgotten(String runId);
}
