package dev.vigil.run.webhook;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Subscriptions, deliveries and their attempts. Every read and write of a subscription names its workspace. */
@JdbcRepository(dialect = Dialect.POSTGRES)
public interface WebhookRepository extends GenericRepository<WebhookRow, UUID> {

    @Query("""
            insert into webhook_subscriptions (id, workspace, url, event_types, key_filter, enabled, secret, created_at,
                                               updated_at)
            values (:id, :workspace, :url, :eventTypes, :keyFilter, :enabled, :secret, :now, :now)""")
    void insert(UUID id, String workspace, String url, String eventTypes, @Nullable String keyFilter, boolean enabled,
                String secret, Instant now);

    @Query("select * from webhook_subscriptions where id = :id and workspace = :workspace")
    Optional<WebhookRow> find(UUID id, String workspace);

    @Query("select * from webhook_subscriptions where workspace = :workspace order by created_at, id")
    List<WebhookRow> list(String workspace);

    @Query("select count(*) from webhook_subscriptions where workspace = :workspace")
    long count(String workspace);

    @Query("select * from webhook_subscriptions where id in (:ids)")
    List<WebhookRow> findAll(Collection<UUID> ids);

    @Query("""
            update webhook_subscriptions set url = :url, event_types = :eventTypes, key_filter = :keyFilter,
                                             enabled = :enabled, updated_at = :now
            where id = :id and workspace = :workspace""")
    int update(UUID id, String workspace, String url, String eventTypes, @Nullable String keyFilter, boolean enabled,
               Instant now);

    @Query("""
            update webhook_subscriptions set previous_secret = secret, previous_secret_until = :previousUntil,
                                             secret = :secret, updated_at = :now
            where id = :id and workspace = :workspace""")
    int rotate(UUID id, String workspace, String secret, Instant previousUntil, Instant now);

    @Query("delete from webhook_subscriptions where id = :id and workspace = :workspace")
    int delete(UUID id, String workspace);

    /**
     * One delivery of the change, to each enabled subscription of the run's workspace that wants the event type and,
     * if it filters by key, names the run's key. Called in the transaction of the change.
     */
    @Query("""
            insert into webhook_deliveries (message_id, subscription_id, workspace, run_id, event_type, payload, status,
                                            next_attempt_at, retry_until, created_at)
            select :messageId, s.id, s.workspace, :runId, :eventType, :payload, 'PENDING', :now, :retryUntil, :now
            from webhook_subscriptions s
            where s.workspace = :workspace and s.enabled
              and (s.event_types = '*' or :eventType = any(string_to_array(s.event_types, ',')))
              and (s.key_filter is null or s.key_filter = :key)""")
    int enqueue(String messageId, String workspace, UUID runId, String key, String eventType, String payload,
                Instant now, Instant retryUntil);

    /**
     * Claims up to {@code limit} due deliveries of enabled subscriptions: only the oldest pending one of each run and
     * subscription (so a run's events arrive in order; the ones behind it are kept not due while it waits), none
     * another dispatcher holds. {@link #lock} then holds them.
     */
    @Query("""
            select d.* from webhook_deliveries d
            where d.status = 'PENDING' and d.next_attempt_at <= :now and (d.locked_until is null or d.locked_until < :now)
              and exists (select 1 from webhook_subscriptions s where s.id = d.subscription_id and s.enabled)
              and not exists (select 1 from webhook_deliveries p where p.subscription_id = d.subscription_id
                              and p.run_id = d.run_id and p.status = 'PENDING' and p.id < d.id)
            order by d.next_attempt_at, d.id
            limit :limit
            for update of d skip locked""")
    List<DeliveryRow> due(Instant now, int limit);

    /** Holds claimed deliveries until {@code until}; a first attempt starts its retry window ({@code retryUntil}). */
    @Query("""
            update webhook_deliveries set locked_until = :until, attempts = attempts + 1,
                                          retry_until = case when attempts = 0 then :retryUntil else retry_until end
            where id in (:deliveryIds)""")
    void lock(Collection<Long> deliveryIds, Instant until, Instant retryUntil);

    /** The deliveries behind {@code deliveryId} (same run and subscription) wait as long as it does. */
    @Query("""
            update webhook_deliveries set next_attempt_at = :at
            where subscription_id = :subscriptionId and run_id = :runId and status = 'PENDING' and id > :deliveryId
              and next_attempt_at < :at""")
    void holdFollowers(UUID subscriptionId, UUID runId, long deliveryId, Instant at);

    /** ... and are due at once when it is out of the way. */
    @Query("""
            update webhook_deliveries set next_attempt_at = :now
            where subscription_id = :subscriptionId and run_id = :runId and status = 'PENDING' and id > :deliveryId
              and next_attempt_at > :now""")
    void releaseFollowers(UUID subscriptionId, UUID runId, long deliveryId, Instant now);

    /** Forgets delivered and failed deliveries (and their attempts) created before {@code before}. */
    @Query("delete from webhook_deliveries where status <> 'PENDING' and created_at < :before")
    int forget(Instant before);

    @Query("""
            update webhook_deliveries set status = 'DELIVERED', delivered_at = :now, locked_until = null,
                                          last_status = :statusCode, last_error = null, last_latency_ms = :latencyMs
            where id = :deliveryId""")
    void delivered(long deliveryId, int statusCode, int latencyMs, Instant now);

    @Query("""
            update webhook_deliveries set status = :status, next_attempt_at = :retryAt, locked_until = null,
                                          last_status = :statusCode, last_error = :error, last_latency_ms = :latencyMs
            where id = :deliveryId""")
    void failed(long deliveryId, String status, Instant retryAt, @Nullable Integer statusCode, @Nullable String error,
                int latencyMs);

    @Query("""
            insert into webhook_attempts (delivery_id, attempt, at, status_code, error, latency_ms)
            values (:deliveryId, :attempt, :at, :statusCode, :error, :latencyMs)""")
    void attempted(long deliveryId, int attempt, Instant at, @Nullable Integer statusCode, @Nullable String error,
                   int latencyMs);

    @Query("update webhook_subscriptions set failing_since = coalesce(failing_since, :now) where id = :id")
    void failing(UUID id, Instant now);

    @Query("update webhook_subscriptions set failing_since = null where id = :id and failing_since is not null")
    void healthy(UUID id);

    /** The subscription's deliveries, newest first, before {@code beforeId} (a page). */
    @Query("""
            select * from webhook_deliveries where subscription_id = :subscriptionId and id < :beforeId
            order by id desc limit :limit""")
    List<DeliveryRow> deliveries(UUID subscriptionId, long beforeId, int limit);

    @Query("select * from webhook_attempts where delivery_id in (:deliveryIds) order by delivery_id, attempt")
    List<AttemptRow> attempts(Collection<Long> deliveryIds);

    /** Failed deliveries back to pending, due now: the replay after the receiver is fixed. */
    @Query("""
            update webhook_deliveries set status = 'PENDING', next_attempt_at = :now, retry_until = :retryUntil,
                                          locked_until = null
            where subscription_id = :subscriptionId and status = 'FAILED'""")
    int replay(UUID subscriptionId, Instant now, Instant retryUntil);

    @Query("select count(*) from webhook_deliveries where status = 'PENDING'")
    long pending();
}
