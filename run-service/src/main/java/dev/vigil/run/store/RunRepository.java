package dev.vigil.run.store;

import dev.vigil.run.Stuck;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Reads and guarded writes of runs. Every state change is a conditional UPDATE that names the states
 * it may leave (and the attempt it applies to), so a terminal write happens at most once: the loser
 * of any race updates nothing and learns the current state instead.
 */
@JdbcRepository(dialect = Dialect.POSTGRES)
public interface RunRepository extends GenericRepository<RunRow, UUID> {

    /**
     * The SQL twin of {@link dev.vigil.run.Stuck#of}: an active run whose current timeout has passed at
     * {@code :now} without the sweeper timing it out. Keep the two in step ({@code StuckTest} checks
     * them against each other).
     */
    String STUCK = "((status = 'PENDING' and attempt_created_at + start_timeout_ms * interval '1 millisecond' < :now)"
            + " or (status = 'RUNNING' and coalesce(last_heartbeat_at, started_at)"
            + " + heartbeat_timeout_ms * interval '1 millisecond' + interval '" + Stuck.REPORTING_SLACK_SECONDS
            + " seconds' < :now)"
            + " or (status = 'RUNNING' and stalled_at is not null)"
            + " or (status = 'TERMINATING' and stop_requested_at + stop_timeout_ms * interval '1 millisecond' < :now))";

    /** In {@link #progress}: whether the report moves the stored progress (a null part leaves its part as it is). */
    String MOVED = "(coalesce(:steps, steps) is distinct from steps"
            + " or coalesce(:message, progress_message) is distinct from progress_message)";

    RunRow save(RunRow run);

    Optional<RunRow> findById(UUID id);

    Optional<RunRow> findByIdAndWorkspace(UUID id, String workspace);

    @Query("""
            select * from runs
            where workspace = :workspace and run_key = :key and status in ('PENDING', 'RUNNING', 'TERMINATING')
            limit 1""")
    Optional<RunRow> findActive(String workspace, String key);

    /** A page of a workspace's runs, newest first; {@code stuckOnly} keeps those {@link #STUCK} at {@code now}. */
    @Query("select * from runs where workspace = :workspace"
            + " and (cast(:key as text) is null or run_key = :key)"
            + " and (cast(:status as text) is null or status = :status)"
            + " and (created_at, id) < (:beforeCreatedAt, :beforeId)"
            + " and (:stuckOnly = false or " + STUCK + ")"
            + " order by created_at desc, id desc limit :limit")
    List<RunRow> page(String workspace, @Nullable String key, @Nullable String status, Instant beforeCreatedAt,
                      UUID beforeId, boolean stuckOnly, Instant now, int limit);

    /** PENDING/RUNNING → TERMINATING, first stop request of the attempt (never of a newer one). */
    @Query("""
            update runs set status = 'TERMINATING', stop_requested_at = :now, stop_attempts = 1, updated_at = :now
            where id = :id and attempt = :attempt and status in ('PENDING', 'RUNNING')""")
    int requestStop(UUID id, int attempt, Instant now);

    /** Re-sends a stop: only for the stop request that timed out, while still TERMINATING. */
    @Query("""
            update runs set stop_requested_at = :now, stop_attempts = stop_attempts + 1, updated_at = :now
            where id = :id and attempt = :attempt and status = 'TERMINATING' and stop_attempts = :stopAttempt""")
    int resendStop(UUID id, int attempt, int stopAttempt, Instant now);

    /** The run's row, locked until the transaction ends (as a guarded update would lock it). */
    @Query("select * from runs where id = :id for update")
    Optional<RunRow> lock(UUID id);

    /** The terminal write: at most once per attempt, whoever races it. */
    @Query("""
            update runs set status = :status, reason = :reason, error = :error, finished_at = :now, updated_at = :now
            where id = :id and attempt = :attempt and status in ('PENDING', 'RUNNING', 'TERMINATING')""")
    int finish(UUID id, int attempt, String status, String reason, @Nullable String error, Instant now);

    /**
     * A new attempt of a run that ended without succeeding: PENDING again with everything of the
     * previous attempt cleared and its timeouts set. The partial unique index still allows one active run per key.
     */
    @Query("""
            update runs set attempt = attempt + 1, status = 'PENDING', reason = null, error = null, steps = null,
                            heartbeat_timeout_ms = :heartbeatMs, start_timeout_ms = :startMs, stop_timeout_ms = :stopMs,
                            max_duration_ms = :maxDurationMs, progress_timeout_ms = :progressMs, on_stall = :onStall,
                            warn_at = :warnAt, deadline_warned_at = null,
                            progress_message = null, heartbeats = 0, last_heartbeat_at = null, stop_attempts = 0,
                            started_at = null, stop_requested_at = null, finished_at = null, updated_at = :now,
                            attempt_created_at = :now, stalled_at = null, progress_changed_at = null
            where id = :id and status in ('FAILED', 'ABORTED', 'TIMED_OUT')""")
    int retry(UUID id, Instant now, long heartbeatMs, long startMs, long stopMs, long maxDurationMs,
              @Nullable Long progressMs, @Nullable String onStall, @Nullable Double warnAt);

    /** Notes the attempt's deadline warning: once, while it is live. */
    @Query("""
            update runs set deadline_warned_at = :dueAt, updated_at = :now
            where id = :id and attempt = :attempt and deadline_warned_at is null
              and status in ('PENDING', 'RUNNING', 'TERMINATING')""")
    int deadlineWarned(UUID id, int attempt, Instant dueAt, Instant now);

    /** PENDING → RUNNING on the attempt's first heartbeat (TERMINATING runs just record the start). */
    @Query("""
            update runs set status = case when status = 'PENDING' then 'RUNNING' else status end,
                            started_at = :startedAt, last_heartbeat_at = :startedAt, updated_at = :now
            where id = :id and attempt = :attempt and started_at is null
              and status in ('PENDING', 'TERMINATING')""")
    int start(UUID id, int attempt, Instant startedAt, Instant now);

    /**
     * The sweeper's summary of the attempt's heartbeats. Progress that moves ({@link #MOVED}) is stamped with the
     * report's heartbeat time and clears a flagged stall.
     */
    @Query("update runs set steps = coalesce(:steps, steps), progress_message = coalesce(:message, progress_message),"
            + " heartbeats = :heartbeats, last_heartbeat_at = :lastHeartbeatAt, updated_at = :now,"
            + " stalled_at = case when " + MOVED + " then null else stalled_at end,"
            + " progress_changed_at = case when " + MOVED + " then :lastHeartbeatAt else progress_changed_at end"
            + " where id = :id and attempt = :attempt and status in ('PENDING', 'RUNNING', 'TERMINATING')"
            + " and (last_heartbeat_at is null or last_heartbeat_at <= :lastHeartbeatAt)")
    int progress(UUID id, int attempt, @Nullable Long steps, @Nullable String message, long heartbeats,
                 Instant lastHeartbeatAt, Instant now);

    /**
     * A flagged stall of the attempt's progress, due at {@code dueAt}: once, while RUNNING, and not when a report
     * after it already moved the progress (the stall and the reports come on different topics).
     */
    @Query("""
            update runs set stalled_at = :dueAt, updated_at = :now
            where id = :id and attempt = :attempt and status = 'RUNNING' and stalled_at is null
              and (progress_changed_at is null or progress_changed_at <= :dueAt)""")
    int stalled(UUID id, int attempt, Instant dueAt, Instant now);

    @Query("select status, count(*) as runs from runs group by status")
    List<StatusCount> countByStatus();

    @Query("select status, count(*) as runs from runs where workspace = :workspace group by status")
    List<StatusCount> countByStatus(String workspace);

    /** The workspace's {@link #STUCK} runs at {@code now}, by status. */
    @Query("select status, count(*) as runs from runs where workspace = :workspace"
            + " and status in ('PENDING', 'RUNNING', 'TERMINATING') and " + STUCK + " group by status")
    List<StatusCount> countStuck(String workspace, Instant now);

    @Query("""
            select count(*) from runs where status = 'TERMINATING'
              and stop_requested_at + stop_timeout_ms * interval '1 millisecond' < now()""")
    long countStuckTerminating();
}
