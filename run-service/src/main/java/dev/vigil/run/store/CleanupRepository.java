package dev.vigil.run.store;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** What the cleaner reported doing to each run's resources ({@code vigil.cleanups}), stored once per event. */
@JdbcRepository(dialect = Dialect.POSTGRES)
public interface CleanupRepository extends GenericRepository<CleanupRow, String> {

    /** Stores one cleanup; 0 if its event was stored before (a duplicate or a redelivery). */
    @Query("""
            insert into run_cleanups (event_id, run_id, workspace, attempt, namespace, kind, name, outcome, triggered_by,
                                      detail, occurred_at)
            values (:eventId, :runId, :workspace, :attempt, :namespace, :kind, :name, :outcome, :triggeredBy,
                    :detail, :occurredAt)
            on conflict (event_id) do nothing""")
    int record(String eventId, UUID runId, String workspace, int attempt, String namespace, String kind, String name,
               String outcome, String triggeredBy, @Nullable String detail, Instant occurredAt);

    @Query("select * from run_cleanups where run_id = :runId and workspace = :workspace order by occurred_at, event_id")
    List<CleanupRow> findByRun(UUID runId, String workspace);
}
