package dev.vigil.run;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.contracts.Labels;
import dev.vigil.contracts.event.CleanupTarget;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunCreated;
import dev.vigil.contracts.event.RunFinished;
import dev.vigil.contracts.event.RunStarted;
import dev.vigil.contracts.event.RunStatus;
import dev.vigil.contracts.event.RunStopRequested;
import dev.vigil.contracts.event.RunTimeouts;
import dev.vigil.contracts.event.StopRun;
import dev.vigil.contracts.serde.EventJson;
import dev.vigil.contracts.serde.InvalidEventException;
import dev.vigil.run.api.ApiError;
import dev.vigil.run.api.RunViews;
import dev.vigil.run.outbox.Outbox;
import dev.vigil.run.store.AuditRepository;
import dev.vigil.run.store.RunRepository;
import dev.vigil.run.store.RunRow;
import io.micronaut.data.exceptions.DataAccessException;
import io.micronaut.transaction.TransactionOperations;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The run lifecycle as users drive it through the API: create, read, list, stop, finish. Each change
 * is one transaction holding the guarded row update, its outbox events and its audit record.
 */
@Singleton
public class RunService {

    static final String ONE_ACTIVE_INDEX = "runs_one_active_per_key";
    private static final Logger LOG = LoggerFactory.getLogger(RunService.class);
    private static final ObjectMapper JSON = EventJson.mapper();
    private static final int MAX_KEY_LENGTH = 256;

    private final RunRepository runs;
    private final AuditRepository audit;
    private final Outbox outbox;
    private final TransactionOperations<Connection> tx;
    private final RunSettings settings;
    private final RunMetrics metrics;

    public RunService(RunRepository runs, AuditRepository audit, Outbox outbox, TransactionOperations<Connection> tx,
                      RunSettings settings, RunMetrics metrics) {
        this.runs = runs;
        this.audit = audit;
        this.outbox = outbox;
        this.tx = tx;
        this.settings = settings;
        this.metrics = metrics;
    }

    /** Creates a PENDING run; 409 naming the active run if the key has one (also when two creates race). */
    public RunRow create(String workspace, String actor, RunViews.CreateRun request) {
        Validated valid = validate(workspace, request);
        UUID id = UUID.randomUUID();
        Instant now = now();
        CleanupTarget cleanup = valid.cleanup(id, workspace, settings.getRunLabelKey());
        RunRow row = new RunRow(id, workspace, request.key(), request.kind(), request.agentId(), 1, RunStatus.PENDING,
                null, null, valid.timeouts.heartbeat().toMillis(), valid.timeouts.start().toMillis(),
                valid.timeouts.stop().toMillis(), valid.timeouts.maxDuration().toMillis(),
                cleanup == null ? null : cleanup.namespace(), cleanup == null ? null : labels(cleanup.labels()),
                null, null, 0, null, 0, now, null, null, null, now, now);
        try {
            return logged(id, workspace, () -> tx.executeWrite(status -> {
                RunRow saved = runs.save(row);
                outbox.publish(RunCreated.of(id.toString(), 1, workspace, request.key(), request.kind(),
                        request.agentId(), valid.timeouts, cleanup));
                audit.record(id, workspace, 1, "created", null, RunStatus.PENDING.name(), null, actor, null);
                LOG.info("run created (key {})", request.key());
                return saved;
            }));
        } catch (DataAccessException e) {
            if (violates(e, ONE_ACTIVE_INDEX)) {
                String active = runs.findActive(workspace, request.key()).map(r -> r.id().toString()).orElse("(just finished)");
                throw ApiError.conflict("another run is active for key '" + request.key() + "': " + active);
            }
            throw e;
        }
    }

    public RunRow get(String workspace, String id) {
        return runs.findByIdAndWorkspace(parseId(id), workspace)
                .orElseThrow(() -> ApiError.notFound("no run " + id));
    }

    /** A page of the workspace's runs, newest first, optionally of one key, one status, only the {@link Stuck} ones. */
    public Page list(String workspace, String key, String status, Integer limit, String cursor, boolean stuckOnly) {
        int size = limit == null ? 50 : limit;
        if (size < 1 || size > 500) {
            throw ApiError.badRequest("limit must be between 1 and 500, was " + size);
        }
        if (status != null) {
            try {
                RunStatus.valueOf(status);
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("unknown status '" + status + "', expected one of " + List.of(RunStatus.values()));
            }
        }
        Instant before = Instant.parse("9999-12-31T00:00:00Z");
        UUID beforeId = new UUID(-1L, -1L);
        if (cursor != null) {
            try {
                String[] parts = new String(Base64.getUrlDecoder().decode(cursor)).split("\\|", 2);
                before = Instant.parse(parts[0]);
                beforeId = UUID.fromString(parts[1]);
            } catch (RuntimeException e) {
                throw ApiError.badRequest("cursor '" + cursor + "' is not one this API returned");
            }
        }
        List<RunRow> rows = runs.page(workspace, key, status, before, beforeId, stuckOnly, now(), size + 1);
        String next = null;
        if (rows.size() > size) {
            rows = rows.subList(0, size);
            RunRow last = rows.get(size - 1);
            next = Base64.getUrlEncoder().withoutPadding()
                    .encodeToString((last.createdAt() + "|" + last.id()).getBytes());
        }
        return new Page(rows, next);
    }

    /** One page of runs and the cursor of the next. */
    public record Page(List<RunRow> rows, String nextCursor) {
    }

    /**
     * Asks the run's attempt to stop: TERMINATING, its stop timeout starts, and a {@code StopRun} goes
     * to the agent — through Kafka, so any instance of the agent (or of run-service) can act on it.
     * Idempotent: stopping a TERMINATING attempt returns it as it is. A finished run, a stop naming an
     * attempt that is not the current one, or a retry racing the stop answers 409: a stop never lands
     * on an attempt other than the one it names (or the one read when it was asked).
     */
    public RunRow stop(String workspace, String actor, String id, Integer attempt) {
        RunRow run = get(workspace, id);
        requireCurrent(run, attempt, id);
        return logged(run.id(), workspace, () -> tx.executeWrite(status -> {
            Instant now = now();
            if (runs.requestStop(run.id(), run.attempt(), now) == 0) {
                RunRow current = runs.findById(run.id()).orElseThrow();
                requireCurrent(current, run.attempt(), id);
                if (current.status().isTerminal()) {
                    throw ApiError.conflict("run " + id + " already finished: " + current.status());
                }
                return current;
            }
            outbox.publish(RunStopRequested.of(run.id().toString(), run.attempt(), 1, actor, run.agentId()));
            outbox.publish(StopRun.of(run.id().toString(), run.attempt(), run.workspace(), run.agentId(), 1, actor));
            audit.record(run.id(), workspace, run.attempt(), "stop_requested", run.status().name(),
                    RunStatus.TERMINATING.name(), Reason.USER_STOP.code(), actor, null);
            LOG.info("stop requested by {}", actor);
            return runs.findById(run.id()).orElseThrow();
        }));
    }

    private static void requireCurrent(RunRow run, Integer attempt, String id) {
        if (attempt != null && attempt != run.attempt()) {
            throw ApiError.conflict("attempt " + attempt + " of run " + id + " is not its current attempt ("
                    + run.attempt() + ")");
        }
    }

    /**
     * Starts attempt N+1 of a run that failed, was aborted or timed out: PENDING, timeouts re-armed
     * (a new RunCreated), everything of the old attempt fenced off. 409 for a run that succeeded or
     * is still active, or when another run of the key is active.
     */
    public RunRow retry(String workspace, String actor, String id) {
        RunRow run = get(workspace, id);
        try {
            return logged(run.id(), workspace, () -> tx.executeWrite(status -> {
                if (runs.retry(run.id(), now()) == 0) {
                    RunRow current = runs.findById(run.id()).orElseThrow();
                    throw ApiError.conflict(current.status() == RunStatus.SUCCEEDED
                            ? "run " + id + " succeeded; only failed, aborted or timed-out runs can be retried"
                            : "run " + id + " is still " + current.status() + "; stop it or wait for it to end first");
                }
                RunRow retried = runs.findById(run.id()).orElseThrow();
                outbox.publish(RunCreated.of(run.id().toString(), retried.attempt(), workspace, retried.key(),
                        retried.kind(), retried.agentId(), timeoutsOf(retried), cleanupOf(retried)));
                audit.record(run.id(), workspace, retried.attempt(), "retried", run.status().name(),
                        RunStatus.PENDING.name(), null, actor, "attempt " + run.attempt() + " -> " + retried.attempt());
                LOG.info("run retried by {}: attempt {}", actor, retried.attempt());
                return retried;
            }));
        } catch (DataAccessException e) {
            if (violates(e, ONE_ACTIVE_INDEX)) {
                String active = runs.findActive(workspace, run.key()).map(r -> r.id().toString()).orElse("(just finished)");
                throw ApiError.conflict("another run is active for key '" + run.key() + "': " + active);
            }
            throw e;
        }
    }

    /** An operator's "the agent is gone, I know it, stop waiting": ABORTED ({@code user_force}) at once. */
    public RunRow forceStop(String workspace, String actor, String id, Integer attempt) {
        RunRow run = get(workspace, id);
        requireCurrent(run, attempt, id);
        if (run.status().isTerminal()) {
            throw ApiError.conflict("run " + id + " already finished: " + run.status());
        }
        RunRow after = finalize(run, RunStatus.ABORTED, Reason.USER_FORCE, "force-stopped by " + actor, actor,
                "force_stopped");
        if (after.attempt() == run.attempt() && after.reason() != null && !Reason.USER_FORCE.code().equals(after.reason())) {
            throw ApiError.conflict("run " + id + " finished before the force stop: " + after.status());
        }
        return after;
    }

    /**
     * The worker's own terminal write. At most once: a repeated or racing finish (or one that lost to
     * a timeout) changes nothing and returns the run as it is. A finish for an older attempt is a 409.
     * The API has checked the request's attempt and error ({@code Requests#finish}).
     */
    public RunRow finish(String workspace, String actor, String id, RunViews.Finish request) {
        if (request.outcome() == null || !request.outcome().isTerminal() || request.outcome() == RunStatus.TIMED_OUT) {
            throw ApiError.badRequest("outcome must be one of SUCCEEDED, FAILED, ABORTED");
        }
        RunRow run = get(workspace, id);
        if (request.attempt() != null && request.attempt() != run.attempt()) {
            metrics.ignored("stale_finish");
            throw ApiError.conflict("attempt " + request.attempt() + " of run " + id + " is not its current attempt ("
                    + run.attempt() + ")");
        }
        Reason reason = switch (request.outcome()) {
            case SUCCEEDED -> Reason.COMPLETED;
            case FAILED -> Reason.ERROR;
            default -> Reason.USER_STOP;
        };
        return finalize(run, request.outcome(), reason, request.error(), actor, "finished");
    }

    /**
     * The one terminal write, shared by finish and timeouts: a guarded update, then RunFinished and
     * the audit record in the same transaction. Returns the run as it is afterwards.
     */
    public RunRow finalize(RunRow run, RunStatus status, Reason reason, String error, String actor, String action) {
        return logged(run.id(), run.workspace(), () -> tx.executeWrite(txStatus -> {
            int updated = runs.finish(run.id(), run.attempt(), status.name(), reason.code(), error, now());
            RunRow current = runs.findById(run.id()).orElseThrow();
            if (updated == 0) {
                metrics.ignored("already_terminal");
                LOG.debug("{} of attempt {} changed nothing: run is {} at attempt {}", action, run.attempt(),
                        current.status(), current.attempt());
                return current;
            }
            outbox.publish(RunFinished.of(run.id().toString(), run.attempt(), run.workspace(), run.key(), status, reason,
                    error, cleanupOf(run)));
            audit.record(run.id(), run.workspace(), run.attempt(), action, run.status().name(), status.name(),
                    reason.code(), actor, error);
            metrics.finalized(reason);
            LOG.info("run {} by {}: {} ({})", action, actor, status, reason.code());
            return current;
        }));
    }

    /** PENDING → RUNNING on the attempt's first heartbeat, announced as RunStarted. */
    public void started(UUID id, int attempt, String agentId, Instant heartbeatAt) {
        tx.executeWrite(status -> {
            if (runs.start(id, attempt, heartbeatAt, now()) == 1) {
                RunRow run = runs.findById(id).orElseThrow();
                outbox.publish(RunStarted.of(id.toString(), attempt, agentId));
                audit.record(id, run.workspace(), attempt, "started", RunStatus.PENDING.name(), run.status().name(),
                        null, "vigil:sweeper", "first heartbeat at " + heartbeatAt);
            } else {
                metrics.ignored("stale_start");
            }
            return null;
        });
    }

    /** Re-sends a stop that timed out while the agent lives; the sweeper re-arms the stop timeout. */
    public RunRow resendStop(RunRow run, int stopAttempt, String actor) {
        return logged(run.id(), run.workspace(), () -> tx.executeWrite(status -> {
            if (runs.resendStop(run.id(), run.attempt(), stopAttempt, now()) == 0) {
                metrics.ignored("stale_stop_timeout");
                return runs.findById(run.id()).orElseThrow();
            }
            int next = stopAttempt + 1;
            outbox.publish(RunStopRequested.of(run.id().toString(), run.attempt(), next, actor, run.agentId()));
            outbox.publish(StopRun.of(run.id().toString(), run.attempt(), run.workspace(), run.agentId(), next, actor));
            audit.record(run.id(), run.workspace(), run.attempt(), "stop_resent", RunStatus.TERMINATING.name(),
                    RunStatus.TERMINATING.name(), Reason.STOP_TIMEOUT.code(), actor,
                    "stop " + stopAttempt + " timed out while the agent was alive; sent stop " + next);
            LOG.warn("stop {} timed out while the agent is alive; re-sent as stop {}", stopAttempt, next);
            return runs.findById(run.id()).orElseThrow();
        }));
    }

    static RunTimeouts timeoutsOf(RunRow run) {
        return new RunTimeouts(Duration.ofMillis(run.heartbeatTimeoutMs()), Duration.ofMillis(run.startTimeoutMs()),
                Duration.ofMillis(run.stopTimeoutMs()), Duration.ofMillis(run.maxDurationMs()));
    }

    public static CleanupTarget cleanupOf(RunRow run) {
        if (run.cleanupNamespace() == null) {
            return null;
        }
        try {
            Map<String, String> labels = JSON.readValue(run.cleanupLabels(), new TypeReference<Map<String, String>>() { });
            return new CleanupTarget(run.cleanupNamespace(), labels);
        } catch (Exception e) {
            throw new IllegalStateException("run " + run.id() + " has unreadable cleanup labels", e);
        }
    }

    static UUID parseId(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("run id '" + (id.length() > 64 ? id.substring(0, 64) + "..." : id)
                    + "' is not a UUID");
        }
    }

    /** The request, checked, with defaults filled in. */
    private record Validated(RunTimeouts timeouts, RunViews.Cleanup cleanup) {
        /**
         * The run's cleanup target: its own label, managed-by and its workspace label, plus the caller's
         * labels, which can only narrow it ({@link Labels#selector}); a reserved key is refused.
         */
        CleanupTarget cleanup(UUID id, String workspace, String labelKey) {
            if (cleanup == null) {
                return null;
            }
            try {
                return new CleanupTarget(cleanup.namespace(),
                        Labels.selector(labelKey, id.toString(), workspace, cleanup.labels()));
            } catch (IllegalArgumentException reserved) {
                throw new InvalidEventException(reserved.getMessage());
            }
        }
    }

    private Validated validate(String workspace, RunViews.CreateRun request) {
        if (request.key() == null || request.key().isBlank() || request.key().length() > MAX_KEY_LENGTH) {
            throw ApiError.badRequest("key is required: 1-" + MAX_KEY_LENGTH + " characters naming the one-active-run slot");
        }
        if (request.kind() != null && request.kind().length() > MAX_KEY_LENGTH) {
            throw ApiError.badRequest("kind must be at most " + MAX_KEY_LENGTH + " characters");
        }
        RunViews.Timeouts t = request.timeouts() == null ? new RunViews.Timeouts(null, null, null, null) : request.timeouts();
        RunTimeouts timeouts = new RunTimeouts(
                bounded("timeouts.heartbeat", t.heartbeat(), settings.getDefaultHeartbeatTimeout(), settings.getMaxTimeout()),
                bounded("timeouts.start", t.start(), settings.getDefaultStartTimeout(), settings.getMaxTimeout()),
                bounded("timeouts.stop", t.stop(), settings.getDefaultStopTimeout(), settings.getMaxTimeout()),
                bounded("timeouts.maxDuration", t.maxDuration(), settings.getDefaultMaxDuration(), settings.getMaxMaxDuration()));
        try {
            if (request.agentId() != null) {
                dev.vigil.contracts.event.Check.id(request.agentId(), "agentId");
            }
            Validated valid = new Validated(timeouts, request.cleanup());
            valid.cleanup(UUID.randomUUID(), workspace, settings.getRunLabelKey());
            return valid;
        } catch (InvalidEventException e) {
            throw ApiError.badRequest(e.getMessage());
        }
    }

    private Duration bounded(String field, String value, Duration fallback, Duration max) {
        Duration d;
        try {
            d = value == null ? fallback : Duration.parse(value);
        } catch (java.time.format.DateTimeParseException e) {
            throw ApiError.badRequest(field + ": '" + value + "' is not an ISO-8601 duration such as PT30S or PT2H");
        }
        if (d.compareTo(settings.getMinTimeout()) < 0 || d.compareTo(max) > 0) {
            throw ApiError.badRequest(field + " must be between " + settings.getMinTimeout() + " and " + max + ", was " + d);
        }
        return d;
    }

    private static String labels(Map<String, String> labels) {
        try {
            return JSON.writeValueAsString(labels);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean violates(Throwable e, String constraint) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && "23505".equals(sql.getSQLState())
                    && String.valueOf(sql.getMessage()).contains(constraint)) {
                return true;
            }
        }
        return false;
    }

    static <T> T logged(UUID runId, String workspace, Supplier<T> work) {
        try (MDC.MDCCloseable r = MDC.putCloseable("runId", runId.toString());
             MDC.MDCCloseable w = MDC.putCloseable("workspace", workspace)) {
            return work.get();
        }
    }

    /** Microsecond precision, as PostgreSQL stores it, so what we return equals what we read back. */
    static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS);
    }
}
