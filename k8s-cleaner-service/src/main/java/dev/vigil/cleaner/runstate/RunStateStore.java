package dev.vigil.cleaner.runstate;

import dev.vigil.contracts.event.RunCreated;
import dev.vigil.contracts.event.RunEvent;
import dev.vigil.contracts.event.RunFinished;
import java.time.Instant;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every run's state as {@code vigil.run-events} tells it, in memory, rebuilt from the topic at each
 * start. One thread writes (the run-events consumer, in topic order); garbage collection reads.
 *
 * <p>Attempts fence: an event of an older attempt than the one known changes nothing, a newer
 * attempt's RunCreated makes a finished run live again, and a finished attempt stays finished.
 *
 * <p>It is bounded: above {@code maxRuns} entries the oldest finished runs are forgotten. A forgotten
 * run is "unknown", which garbage collection also cleans up (after the grace period); live runs are
 * never forgotten.
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
    private volatile boolean ready;
    private volatile Instant caughtUpAt;

    public RunStateStore(int maxRuns) {
        this.maxRuns = maxRuns;
    }

    /** Applies one run event and returns the run's state afterwards. */
    public RunState apply(RunEvent event) {
        RunState[] before = new RunState[1];
        RunState after = runs.compute(event.runId(), (id, current) -> {
            before[0] = current;
            return next(current, event);
        });
        int change = (after.terminal() ? 1 : 0) - (before[0] != null && before[0].terminal() ? 1 : 0);
        if (change != 0) {
            terminal.addAndGet(change);
        }
        if (runs.size() > maxRuns && terminal.get() > 0) {
            forgetOldestFinished();
        }
        return after;
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

    private static RunState next(RunState current, RunEvent event) {
        int attempt = event.attempt();
        if (current != null && attempt < current.attempt()) {
            return current;
        }
        boolean sameAttempt = current != null && attempt == current.attempt();
        if (event instanceof RunFinished finished) {
            var target = finished.cleanup() != null ? finished.cleanup() : sameAttempt ? current.target() : null;
            return new RunState(event.runId(), attempt, true, target, event.occurredAt());
        }
        if (sameAttempt && current.terminal()) {
            return current;
        }
        // RunStarted and RunStopRequested carry no target: keep the one RunCreated gave this attempt.
        var target = event instanceof RunCreated created ? created.cleanup() : sameAttempt ? current.target() : null;
        return new RunState(event.runId(), attempt, false, target, event.occurredAt());
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
            }
        });
        if (runs.size() > maxRuns) {
            LOG.warn("tracking {} runs, more than the {} configured: the rest are live and are never forgotten",
                    runs.size(), maxRuns);
        }
    }
}
