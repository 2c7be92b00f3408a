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
}
