package dev.vigil.run;

import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunStatus;
import dev.vigil.run.outbox.OutboxRepository;
import dev.vigil.run.store.RunRepository;
import dev.vigil.run.store.StatusCount;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * run-service's Prometheus metrics: runs by status, runs stuck TERMINATING past their stop timeout
 * (the seeds' {@code sessions_stuck_terminating}), finalizations by reason, outbox lag and blocked
 * rows, and records that changed nothing. Database-backed gauges refresh every 5 s.
 */
@Singleton
public class RunMetrics {

    private static final Logger LOG = LoggerFactory.getLogger(RunMetrics.class);

    private final MeterRegistry registry;
    private final RunRepository runs;
    private final OutboxRepository outbox;
    private final Map<RunStatus, AtomicLong> byStatus = new EnumMap<>(RunStatus.class);
    private final AtomicLong stuckTerminating = new AtomicLong();
    private final AtomicLong outboxPending = new AtomicLong();
    private final AtomicLong outboxBlocked = new AtomicLong();
    private final AtomicLong outboxLagMs = new AtomicLong();
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public RunMetrics(MeterRegistry registry, RunRepository runs, OutboxRepository outbox) {
        this.registry = registry;
        this.runs = runs;
        this.outbox = outbox;
        for (RunStatus status : RunStatus.values()) {
            AtomicLong value = new AtomicLong();
            byStatus.put(status, value);
            Gauge.builder("vigil.runs", value, AtomicLong::get).tag("status", status.name())
                    .description("runs by status").register(registry);
        }
        Gauge.builder("vigil.runs.stuck.terminating", stuckTerminating, AtomicLong::get)
                .description("runs TERMINATING longer than their stop timeout").register(registry);
        Gauge.builder("vigil.outbox.pending", outboxPending, AtomicLong::get)
                .description("outbox rows waiting to be published").register(registry);
        Gauge.builder("vigil.outbox.blocked", outboxBlocked, AtomicLong::get)
                .description("outbox rows that failed too often and wait for an operator").register(registry);
        Gauge.builder("vigil.outbox.lag", outboxLagMs, AtomicLong::get).baseUnit("milliseconds")
                .description("age of the oldest unpublished outbox row").register(registry);
    }

    public void finalized(Reason reason) {
        counter("vigil.runs.finalized", "reason", reason.code()).increment();
    }

    /** A run flagged but left live ({@code onStall: flag}): {@code vigil_runs_flagged_total{reason}}. */
    public void flagged(Reason reason) {
        counter("vigil.runs.flagged", "reason", reason.code()).increment();
    }

    /** A live run warned that its max duration runs out soon: {@code vigil_runs_deadline_warned_total}. */
    public void deadlineWarned() {
        counter("vigil.runs.deadline.warned").increment();
    }

    /** Something that changed nothing: a stale attempt, a repeated finish, a late timeout. */
    public void ignored(String why) {
        counter("vigil.runs.ignored", "why", why).increment();
    }

    public void deadLettered(String topic) {
        counter("vigil.run.service.dead.letters", "topic", topic).increment();
    }

    /** A record whose data the database refused (SQLSTATE class 22 or 23), dead-lettered and skipped. */
    public void poisonRecord(String topic, String sqlState) {
        counter("vigil.run.service.poison.records", "topic", topic, "sqlstate", sqlState).increment();
    }

    /** A dead letter that could not be sent: its record is retried, nothing after it committed. */
    public void deadLetterFailed(String topic) {
        counter("vigil.run.service.dead.letter.failures", "topic", topic).increment();
    }

    /** A webhook delivery attempt: {@code vigil_webhooks_attempts_total{outcome=delivered|retrying|failed}}. */
    public void webhookAttempt(String outcome) {
        counter("vigil.webhooks.attempts", "outcome", outcome).increment();
    }

    public void outboxBlocked() {
        counter("vigil.outbox.blocked.rows", "state", "blocked").increment();
    }

    /** The count of a counter with these tags (name, value, name, value...), 0 if never incremented. */
    public double count(String name, String... tags) {
        Counter counter = counters.get(name + "|" + String.join("|", tags));
        return counter == null ? 0 : counter.count();
    }

    private Counter counter(String name, String... tags) {
        return counters.computeIfAbsent(name + "|" + String.join("|", tags),
                k -> Counter.builder(name).tags(tags).register(registry));
    }

    /** Refreshes the database-backed gauges. */
    @Scheduled(fixedDelay = "5s", initialDelay = "1s")
    void refresh() {
        try {
            read();
        } catch (RuntimeException e) {
            // The gauges keep their last values; the database's own health says it is down.
            LOG.warn("could not refresh the run gauges: {}", e.toString());
        }
    }

    private void read() {
        byStatus.values().forEach(v -> v.set(0));
        for (StatusCount count : runs.countByStatus()) {
            byStatus.get(RunStatus.valueOf(count.status())).set(count.runs());
        }
        stuckTerminating.set(runs.countStuckTerminating());
        outboxPending.set(outbox.pending());
        outboxBlocked.set(outbox.blocked());
        Instant oldest = outbox.oldestPending();
        outboxLagMs.set(oldest == null ? 0 : Math.max(0, Duration.between(oldest, Instant.now()).toMillis()));
    }
}
