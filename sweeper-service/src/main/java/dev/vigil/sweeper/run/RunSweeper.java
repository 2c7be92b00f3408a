package dev.vigil.sweeper.run;

import dev.vigil.contracts.event.FirstHeartbeatReceived;
import dev.vigil.contracts.event.Heartbeat;
import dev.vigil.contracts.event.ProgressReported;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunCreated;
import dev.vigil.contracts.event.RunEvent;
import dev.vigil.contracts.event.RunFinished;
import dev.vigil.contracts.event.RunStopRequested;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.event.RunTimeouts;
import dev.vigil.contracts.serde.EventJson;
import dev.vigil.sweeper.SweeperConfig;
import dev.vigil.sweeper.SweeperMetrics;
import dev.vigil.sweeper.run.RunState.Armed;
import dev.vigil.sweeper.run.RunState.Phase;
import dev.vigil.sweeper.stream.Emitted;
import dev.vigil.sweeper.stream.SweepingProcessor;
import dev.vigil.sweeper.time.DeadlineQueue;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
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
 * once per stop request).
 *
 * <p>A heartbeat that changes nothing but the run's last-heartbeat time is written through to the
 * store (and so to its changelog) only once that time has moved by half the heartbeat timeout since
 * it was last written; in between the state is kept in memory. That halves the store writes of a
 * run heartbeating every third of its timeout, and never makes a restored sweeper time out a healthy
 * run: after a restart the input is read again from the last commit, so the beats it may have lost
 * all fell within half a timeout after the stored time, and the run's next beat is due less than a
 * timeout after it (a beat more than half a timeout after the last one is always written).
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

    public RunSweeper(String heartbeatsTopic, SweeperConfig config, SweeperMetrics metrics) {
        super(CLOCK, DEADLINES, config.punctuateInterval(), config.blackoutThreshold(), metrics);
        this.heartbeatsTopic = heartbeatsTopic;
        this.config = config;
    }

    @Override
    public void init(ProcessorContext<String, Emitted> context) {
        super.init(context);
        runs = context.getStateStore(RUNS);
        unwritten.clear(); // a (re)initialized task starts from the store as committed
    }

    @Override
    protected void handle(Record<byte[], byte[]> record, String topic) {
        long at = record.timestamp();
        if (topic.equals(heartbeatsTopic)) {
            Heartbeat heartbeat = EventJson.read(record.value(), Heartbeat.class);
            requireKey(record, heartbeat.runId());
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
        RunState state = load(runId);
        if (state == null || (heartbeat.attempt() > state.attempt && !state.phase.armed())) {
            // No RunCreated yet (the outbox may be behind the worker), or a retry's first beats.
            if (state != null) {
                unschedule(runId, state);
            }
            state = new RunState(heartbeat.attempt(), Phase.UNKNOWN);
            state.firstHeartbeatAt = at;
            state.lastHeartbeatAt = at;
            state.heartbeats = 1;
            reschedule(runId, state, at);
            save(runId, state);
            metrics.ignored("unknown_run");
            return;
        }
        if (heartbeat.attempt() != state.attempt) {
            metrics.ignored("stale_attempt");
            LOG.debug("ignored heartbeat of attempt {} for run {} at attempt {}", heartbeat.attempt(), runId, state.attempt);
            return;
        }
        switch (state.phase) {
            case FINISHED, TIMED_OUT -> {
                metrics.ignored("after_end");
                return;
            }
            case UNKNOWN -> {
                state.lastHeartbeatAt = at;
                state.heartbeats++;
            }
            case PENDING -> {
                start(runId, state, at, heartbeat.agentId());
                reportProgress(runId, state, heartbeat, at);
                reschedule(runId, state, at);
            }
            case RUNNING, TERMINATING -> {
                state.lastHeartbeatAt = at;
                state.heartbeats++;
                if (!reportProgress(runId, state, heartbeat, at)) {
                    saveHeartbeat(runId, state);
                    return;
                }
            }
        }
        save(runId, state);
    }

    private void start(String runId, RunState state, long at, String agentId) {
        state.phase = Phase.RUNNING;
        if (state.firstHeartbeatAt == RunState.NONE) {
            state.firstHeartbeatAt = at;
            state.lastHeartbeatAt = at;
            state.heartbeats = 1;
        }
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
    private boolean reportProgress(String runId, RunState state, Heartbeat heartbeat, long at) {
        int progress = RunState.progressHash(heartbeat.steps(), heartbeat.message());
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
        if (previous != null && (created.attempt() < previous.attempt
                || (created.attempt() == previous.attempt && previous.phase != Phase.UNKNOWN))) {
            metrics.ignored(created.attempt() < previous.attempt ? "stale_attempt" : "duplicate");
            return;
        }
        if (previous != null) {
            unschedule(runId, previous);
        }
        RunState state = new RunState(created.attempt(), Phase.PENDING);
        RunTimeouts timeouts = created.timeouts();
        state.agentId = created.agentId();
        state.heartbeatTimeout = timeouts.heartbeat().toMillis();
        state.startTimeout = timeouts.start().toMillis();
        state.stopTimeout = timeouts.stop().toMillis();
        state.maxDuration = timeouts.maxDuration().toMillis();
        state.createdAt = at;
        if (previous != null && previous.phase == Phase.UNKNOWN && previous.attempt == created.attempt()) {
            state.firstHeartbeatAt = previous.firstHeartbeatAt;
            state.lastHeartbeatAt = previous.lastHeartbeatAt;
            state.heartbeats = previous.heartbeats;
            start(runId, state, at, null);
        }
        if (state.agentId != null) {
            emit(state.agentId, new Emitted.AgentLink(runId, state.attempt, true), at);
        }
        reschedule(runId, state, at);
        save(runId, state);
        metrics.runCreated();
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
            if (state != null) {
                unschedule(runId, state);
            }
            state = new RunState(finished.attempt(), Phase.FINISHED);
        }
        if (state.agentId != null) {
            emit(state.agentId, new Emitted.AgentLink(runId, state.attempt, false), at);
        }
        state.phase = Phase.FINISHED;
        state.finishedAt = at;
        reschedule(runId, state, at);
        save(runId, state);
    }

    @Override
    protected void sweep(long now) {
        for (DeadlineQueue.Due due : deadlines.due(now, config.maxDuePerPunctuation())) {
            deadlines.remove(due.at(), due.id());
            RunState state = load(due.id());
            if (state == null || state.scheduledAt != due.at()) {
                continue; // a stale entry: the run was rescheduled earlier or forgotten
            }
            state.scheduledAt = RunState.NONE;
            if (!state.phase.armed()) {
                if (now >= state.expiresAt(config.finishedRetention().toMillis(), config.unknownRetention().toMillis())) {
                    unwritten.remove(due.id());
                    runs.delete(due.id());
                    continue;
                }
            } else {
                fireIfDue(due.id(), state, now);
            }
            reschedule(due.id(), state, now);
            save(due.id(), state);
        }
    }

    private void fireIfDue(String runId, RunState state, long now) {
        Armed first = null;
        long firstDue = Long.MAX_VALUE;
        for (Armed armed : state.armed()) {
            long dueAt = dueAt(armed, now);
            if (dueAt < firstDue) {
                first = armed;
                firstDue = dueAt;
            }
        }
        if (first == null || firstDue > now) {
            return;
        }
        boolean alive = state.started() && clock.dueAt(state.lastHeartbeatAt, state.heartbeatTimeout, now) > now;
        RunTimedOut timeout = RunTimedOut.of(runId, state.attempt, first.reason(), Instant.ofEpochMilli(firstDue),
                state.started() ? Instant.ofEpochMilli(state.lastHeartbeatAt) : null, state.agentId, alive,
                first.reason() == Reason.STOP_TIMEOUT ? state.stopAttempt : null);
        emit(runId, new Emitted.Timeout(timeout), now);
        metrics.timeout(first.reason(), System.currentTimeMillis() - firstDue);
        LOG.info("run {} attempt {} timed out: {} (due {}, last heartbeat {})", runId, state.attempt,
                first.reason().code(), timeout.dueAt(), timeout.lastHeartbeatAt());
        if (first.reason() == Reason.STOP_TIMEOUT) {
            state.stopTimedOutFor = state.stopAttempt;
        } else {
            state.phase = Phase.TIMED_OUT;
            state.finishedAt = now;
        }
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
        return bytes == null ? null : RunState.decode(bytes);
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
