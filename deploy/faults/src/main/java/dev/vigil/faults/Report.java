package dev.vigil.faults;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What the fault suite counted, and the table it prints. */
public record Report(
        FaultSuite.Profile profile,
        int runs,
        int lost,
        int falseTimeouts,
        int wrongOutcomes,
        long doubles,
        long redeliveries,
        long duplicateTimeouts,
        int leaked,
        long wronglyDeleted,
        Map<String, Integer> poisonSent,
        Map<String, Integer> deadLettered,
        Map<String, Integer> crashes,
        List<Long> detectionDelaysMs,
        List<Long> brokerDownDelaysMs,
        int faultsPlanned,
        List<String> faults,
        List<String> harnessErrors,
        String hostileTenant,
        List<String> findings,
        long elapsedMs,
        Webhooks webhooks) {

    /**
     * What the workspace's webhook receiver saw: run ends never told (lost), deliveries not signed with its secret,
     * deliveries accepted again under a webhook-id already accepted, and the 503s it answered on purpose.
     */
    public record Webhooks(int lost, int badlySigned, long redelivered, int refused) {
    }

    /** Which consumers read each topic, so each poison record must be dead-lettered once per consumer. */
    static final Map<String, List<String>> CONSUMERS = Map.of(
            "heartbeats", List.of("sweeper"),
            "agent-heartbeats", List.of("sweeper"),
            "run-events", List.of("sweeper", "k8s-cleaner-service"),
            "timeouts", List.of("run-service"),
            "run-activity", List.of("run-service"));

    public int poisonSentTotal() {
        return poisonSent.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Poison records times the consumers that must reject each. */
    public int deadLettersExpected() {
        return poisonSent.entrySet().stream()
                .mapToInt(e -> e.getValue() * consumersOf(e.getKey()).size()).sum();
    }

    public int deadLetteredTotal() {
        return deadLettered.values().stream().mapToInt(Integer::intValue).sum();
    }

    public int crashTotal() {
        return crashes.values().stream().mapToInt(Integer::intValue).sum();
    }

    /**
     * Every must-be-0 row reads 0, every poison record was dead-lettered by each consumer, and the harness
     * did what it planned: every fault played, no workload step failed.
     */
    public boolean clean() {
        return lost == 0 && falseTimeouts == 0 && wrongOutcomes == 0 && doubles == 0 && duplicateTimeouts == 0
                && leaked == 0 && wronglyDeleted == 0 && crashTotal() == 0 && deadLetteredTotal() >= deadLettersExpected()
                && harnessErrors.isEmpty() && faults.size() == faultsPlanned && webhooks.lost() == 0
                && webhooks.badlySigned() == 0 && brokerDownDelaysWithinBound();
    }

    /**
     * On a cluster profile: whether every run due while a broker was down was finalized within the profile's bound
     * beyond its timeout (and some were due then, else the faults proved nothing).
     */
    public boolean brokerDownDelaysWithinBound() {
        Duration bound = profile.brokerDownDelayBound();
        return bound == null || !brokerDownDelaysMs.isEmpty()
                && brokerDownDelaysMs.get(brokerDownDelaysMs.size() - 1) <= bound.toMillis();
    }

    private static List<String> consumersOf(String topic) {
        return CONSUMERS.entrySet().stream().filter(e -> topic.endsWith("." + e.getKey())).map(Map.Entry::getValue)
                .findFirst().orElse(List.of());
    }

    public String table() {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "## Fault suite (%s profile, seed %d): %d runs, %.0f s%n%n",
                profile.name(), profile.seed(), runs, elapsedMs / 1000.0));
        out.append("| count | value | must be |\n|---|---|---|\n");
        out.append(row("lost: a run that should have been finalized and is not", lost, "0"));
        out.append(row("false: a healthy or finished run finalized by a timeout", falseTimeouts, "0"));
        out.append(row("wrong outcome: finalized otherwise than planned (or a zombie's finish accepted)", wrongOutcomes, "0"));
        out.append(row("double: more than one terminal write or RunFinished per run attempt", doubles, "0"));
        out.append(row("(redelivered: the same RunFinished event published again by the at-least-once outbox)",
                redeliveries, "any"));
        out.append(row("duplicate timeout: a RunTimedOut emitted twice for one run attempt (and stop request)",
                duplicateTimeouts, "0"));
        out.append(row("leaked: labelled resources left for a terminal run", leaked, "0"));
        out.append(row("wrongly deleted: a live attempt's resources, or unlabelled / foreign neighbours", wronglyDeleted, "0"));
        out.append(row("webhook lost: a run's end never told to the workspace's receiver", webhooks.lost(), "0"));
        out.append(row("webhook badly signed: a delivery the receiver's verifier refused", webhooks.badlySigned(), "0"));
        out.append(String.format(Locale.ROOT, "| (webhooks redelivered under an accepted webhook-id / refused with 503 on purpose) | %d / %d | any |%n",
                webhooks.redelivered(), webhooks.refused()));
        out.append(String.format(Locale.ROOT, "| poison records: sent / dead-lettered (expected)/ a service died on its own | %d / %d (%d) / %d | n / n / 0 |%n",
                poisonSentTotal(), deadLetteredTotal(), deadLettersExpected(), crashTotal()));
        out.append(String.format(Locale.ROOT, "| detection delay beyond timeout while faults were active: p50 / p99 / max | %s | bounded by restart time + a few s |%n",
                delays(detectionDelaysMs)));
        if (profile.brokerDownDelayBound() != null) {
            out.append(String.format(Locale.ROOT, "| detection delay beyond timeout of the %d runs due while a broker was down: p50 / p99 / max | %s | max <= %d s |%n",
                    brokerDownDelaysMs.size(), delays(brokerDownDelaysMs), profile.brokerDownDelayBound().toSeconds()));
        }
        out.append(String.format(Locale.ROOT, "| harness: faults played / planned, harness errors | %d / %d, %d | n / n, 0 |%n",
                faults.size(), faultsPlanned, harnessErrors.size()));
        out.append("\nFaults played:\n\n");
        faults.forEach(f -> out.append("    ").append(f).append('\n'));
        out.append("\nProcesses that died on their own (restarted): ").append(crashes).append('\n');
        out.append("\nDead letters by source topic and consumer: ").append(deadLettered).append('\n');
        out.append("\nHostile tenant: ").append(hostileTenant).append('\n');
        if (!harnessErrors.isEmpty()) {
            out.append("\nHarness errors (the counts above describe another system than the one planned):\n\n");
            harnessErrors.stream().limit(50).forEach(e -> out.append("- ").append(e).append('\n'));
        }
        if (!findings.isEmpty()) {
            out.append("\nFindings:\n\n");
            findings.stream().limit(50).forEach(e -> out.append("- ").append(e).append('\n'));
        }
        return out.toString();
    }

    private static String delays(List<Long> d) {
        if (d.isEmpty()) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.1f / %.1f / %.1f s", d.get(d.size() / 2) / 1000.0,
                d.get(Math.min(d.size() - 1, (int) Math.ceil(d.size() * 0.99) - 1)) / 1000.0, d.get(d.size() - 1) / 1000.0);
    }

    private static String row(String count, long value, String mustBe) {
        return "| " + count + " | " + value + " | " + mustBe + " |\n";
    }
}
