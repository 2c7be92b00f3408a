package dev.vigil.cleaner.runstate;

import static dev.vigil.cleaner.Events.created;
import static dev.vigil.cleaner.Events.finished;
import static dev.vigil.cleaner.Events.finishedAt;
import static dev.vigil.cleaner.Events.started;
import static dev.vigil.cleaner.Events.stopRequested;
import static dev.vigil.cleaner.Events.target;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class RunStateStoreTest {

    private final RunStateStore store = new RunStateStore(100);

    @Test
    void createdStartedAndStoppingRunsAreLiveAndAFinishIsTerminal() {
        store.apply(created("r1", 1, target("agents", "r1")));
        assertThat(store.get("r1")).hasValueSatisfying(s -> assertThat(s.live()).isTrue());
        store.apply(started("r1", 1));
        store.apply(stopRequested("r1", 1));
        assertThat(store.get("r1")).hasValueSatisfying(s -> {
            assertThat(s.live()).isTrue();
            assertThat(s.target()).isEqualTo(target("agents", "r1"));
        });

        store.apply(finished("r1", 1));

        assertThat(store.get("r1")).hasValueSatisfying(s -> {
            assertThat(s.terminal()).isTrue();
            assertThat(s.attempt()).isEqualTo(1);
            assertThat(s.target()).as("the RunCreated's target is kept").isEqualTo(target("agents", "r1"));
        });
        assertThat(store.terminalCount()).isEqualTo(1);
        assertThat(store.liveCount()).isZero();
    }

    @Test
    void aRetryMakesAFinishedRunLiveAgainAndTheOldAttemptCannotFinishIt() {
        store.apply(created("r2", 1));
        store.apply(finished("r2", 1));
        store.apply(created("r2", 2));
        assertThat(store.get("r2")).hasValueSatisfying(s -> {
            assertThat(s.live()).isTrue();
            assertThat(s.attempt()).isEqualTo(2);
        });

        store.apply(finished("r2", 1));
        store.apply(stopRequested("r2", 1));

        assertThat(store.get("r2")).hasValueSatisfying(s -> {
            assertThat(s.live()).isTrue();
            assertThat(s.attempt()).isEqualTo(2);
        });
        assertThat(store.liveCount()).isEqualTo(1);
        assertThat(store.terminalCount()).isZero();
    }

    @Test
    void aFinishedAttemptStaysFinishedWhateverArrivesLateForIt() {
        store.apply(finished("r3", 1, target("agents", "r3")));
        store.apply(stopRequested("r3", 1));
        store.apply(created("r3", 1));

        assertThat(store.get("r3")).hasValueSatisfying(s -> {
            assertThat(s.terminal()).isTrue();
            assertThat(s.target()).isEqualTo(target("agents", "r3"));
        });
    }

    @Test
    void anEventOfANewerAttemptCountsEvenIfItsCreatedWasMissed() {
        store.apply(finished("r4", 1));
        store.apply(started("r4", 2));

        assertThat(store.get("r4")).hasValueSatisfying(s -> {
            assertThat(s.live()).isTrue();
            assertThat(s.attempt()).isEqualTo(2);
        });
    }

    @Test
    void forgetsTheOldestFinishedRunsButNeverALiveOne() {
        RunStateStore small = new RunStateStore(10);
        small.apply(created("live-0", 1));
        for (int i = 0; i < 20; i++) {
            small.apply(finishedAt("done-" + i, 1, Instant.EPOCH.plusSeconds(i)));
        }

        assertThat(small.size()).isLessThanOrEqualTo(10);
        assertThat(small.get("live-0")).isPresent();
        assertThat(small.get("done-19")).isPresent();
        assertThat(small.get("done-0")).isEmpty();
        assertThat(small.liveCount() + small.terminalCount()).isEqualTo(small.size());
    }

    @Test
    void isNotReadyOrCaughtUpUntilTold() {
        assertThat(store.ready()).isFalse();
        assertThat(store.caughtUpAt()).isEmpty();
        store.markReady();
        store.markCaughtUp(Instant.EPOCH);
        assertThat(store.ready()).isTrue();
        assertThat(store.caughtUpAt()).contains(Instant.EPOCH);
    }

    @Test
    void everyChangeIsWrittenToTheChangelogAndAReplayOfWhatIsKnownWritesNothing() {
        java.util.List<RunState> written = new java.util.ArrayList<>();
        java.util.List<String> forgotten = new java.util.ArrayList<>();
        RunStateStore logged = new RunStateStore(100, new RunStateChangelog() {
            @Override
            public void changed(RunState state) {
                written.add(state);
            }

            @Override
            public void forgotten(String runId) {
                forgotten.add(runId);
            }
        });
        var created = created("c1", 1, target("agents", "c1"));
        var started = started("c1", 1);
        logged.apply(created);
        logged.apply(started);
        assertThat(written).singleElement().satisfies(s -> {
            assertThat(s.live()).isTrue();
            assertThat(s.workspace()).isEqualTo("ws-1");
            assertThat(s.target()).isEqualTo(target("agents", "c1"));
        });

        logged.apply(created);
        logged.apply(started);
        assertThat(written).as("a replay changes nothing").hasSize(1);

        logged.apply(finished("c1", 1));
        assertThat(written).hasSize(2).last().satisfies(s -> assertThat(s.terminal()).isTrue());
        assertThat(forgotten).isEmpty();
    }

    @Test
    void aStoreRestoredFromItsChangelogKnowsALiveRunWithoutItsEventsAndOlderEventsDoNotUndoIt() {
        RunStateStore before = new RunStateStore(100);
        before.apply(created("long", 2, target("agents", "long")));
        RunStateStore restarted = new RunStateStore(100);

        restarted.restore("long", before.get("long").orElseThrow());
        restarted.restore("gone", null);
        restarted.apply(finished("long", 1));

        assertThat(restarted.isLive("long")).isTrue();
        assertThat(restarted.get("long")).hasValueSatisfying(s -> {
            assertThat(s.attempt()).isEqualTo(2);
            assertThat(s.workspace()).isEqualTo("ws-1");
        });
        assertThat(restarted.liveCount()).isEqualTo(1);
        restarted.restore("long", null);
        assertThat(restarted.isLive("long")).isFalse();
        assertThat(restarted.size()).isZero();
    }
}
