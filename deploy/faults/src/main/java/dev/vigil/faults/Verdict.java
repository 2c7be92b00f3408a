package dev.vigil.faults;

import dev.vigil.contracts.Labels;
import dev.vigil.contracts.VigilHeaders;
import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.event.RunEvent;
import dev.vigil.contracts.event.RunFinished;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.faults.Workload.Fate;
import dev.vigil.faults.Workload.Planned;
import dev.vigil.local.LocalStack;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Compares what Vigil did with the ground truth — the planned fates — once the system is quiet: from the
 * database, the topics ({@code run-events}, {@code timeouts}, {@code cleanups}, the dead letters) and
 * the Kubernetes API. Each count is a row of the {@link Report}; the details are its findings.
 */
final class Verdict {

    private final LocalStack stack;
    private final KubernetesClient kubernetes;
    private final HarnessErrors harness;
    private final BrokerRecords topics;
    private final WebhookWitness webhooks;
    private final List<String> findings = Collections.synchronizedList(new ArrayList<>());
    private long redeliveries;

    Verdict(LocalStack stack, KubernetesClient kubernetes, HarnessErrors harness, WebhookWitness webhooks) {
        this.stack = stack;
        this.kubernetes = kubernetes;
        this.harness = harness;
        this.webhooks = webhooks;
        this.topics = new BrokerRecords(stack, harness);
    }

    /** Waits (up to {@link Workload#FINALIZED_WITHIN}) until every planned run is terminal at its planned attempt and nothing is leaked. */
    void awaitQuiescence(List<Planned> runs) throws Exception {
        long deadline = System.currentTimeMillis() + Workload.FINALIZED_WITHIN.toMillis();
        while (System.currentTimeMillis() < deadline) {
            Map<String, DbRun> rows = dbRuns();
            boolean settled = runs.stream().allMatch(r -> r.id != null && rows.containsKey(r.id)
                    && isTerminal(rows.get(r.id).status) && rows.get(r.id).attempt >= r.expectedAttempt());
            if (settled && leakedResources(rows).isEmpty() && pendingWebhooks() == 0) {
                break;
            }
            Thread.sleep(2_000);
        }
        Thread.sleep(5_000); // let late duplicates, if any, arrive before counting
    }

    Report count(FaultSuite.Profile profile, List<Planned> runs, FaultSchedule faults, Poison poison,
                 HarnessErrors harness, String hostile, long elapsedMs) throws Exception {
        Map<String, DbRun> rows = dbRuns();
        int lost = 0;
        int falseTimeouts = 0;
        int wrongOutcome = 0;
        int webhooksLost = 0;
        List<Long> delays = new ArrayList<>();
        List<Long> brokerDownDelays = new ArrayList<>();
        List<long[]> brokerDown = faults.brokerDown();
        for (Planned run : runs) {
            DbRun row = run.id == null ? null : rows.get(run.id);
            if (row == null || !isTerminal(row.status) || row.attempt < run.expectedAttempt()) {
                lost++;
                findings.add("lost: " + run.fate + " " + run.key + " " + row);
                continue;
            }
            if (!webhooks.toldEnd(run.id, row.attempt)) {
                webhooksLost++;
                findings.add("webhook lost: the end of " + run.key + " (" + run.id + " attempt " + row.attempt + ", "
                        + row.status + ") was never told");
            }
            if (run.fate == Fate.STALLS && !run.endedWhileBeating) {
                wrongOutcome++; // it heartbeat for FINALIZED_WITHIN with its progress stuck, and nothing came of it
                findings.add("stall not detected: " + run.key + " (" + run.id + ") ended " + row.status + "/"
                        + row.reason + " only after its worker stopped beating");
                continue;
            }
            if (run.fate == Fate.STALLS && row.finishedAt != null && row.finishedAt.toEpochMilli() < run.diedAt) {
                String late = topics.lateWorker(run.id, row.attempt, row.reason);
                if (late != null) {
                    harness.add("workload " + run.fate + " " + run.key, new IllegalStateException(late));
                } else {
                    falseTimeouts++; // finalized while its progress still moved
                    findings.add("false: " + run.key + " (" + run.id + ") ended " + row.status + "/" + row.reason
                            + " before its progress stopped");
                }
                continue;
            }
            boolean wrongReason = run.expectedReason() != null && run.expected().contains(row.status)
                    && !run.expectedReason().equals(row.reason);
            if (!run.expected().contains(row.status) || wrongReason) {
                String late = "TIMED_OUT".equals(row.status) ? topics.lateWorker(run.id, row.attempt, row.reason) : null;
                if (late != null) {
                    harness.add("workload " + run.fate + " " + run.key, new IllegalStateException(late));
                    continue;
                }
                if ("TIMED_OUT".equals(row.status)) {
                    falseTimeouts++;
                } else {
                    wrongOutcome++;
                }
                findings.add("unexpected: " + run.fate + " " + run.key + " (" + run.id + ") ended " + row.status + "/"
                        + row.reason);
            }
            if (run.diedAt > 0 && row.finishedAt != null) {
                long due = run.diedAt + run.dueAfterDeath().toMillis();
                delays.add(row.finishedAt.toEpochMilli() - due);
                if (brokerDown.stream().anyMatch(window -> due >= window[0] && due <= window[1])) {
                    brokerDownDelays.add(row.finishedAt.toEpochMilli() - due);
                }
            }
            if (run.fate == Fate.ZOMBIE_AFTER_RETRY && run.zombieFinishStatus != 409) {
                findings.add("zombie finish of " + run.key + " answered " + run.zombieFinishStatus);
                wrongOutcome++;
            }
        }
        long auditDoubles = terminalWritesOverOne();
        if (auditDoubles > 0) {
            findings.add(auditDoubles + " run attempt(s) with more than one terminal write in run_audit");
        }
        List<ConsumerRecord<String, RunEvent>> runEvents = topics.all(stack.topics().runEvents().name(),
                BrokerRecords.lenient(stack.topics().runEvents().valueSerde().deserializer()));
        long doubles = auditDoubles + doubleRunFinished(runEvents);
        List<String> leaked = leakedResources(rows);
        leaked.forEach(l -> findings.add("leaked: " + l));
        long wronglyDeleted = wronglyDeleted(runs, runEvents);
        Collections.sort(delays);
        Collections.sort(brokerDownDelays);
        List<String> played = faults.played();
        return new Report(profile, runs.size(), lost, falseTimeouts, wrongOutcome, doubles, redeliveries,
                duplicateTimeouts(), leaked.size(), wronglyDeleted, poison.sent(), deadLettered(), faults.crashes(),
                delays, brokerDownDelays, faults.planned(), played, harness.list(), hostile, List.copyOf(findings), elapsedMs,
                new Report.Webhooks(webhooksLost, webhooks.badlySigned(), webhooks.redelivered(), webhooks.refused()));
    }

    record DbRun(String id, int attempt, String status, String reason, Instant finishedAt) {
    }

    private Map<String, DbRun> dbRuns() {
        Map<String, DbRun> rows = new HashMap<>();
        try (Connection c = connect();
             ResultSet rs = c.createStatement().executeQuery(
                     "select id, attempt, status, reason, finished_at from runs where workspace = '" + Workload.WORKSPACE + "'")) {
            while (rs.next()) {
                rows.put(rs.getString(1), new DbRun(rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4),
                        rs.getTimestamp(5) == null ? null : rs.getTimestamp(5).toInstant()));
            }
        } catch (Exception databaseRestarting) {
            return rows;
        }
        return rows;
    }

    private Connection connect() throws Exception {
        return DriverManager.getConnection(stack.postgres().jdbcUrl(), stack.postgres().username(), stack.postgres().password());
    }

    /** Webhook deliveries still to be made (a retry waiting, or one in flight); -1 while the database is away. */
    private long pendingWebhooks() {
        try (Connection c = connect();
             ResultSet rs = c.createStatement().executeQuery(
                     "select count(*) from webhook_deliveries where status = 'PENDING'")) {
            rs.next();
            return rs.getLong(1);
        } catch (Exception databaseRestarting) {
            return -1;
        }
    }

    private long terminalWritesOverOne() throws Exception {
        try (Connection c = connect();
             ResultSet rs = c.createStatement().executeQuery("""
                     select count(*) from (select run_id, attempt from run_audit
                       where workspace = 'faults' and action in ('finished', 'timed_out', 'force_terminated', 'force_stopped')
                       group by run_id, attempt having count(*) > 1) doubled""")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private List<String> leakedResources(Map<String, DbRun> rows) {
        List<String> leaked = new ArrayList<>();
        Stream.concat(kubernetes.apps().deployments().inNamespace(Workload.NAMESPACE).list().getItems().stream(),
                kubernetes.services().inNamespace(Workload.NAMESPACE).list().getItems().stream()).forEach(resource -> {
                    String run = resource.getMetadata().getLabels().get(Labels.DEFAULT_RUN_LABEL);
                    DbRun row = run == null ? null : rows.get(run);
                    if (row != null && isTerminal(row.status)) {
                        leaked.add(resource.getKind() + "/" + resource.getMetadata().getName());
                    }
                });
        return leaked;
    }

    /**
     * Run attempts with more than one RunFinished event (distinct event ids). The outbox publishes at
     * least once: a relay killed between the broker's ack and its database commit sends the same
     * event again, which consumers dedupe; such redeliveries are counted apart.
     */
    private long doubleRunFinished(List<ConsumerRecord<String, RunEvent>> runEvents) {
        Map<String, Set<String>> events = new HashMap<>();
        for (ConsumerRecord<String, RunEvent> record : runEvents) {
            if (record.value() instanceof RunFinished f) {
                String attempt = f.runId() + "#" + f.attempt();
                if (!events.computeIfAbsent(attempt, a -> new HashSet<>()).add(f.eventId())) {
                    redeliveries++;
                }
            }
        }
        events.forEach((attempt, ids) -> {
            if (ids.size() > 1) {
                findings.add("double RunFinished for " + attempt + ": " + ids);
            }
        });
        return events.values().stream().filter(ids -> ids.size() > 1).count();
    }

    /**
     * Timeouts the sweepers emitted more than once for the same run attempt, reason and stop request
     * (distinct event ids): each must fire once, whatever restarts, rebalances and fences happened.
     * The suite's own duplicated timeout of {@value Poison#GHOST} is not counted.
     */
    private long duplicateTimeouts() {
        Map<String, Set<String>> fired = new HashMap<>();
        for (ConsumerRecord<String, RunTimedOut> record : topics.timeouts()) {
            RunTimedOut t = record.value();
            if (t == null || Poison.GHOST.equals(t.runId())) {
                continue;
            }
            fired.computeIfAbsent(t.runId() + "#" + t.attempt() + " " + t.reason().code() + " stop " + t.stopAttempt(),
                    k -> new HashSet<>()).add(t.eventId());
        }
        fired.forEach((what, ids) -> {
            if (ids.size() > 1) {
                findings.add("duplicate RunTimedOut for " + what + ": " + ids.size());
            }
        });
        return fired.values().stream().filter(ids -> ids.size() > 1).count();
    }

    /** Neighbours gone, or a run's resources deleted for an attempt before that attempt ended. */
    private long wronglyDeleted(List<Planned> runs, List<ConsumerRecord<String, RunEvent>> runEvents) {
        long wrong = 0;
        for (Planned run : runs) {
            if (run.id == null || !run.hasNeighbours()) {
                continue;
            }
            String name = run.resourceName();
            wrong += missing("ConfigMap", Workload.NAMESPACE, "neighbour-session-" + name);
            wrong += missing("ConfigMap", Workload.NAMESPACE, "neighbour-managed-" + name);
            wrong += missing("ConfigMap", "elsewhere", "neighbour-elsewhere-" + name);
        }
        Map<String, Long> finishedAt = new HashMap<>();
        for (ConsumerRecord<String, RunEvent> record : runEvents) {
            if (record.value() instanceof RunFinished f) {
                finishedAt.putIfAbsent(f.runId() + "#" + f.attempt(), record.timestamp());
            }
        }
        Set<String> attempt2Resources = new HashSet<>();
        for (Planned run : runs) {
            if (run.fate == Fate.ZOMBIE_AFTER_RETRY && run.id != null) {
                attempt2Resources.add(run.attempt2ResourceName());
            }
        }
        for (ConsumerRecord<String, CleanupPerformed> record : topics.all(stack.topics().cleanups().name(),
                BrokerRecords.lenient(stack.topics().cleanups().valueSerde().deserializer()))) {
            CleanupPerformed cleanup = record.value();
            if (cleanup == null || !"DELETED".equals(cleanup.outcome().name())) {
                continue;
            }
            Long ended = finishedAt.get(cleanup.runId() + "#" + cleanup.attempt());
            if (ended == null || record.timestamp() < ended
                    || (attempt2Resources.contains(cleanup.name()) && cleanup.attempt() < 2)) {
                wrong++;
                findings.add("wrongly deleted: " + cleanup);
            }
        }
        return wrong;
    }

    private int missing(String kind, String namespace, String name) {
        HasMetadata found = kubernetes.configMaps().inNamespace(namespace).withName(name).get();
        if (found == null) {
            findings.add("wrongly deleted: neighbour " + kind + " " + namespace + "/" + name);
            return 1;
        }
        return 0;
    }

    /** Dead-lettered records by source topic and consumer. */
    private Map<String, Integer> deadLettered() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (ConsumerRecord<String, byte[]> record : topics.all(stack.topics().deadLetters().name(), new ByteArrayDeserializer())) {
            String source = header(record, VigilHeaders.DLQ_SOURCE_TOPIC);
            String consumer = header(record, VigilHeaders.DLQ_CONSUMER);
            counts.merge(source + " by " + consumer, 1, Integer::sum);
        }
        return counts;
    }

    private static String header(ConsumerRecord<?, ?> record, String key) {
        var header = record.headers().lastHeader(key);
        return header == null ? "?" : new String(header.value(), StandardCharsets.UTF_8);
    }

    static boolean isTerminal(String status) {
        return Set.of("SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT").contains(status);
    }
}
