package dev.vigil.sweeper.run;

import dev.vigil.contracts.event.AgentHeartbeat;
import dev.vigil.contracts.event.FirstHeartbeatReceived;
import dev.vigil.contracts.heartbeat.HeartbeatTokens;
import dev.vigil.contracts.event.Heartbeat;
import dev.vigil.contracts.event.ProgressReported;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunCreated;
import dev.vigil.contracts.event.RunDeadlineApproaching;
import dev.vigil.contracts.event.RunEvent;
import dev.vigil.contracts.event.RunFinished;
import dev.vigil.contracts.event.RunStopRequested;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.event.RunTimeouts;
import dev.vigil.contracts.event.StallAction;
import dev.vigil.contracts.serde.EventJson;
import dev.vigil.contracts.serde.InvalidEventException;
import dev.vigil.sweeper.SweeperConfig;
import dev.vigil.sweeper.SweeperMetrics;
import dev.vigil.sweeper.run.RunState.Armed;
import dev.vigil.sweeper.run.RunState.Phase;
import dev.vigil.sweeper.stream.Emitted;
import dev.vigil.sweeper.stream.SweepingProcessor;
import dev.vigil.sweeper.time.DeadlineQueue;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tracks every run of its partitions from its heartbeats and lifecycle events, and emits a timeout
 * when one of the run attempt's armed timeouts falls due on the broker's clock. Each run has at most
 * one entry in the deadline queue, at or before its earliest due time; a heartbeat only updates the
 * run's state (it never touches the queue), and an entry that comes due for a run that heartbeat
 * since is simply moved to the new due time. Each timeout fires once per run attempt (a stop timeout
 * once per stop request). A heartbeat of an attempt newer than the current one changes nothing about
 * the current one: it is kept aside, and a {@code RunCreated} of that attempt takes it over.
 *
 * <p>A run created with a progress timeout also has its progress watched: its stall deadline is when its
 * heartbeats' progress (steps, message) last changed plus that timeout, moved like the heartbeat deadline (a
 * change only updates the state, never the queue), judged on the same watermark and blackout credits, and
 * fired once per attempt: {@code fail} finalizes the run, {@code flag} leaves it RUNNING.
 *
 * <p>A run created with {@code timeouts.warnAt} is warned once per attempt, at that share of its max duration on the
 * same absolute clock ({@code RunDeadlineApproaching}, to run-service like its activity), while it is pending or
 * running: a run already stopping is not warned.
 *
 * <p>A heartbeat that changes nothing but the run's last-heartbeat time is written through to the
 * store (and so to its changelog) only once that time has moved by half the heartbeat timeout since
 * it was last written; in between the state is kept in memory. The beats a task may lose that way (it
 * is migrated or restarted, and offsets past them were committed) all fall within half a timeout after
 * the stored time, so a task restoring a state whose last beat another incarnation processed
 * ({@link RunState#beatsSeenBy}) holds its heartbeat timeout open half a timeout longer, until it sees
 * a beat itself: never a false timeout, whatever the beats' spacing; at worst, for a run that died
 * right then, a detection half a timeout late.
 *
 * <p>Long (about 400 lines) on purpose: it is one state machine, and every transition of a run attempt
 * is read here in one place ({@link RunState} holds the data, {@code SweepingProcessor} the clock).
 */
public final class RunSweeper extends SweepingProcessor {

    public static final String RUNS = "runs";
    public static final String DEADLINES = "run-deadlines";
    public static final String CLOCK = "run-clock";

    private static final Logger LOG = LoggerFactory.getLogger(RunSweeper.class);

    private final String heartbeatsTopic;
    private final SweeperConfig config;
    private KeyValueStore<String, byte[]> runs;
    /** Runs whose latest heartbeats are not written yet, each at most half a timeout ahead of the store. */
    private final Map<String, RunState> unwritten = new HashMap<>();

    /** This initialization of the task; never 0, which marks a state of unknown origin. */
    private long incarnation;

    public RunSweeper(String heartbeatsTopic, String runEventsTopic, SweeperConfig config, SweeperMetrics metrics) {
        super(CLOCK, DEADLINES, List.of(heartbeatsTopic, runEventsTopic), config.punctuateInterval(),
                config.blackoutThreshold(), config.maxDuePerPunctuation(), metrics);
        this.heartbeatsTopic = heartbeatsTopic;
        this.config = config;
    }

    @Override
    public void init(ProcessorContext<String, Emitted> context) {
        super.init(context);
        runs = context.getStateStore(RUNS);
        unwritten.clear(); // a (re)initialized task starts from the store as committed
        incarnation = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
    }

    @Override
    protected void handle(Record<byte[], byte[]> record, String topic) {
        long at = record.timestamp();
        if (topic.equals(heartbeatsTopic)) {
            Heartbeat heartbeat = EventJson.read(record.value(), Heartbeat.class);
            requireKey(record, heartbeat.runId());
            HeartbeatTokens tokens = config.requiredTokens();
            if (tokens != null && !tokens.verifiesRun(heartbeat.token(), heartbeat.runId(), heartbeat.attempt())) {
                throw new InvalidEventException("heartbeat token " + (heartbeat.token() == null ? "missing" : "not valid")
                        + " for run " + heartbeat.runId() + " attempt " + heartbeat.attempt());
            }
            onHeartbeat(heartbeat, at);
            return;
        }
        RunEvent event = EventJson.read(record.value(), RunEvent.class);
        requireKey(record, event.runId());
        if (event instanceof RunCreated created) {
            onCreated(created, at);
        } else if (event instanceof RunStopRequested stop) {
            onStopRequested(stop, at);
        } else if (event instanceof RunFinished finished) {
            onFinished(finished, at);
        }
        // RunStarted changes nothing here: the sweeper moved the run to RUNNING on its first heartbeat.
    }

    private void onHeartbeat(Heartbeat heartbeat, long at) {
        metrics.heartbeat();
        String runId = heartbeat.runId();
        int progress = RunState.progressHash(heartbeat.steps(), heartbeat.message()); // once per beat
        RunState state = load(runId);
        if (state == null) {
            state = RunState.unknown();
        }
        if (heartbeat.attempt() > state.attempt) {
            // Not created yet (the outbox may be behind the worker, or a retry's beats overtook its RunCreated):
            // kept aside for that attempt, changing nothing about the current one.
            boolean expiring = !state.phase.armed();
            state.aheadBeat(heartbeat.attempt(), at, progress);
            if (expiring) {
                reschedule(runId, state, at);
            }
            save(runId, state);
            metrics.ignored("not_created_yet");
            return;
        }
        if (heartbeat.attempt() != state.attempt) {
            metrics.ignored("stale_attempt");
            LOG.debug("ignored heartbeat of attempt {} for run {} at attempt {}", heartbeat.attempt(), runId, state.attempt);
            return;
        }
        switch (state.phase) {
            case FINISHED, TIMED_OUT, UNKNOWN -> {
                metrics.ignored("after_end");
                return;
            }
            case PENDING, RUNNING, TERMINATING -> {
                state.beatsSeenBy = incarnation;
                state.beatsMayBeLost = false;
                if (!state.started()) { // pending, or stopped before its first beat was read
                    start(runId, state, at, heartbeat.agentId());
                    state.progressMoved(progress, at);
                    reportProgress(runId, state, heartbeat, progress, at);
                    reschedule(runId, state, at);
                    break;
                }
                state.lastHeartbeatAt = Math.max(state.lastHeartbeatAt, at);
                state.heartbeats++;
                // A progress change moves the stall deadline later: always written through, never lost with a task.
                boolean moved = state.progressMoved(progress, at);
                if (!reportProgress(runId, state, heartbeat, progress, at) && !moved) {
                    saveHeartbeat(runId, state);
                    return;
                }
            }
        }
        save(runId, state);
    }

    /** The attempt's first heartbeat; a run stopped before it was read stays TERMINATING. */
    private void start(String runId, RunState state, long at, String agentId) {
        if (state.phase == Phase.PENDING) {
            state.phase = Phase.RUNNING;
        }
        if (state.firstHeartbeatAt == RunState.NONE) {
            state.firstHeartbeatAt = at;
            state.lastHeartbeatAt = at;
            state.heartbeats = 1;
        }
        state.startProgress(state.firstHeartbeatAt);
        emit(runId, new Emitted.Activity(FirstHeartbeatReceived.of(runId, state.attempt,
                agentId != null ? agentId : state.agentId, Instant.ofEpochMilli(state.firstHeartbeatAt))), at);
        metrics.firstHeartbeat();
    }

    /**
     * Summarizes the run's heartbeats for run-service, which writes each summary to its database: on
     * the attempt's first reported heartbeat; when the progress (steps or message) differs from the
     * last reported one, at most once per {@code progressInterval} (a change inside it is compared
     * against what was reported, so the first heartbeat after it still carries it); and otherwise, also
     * without steps or a message, once per {@code livenessInterval} as run-service's sign of life for
     * the run. So a run whose progress does not change costs one write per liveness interval, not one
     * per heartbeat.
     */
    private boolean reportProgress(String runId, RunState state, Heartbeat heartbeat, int progress, long at) {
        boolean report;
        if (state.lastProgressAt == RunState.NONE) {
            report = true;
        } else {
            long since = at - state.lastProgressAt;
            report = since >= config.livenessInterval().toMillis()
                    || (progress != state.reportedProgress && since >= config.progressInterval().toMillis());
        }
        if (report) {
            state.lastProgressAt = at;
            state.reportedProgress = progress;
            emit(runId, new Emitted.Activity(ProgressReported.of(runId, state.attempt, heartbeat.steps(),
                    heartbeat.message(), state.heartbeats, Instant.ofEpochMilli(at))), at);
            metrics.progressReport();
        }
        return report;
    }

    private void onCreated(RunCreated created, long at) {
        String runId = created.runId();
        RunState previous = load(runId);
        if (previous != null && created.attempt() <= previous.attempt) {
            metrics.ignored(created.attempt() < previous.attempt ? "stale_attempt" : "duplicate");
            return;
        }
        if (previous != null) {
            unschedule(runId, previous);
        }
        RunState state = new RunState(created.attempt(), Phase.PENDING);
        RunTimeouts timeouts = created.timeouts();
        state.agentId = created.agentId();
        state.workspace = created.workspace();
        state.heartbeatTimeout = timeouts.heartbeat().toMillis();
        state.startTimeout = timeouts.start().toMillis();
        state.stopTimeout = timeouts.stop().toMillis();
        state.maxDuration = timeouts.maxDuration().toMillis();
        state.progressTimeout = timeouts.progress() == null ? 0 : timeouts.progress().toMillis();
        state.flagOnStall = timeouts.onStall() == StallAction.FLAG;
        state.warnAfter = timeouts.warnAfter() == null ? 0 : Math.max(1, timeouts.warnAfter().toMillis());
        state.createdAt = at;
        if (state.inheritAheadBeats(previous)) {
            state.beatsSeenBy = incarnation; // beats kept aside are always written through
            start(runId, state, at, null);
        }
        if (state.agentId != null) {
            emit(agentKey(state), new Emitted.AgentLink(runId, state.attempt, true), at);
        }
        reschedule(runId, state, at);
        save(runId, state);
        metrics.runCreated();
    }

    /** The run's agent as the agent sweeper keys it: workspace and agent id (agent id alone in older states). */
    private static String agentKey(RunState state) {
        return state.workspace == null ? state.agentId : AgentHeartbeat.agentKey(state.workspace, state.agentId);
    }

    private void onStopRequested(RunStopRequested stop, long at) {
        String runId = stop.runId();
        RunState state = load(runId);
        if (state == null || stop.attempt() != state.attempt || !state.phase.armed()
                || stop.stopAttempt() <= state.stopAttempt) {
            metrics.ignored(state == null ? "unknown_run" : "stale_stop");
            return;
        }
        state.phase = Phase.TERMINATING;
        state.stopRequestedAt = at;
        state.stopAttempt = stop.stopAttempt();
        reschedule(runId, state, at);
        save(runId, state);
    }

    private void onFinished(RunFinished finished, long at) {
        String runId = finished.runId();
        RunState state = load(runId);
        if (state != null && finished.attempt() < state.attempt) {
            metrics.ignored("stale_attempt");
            return;
        }
        if (state != null && state.phase == Phase.FINISHED && finished.attempt() == state.attempt) {
            metrics.ignored("duplicate");
            return;
        }
        if (state == null || finished.attempt() > state.attempt) {
            RunState previous = state;
            state = new RunState(finished.attempt(), Phase.FINISHED);
            if (previous != null) {
                unschedule(runId, previous);
                state.inheritAheadBeats(previous);
            }
        }
        if (state.agentId != null) {
            emit(agentKey(state), new Emitted.AgentLink(runId, state.attempt, false), at);
        }
        state.phase = Phase.FINISHED;
        state.finishedAt = at;
        reschedule(runId, state, at);
        save(runId, state);
    }

    @Override
    protected void onDue(DeadlineQueue.Due due, long now) {
        RunState state = load(due.id());
        if (state == null || state.scheduledAt != due.at()) {
            return; // a stale entry: the run was rescheduled earlier or forgotten
        }
        state.scheduledAt = RunState.NONE;
        if (!state.phase.armed()) {
            if (now >= state.expiresAt(config.finishedRetention().toMillis(), config.unknownRetention().toMillis())) {
                unwritten.remove(due.id());
                runs.delete(due.id());
                return;
            }
        } else {
            fireIfDue(due.id(), state, now);
        }
        reschedule(due.id(), state, now);
        save(due.id(), state);
    }

    private void fireIfDue(String runId, RunState state, long now) {
        // The earliest due timeout; the deadline warning only when no timeout is due (a run a lagging sweeper finds
        // both warned-about and over is timed out, not warned first).
        Armed first = null;
        long firstDue = Long.MAX_VALUE;
        Armed warning = null;
        for (Armed armed : state.armed()) {
            long dueAt = dueAt(armed, now);
            if (armed.warning()) {
                warning = armed;
            } else if (dueAt < firstDue) {
                first = armed;
                firstDue = dueAt;
            }
        }
        if (first == null || firstDue > now) {
            if (warning != null && dueAt(warning, now) <= now) {
                warn(runId, state, dueAt(warning, now), now);
            }
            return;
        }
        boolean alive = state.started() && clock.dueAt(state.lastHeartbeatAt, state.heartbeatTimeout, now) > now;
        boolean stalled = first.reason() == Reason.PROGRESS_STALLED;
        RunTimedOut timeout = RunTimedOut.of(runId, state.attempt, first.reason(), Instant.ofEpochMilli(firstDue),
                state.started() ? Instant.ofEpochMilli(state.lastHeartbeatAt) : null, state.agentId, alive,
                first.reason() == Reason.STOP_TIMEOUT ? state.stopAttempt : null,
                stalled ? Instant.ofEpochMilli(state.progressChangedAt) : null);
        emit(runId, new Emitted.Timeout(timeout), now);
        metrics.timeout(first.reason(), System.currentTimeMillis() - firstDue);
        LOG.info("run {} attempt {} timed out: {} (due {}, last heartbeat {})", runId, state.attempt,
                first.reason().code(), timeout.dueAt(), timeout.lastHeartbeatAt());
        if (first.reason() == Reason.STOP_TIMEOUT) {
            state.stopTimedOutFor = state.stopAttempt;
        } else if (stalled && state.flagOnStall) {
            state.stallFired = true; // flagged, once: the run stays RUNNING with its other timeouts armed
        } else {
            state.phase = Phase.TIMED_OUT;
            state.finishedAt = now;
        }
    }

    private void warn(String runId, RunState state, long dueAt, long now) {
        state.warned = true;
        Instant deadline = Instant.ofEpochMilli(state.createdAt + state.maxDuration);
        emit(runId, new Emitted.Activity(RunDeadlineApproaching.of(runId, state.attempt, deadline,
                Instant.ofEpochMilli(dueAt))), now);
        metrics.deadlineWarning();
        LOG.info("run {} attempt {} approaches its deadline: warned (due {}), deadline {}", runId, state.attempt,
                Instant.ofEpochMilli(dueAt), deadline);
    }

    private long dueAt(Armed armed, long now) {
        return armed.credited() ? clock.dueAt(armed.since(), armed.timeout(), now) : armed.since() + armed.timeout();
    }

    /** Makes sure the run's queue entry is at or before its next due time (moving it only ever earlier). */
    private void reschedule(String runId, RunState state, long now) {
        long next = Long.MAX_VALUE;
        for (Armed armed : state.armed()) {
            next = Math.min(next, dueAt(armed, now));
        }
        if (!state.phase.armed()) {
            next = state.expiresAt(config.finishedRetention().toMillis(), config.unknownRetention().toMillis());
        }
        if (next == Long.MAX_VALUE || next == RunState.NONE) {
            return;
        }
        if (state.scheduledAt == RunState.NONE || next < state.scheduledAt) {
            unschedule(runId, state);
            deadlines.add(next, runId);
            state.scheduledAt = next;
        }
    }

    private void unschedule(String runId, RunState state) {
        if (state.scheduledAt != RunState.NONE) {
            deadlines.remove(state.scheduledAt, runId);
            state.scheduledAt = RunState.NONE;
        }
    }

    private RunState load(String runId) {
        RunState pending = unwritten.get(runId);
        if (pending != null) {
            return pending;
        }
        byte[] bytes = runs.get(runId);
        if (bytes == null) {
            return null;
        }
        RunState state;
        try {
            state = RunState.decode(bytes);
        } catch (RuntimeException e) {
            // One unreadable entry must not stop its task: it is forgotten, once, loudly.
            LOG.error("the stored state of run {} cannot be read ({}); it is dropped: the run is no longer tracked",
                    runId, e.toString());
            runs.delete(runId);
            metrics.stateDropped();
            return null;
        }
        state.beatsMayBeLost = state.beatsSeenBy != incarnation;
        return state;
    }

    private void save(String runId, RunState state) {
        unwritten.remove(runId);
        runs.put(runId, state.encode());
        state.writtenHeartbeatAt = state.lastHeartbeatAt;
    }

    /** Writes a heartbeat's state through once it is half a timeout ahead of the stored one; else keeps it. */
    private void saveHeartbeat(String runId, RunState state) {
        if (state.lastHeartbeatAt - state.writtenHeartbeatAt >= state.heartbeatTimeout / 2) {
            save(runId, state);
        } else {
            unwritten.put(runId, state);
            metrics.heartbeatKept();
        }
    }
}
