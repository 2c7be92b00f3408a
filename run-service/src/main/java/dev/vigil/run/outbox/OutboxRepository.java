package dev.vigil.run.outbox;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.time.Instant;
import java.util.List;

/** The transactional outbox. */
@JdbcRepository(dialect = Dialect.POSTGRES)
public interface OutboxRepository extends GenericRepository<OutboxRow, Long> {

    @Query("""
            insert into outbox (topic, record_key, event_type, payload)
            values (:topic, :recordKey, :eventType, :payload)""")
    void append(String topic, String recordKey, String eventType, String payload);

    /**
     * Claims up to {@code limit} rows to send: only the oldest row of each key (so events of a run
     * go out in order even with several relays), skipping rows another relay holds.
     */
    @Query("""
            select o.* from outbox o
            where not o.blocked and o.next_attempt_at <= now()
              and not exists (select 1 from outbox p where p.record_key = o.record_key and p.id < o.id)
            order by o.id
            limit :limit
            for update of o skip locked""")
    List<OutboxRow> claim(int limit);

    @Query("delete from outbox where id = :id")
    void delete(long id);

    @Query("""
            update outbox set attempts = attempts + :penalty, last_error = :error,
                              next_attempt_at = :retryAt, blocked = attempts + :penalty >= :maxAttempts
            where id = :id""")
    void failed(long id, int penalty, String error, Instant retryAt, int maxAttempts);

    @Query("select count(*) from outbox where not blocked")
    long pending();

    @Query("select count(*) from outbox where blocked")
    long blocked();

    @Query("select min(created_at) from outbox where not blocked")
    @Nullable
    Instant oldestPending();
}
