package dev.vigil.cleaner.runstate;

import dev.vigil.contracts.event.RunCreated;
import dev.vigil.contracts.event.RunEvent;
import dev.vigil.contracts.event.RunFinished;
import java.time.Instant;
import java.util.Comparator;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every run's state as {@code vigil.run-events} tells it, in memory. Every change is written to a
 * {@link RunStateChangelog} (the compacted {@code vigil.cleaner-run-state} topic) and at each start the
 * store is rebuilt from that changelog first ({@link #restore}), then from {@code vigil.run-events}: a
 * run stays known for its whole life, however long ago its RunCreated left {@code run-events}. Replaying
 * an event the store already reflects changes nothing and writes nothing. One thread writes (the
 * run-events consumer, in topic order); garbage collection and the cleanups read.
 *
 * <p>Attempts fence: an event of an older attempt than the one known changes nothing, a newer
 * attempt's RunCreated makes a finished run live again, and a finished attempt stays finished.
 *
 * <p>It is bounded: above {@code maxRuns} entries the oldest finished runs are forgotten. A forgotten
 * run is "unknown", which garbage collection also cleans up (after the orphan age); live runs are
 * never forgotten. A forgotten run is a tombstone in the changelog.
 *
 * <p>Two facts gate garbage collection: {@link #ready()} (the topic has been read up to where it
 * ended at start) and {@link #caughtUpAt()} (the last time the consumer had no lag: every run event
 * written before then is reflected here).
 */
public final class RunStateStore {

    private static final Logger LOG = LoggerFactory.getLogger(RunStateStore.class);

    private final ConcurrentHashMap<String, RunState> runs = new ConcurrentHashMap<>();
    private final AtomicInteger terminal = new AtomicInteger();
    private final int maxRuns;
    private final RunStateChangelog changelog;
    private volatile boolean ready;
    private volatile Instant caughtUpAt;

    public RunStateStore(int maxRuns) {
        this(maxRuns, RunStateChangelog.NONE);
    }

    public RunStateStore(int maxRuns, RunStateChangelog changelog) {
        this.maxRuns = maxRuns;
        this.changelog = changelog;
    }

    /** Applies one run event, writes the change (if any) to the changelog and returns the run's state afterwards. */
    public RunState apply(RunEvent event) {
        RunState[] before = new RunState[1];
        RunState after = runs.compute(event.runId(), (id, current) -> {
            before[0] = current;
            return next(current, event);
        });
        count(before[0], after);
        if (after != before[0]) {
            changelog.changed(after);
        }
        if (runs.size() > maxRuns && terminal.get() > 0) {
            forgetOldestFinished();
        }
        return after;
    }

    /** Puts a state read back from the changelog (null: the run was forgotten), without writing it again. */
    public void restore(String runId, RunState state) {
        RunState before = state == null ? runs.remove(runId) : runs.put(runId, state);
        count(before, state);
    }

    /** Whether a run of that id is live (in any workspace), as far as the store knows. */
    public boolean isLive(String runId) {
        RunState state = runId == null ? null : runs.get(runId);
        return state != null && state.live();
    }

    private void count(RunState before, RunState after) {
        int change = (after != null && after.terminal() ? 1 : 0) - (before != null && before.terminal() ? 1 : 0);
        if (change != 0) {
            terminal.addAndGet(change);
        }
    }

    public Optional<RunState> get(String runId) {
        return Optional.ofNullable(runs.get(runId));
    }

    /** Whether the topic has been read up to where it ended when the service started. */
    public boolean ready() {
        return ready;
    }

    public void markReady() {
        ready = true;
    }

    /** The last time the consumer had read every run event there was; empty until it first has. */
    public Optional<Instant> caughtUpAt() {
        return Optional.ofNullable(caughtUpAt);
    }

    public void markCaughtUp(Instant at) {
        caughtUpAt = at;
    }

    public int size() {
        return runs.size();
    }

    public int terminalCount() {
        return terminal.get();
    }

    public int liveCount() {
        return Math.max(0, runs.size() - terminal.get());
    }

    /** The state after {@code event}: {@code current} itself when the event tells nothing new (a replay). */
    private static RunState next(RunState current, RunEvent event) {
        int attempt = event.attempt();
        if (current != null && attempt < current.attempt()) {
            return current;
        }
        boolean sameAttempt = current != null && attempt == current.attempt();
        if (sameAttempt && current.terminal()) {
            return current;
        }
        String workspace = event instanceof RunCreated c ? c.workspace() : event instanceof RunFinished f ? f.workspace()
                : current != null ? current.workspace() : null;
        if (event instanceof RunFinished finished) {
            var target = finished.cleanup() != null ? finished.cleanup() : sameAttempt ? current.target() : null;
            return new RunState(event.runId(), attempt, true, workspace, target, event.occurredAt());
        }
        // RunStarted and RunStopRequested carry no target: keep the one RunCreated gave this attempt.
        var target = event instanceof RunCreated created ? created.cleanup() : sameAttempt ? current.target() : null;
        if (sameAttempt && Objects.equals(target, current.target())
                && Objects.equals(workspace, current.workspace())) {
            return current;
        }
        return new RunState(event.runId(), attempt, false, workspace, target, event.occurredAt());
    }

    private void forgetOldestFinished() {
        int excess = runs.size() - maxRuns * 9 / 10;
        var oldest = runs.values().stream()
                .filter(RunState::terminal)
                .sorted(Comparator.comparing(RunState::updatedAt))
                .limit(excess)
                .toList();
        oldest.forEach(state -> {
            if (runs.remove(state.runId(), state)) {
                terminal.decrementAndGet();
                changelog.forgotten(state.runId());
            }
        });
        if (runs.size() > maxRuns) {
            LOG.warn("tracking {} runs, more than the {} configured: the rest are live and are never forgotten",
                    runs.size(), maxRuns);
        }
    }
}
