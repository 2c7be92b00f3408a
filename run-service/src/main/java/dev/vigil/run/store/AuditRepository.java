package dev.vigil.run.store;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.util.UUID;

/** The audit trail: every transition of every run, who or what made it, and why. */
@JdbcRepository(dialect = Dialect.POSTGRES)
public interface AuditRepository extends GenericRepository<AuditRow, Long> {

    @Query("""
            insert into run_audit (run_id, workspace, attempt, action, from_status, to_status, reason, actor, detail)
            values (:runId, :workspace, :attempt, :action, :fromStatus, :toStatus, :reason, :actor, :detail)""")
    void record(UUID runId, String workspace, int attempt, String action, @Nullable String fromStatus,
                @Nullable String toStatus, @Nullable String reason, String actor, @Nullable String detail);

    java.util.List<AuditRow> findByRunIdOrderById(UUID runId);

    /** The run's changes after audit row {@code after}, oldest first (a run's rows commit in id order). */
    @Query("select * from run_audit where run_id = :runId and id > :after order by id limit 500")
    java.util.List<AuditRow> changes(UUID runId, long after);

    /** The changes of the workspace's runs of {@code key} after audit row {@code after}, oldest first. */
    @Query("""
            select a.* from run_audit a join runs r on r.id = a.run_id
            where r.workspace = :workspace and r.run_key = :key and a.id > :after
            order by a.id limit 500""")
    java.util.List<AuditRow> changesOfKey(String workspace, String key, long after);
}
