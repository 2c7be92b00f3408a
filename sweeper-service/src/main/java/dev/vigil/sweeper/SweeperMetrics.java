package dev.vigil.sweeper;

import dev.vigil.contracts.event.Reason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** The sweeper's Prometheus metrics ({@code vigil_sweeper_*}). */
public final class SweeperMetrics {

    private final MeterRegistry registry;
    private final Map<Reason, Counter> timeouts = new EnumMap<>(Reason.class);
    private final Map<String, Counter> ignored = new ConcurrentHashMap<>();
    private final Map<String, Counter> deadLetters = new ConcurrentHashMap<>();
    private final Counter heartbeats;
    private final Counter runsCreated;
    private final Counter firstHeartbeats;
    private final Counter progressReports;
    private final Counter deadlineWarnings;
    private final Counter heartbeatsKept;
    private final Counter blackouts;
    private final Counter sweepFailures;
    private final Counter statesDropped;
    private final DistributionSummary overshoot;
    private final Timer sweeps;

    public SweeperMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (Reason reason : Reason.values()) {
            if (reason.isTimeout()) {
                timeouts.put(reason, Counter.builder("vigil.sweeper.timeouts").tag("reason", reason.code())
                        .description("timeouts emitted, by reason").register(registry));
            }
        }
        runsCreated = Counter.builder("vigil.sweeper.runs.armed").description("run attempts armed (RunCreated)").register(registry);
        heartbeats = Counter.builder("vigil.sweeper.heartbeats").description("run heartbeats processed").register(registry);
        firstHeartbeats = Counter.builder("vigil.sweeper.first.heartbeats").description("run attempts seen starting").register(registry);
        heartbeatsKept = Counter.builder("vigil.sweeper.heartbeats.kept")
                .description("heartbeats kept in memory, not written to the state store (written at half a timeout)")
                .register(registry);
        progressReports = Counter.builder("vigil.sweeper.progress.reports").description("progress summaries emitted").register(registry);
        deadlineWarnings = Counter.builder("vigil.sweeper.deadline.warnings")
                .description("RunDeadlineApproaching warnings emitted (timeouts.warnAt)").register(registry);
        blackouts = Counter.builder("vigil.sweeper.blackouts")
                .description("gaps in broker time (nothing appended) not counted against timeouts").register(registry);
        sweepFailures = Counter.builder("vigil.sweeper.sweep.failures")
                .description("deadlines dropped because handling them threw (each logged as ERROR)").register(registry);
        statesDropped = Counter.builder("vigil.sweeper.states.dropped")
                .description("stored run states that could not be read and were dropped (each logged as ERROR)")
                .register(registry);
        sweeps = Timer.builder("vigil.sweeper.sweep.duration")
                .description("time one task spends sweeping its due deadlines when its watermark moves (every 50 ms): "
                        + "the cost per tick, which must not grow with the runs tracked")
                .register(registry);
        overshoot = DistributionSummary.builder("vigil.sweeper.detection.overshoot")
                .description("wall-clock emit time minus the timeout's due time on the broker clock")
                .baseUnit("milliseconds").publishPercentiles(0.5, 0.99).publishPercentileHistogram()
                .register(registry);
    }

    public void timeout(Reason reason, long overshootMs) {
        timeouts.get(reason).increment();
        overshoot.record(Math.max(0, overshootMs));
    }

    /** A record that changed nothing: {@code stale_attempt}, {@code after_end}, {@code duplicate}, ... */
    public void ignored(String why) {
        ignored.computeIfAbsent(why, w -> Counter.builder("vigil.sweeper.ignored").tag("why", w)
                .description("records that changed nothing (zombie attempts, late heartbeats, duplicates)")
                .register(registry)).increment();
    }

    public void deadLettered(String topic) {
        deadLetters.computeIfAbsent(topic, t -> Counter.builder("vigil.sweeper.dead.letters").tag("topic", t)
                .description("input records sent to the dead-letter topic").register(registry)).increment();
    }

    /** One task's sweep took {@code nanos}. */
    public void swept(long nanos) {
        sweeps.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void sweepFailed() {
        sweepFailures.increment();
    }

    public void stateDropped() {
        statesDropped.increment();
    }

    public void runCreated() {
        runsCreated.increment();
    }

    public void heartbeat() {
        heartbeats.increment();
    }

    public void heartbeatKept() {
        heartbeatsKept.increment();
    }

    public void firstHeartbeat() {
        firstHeartbeats.increment();
    }

    public void progressReport() {
        progressReports.increment();
    }

    public void deadlineWarning() {
        deadlineWarnings.increment();
    }

    public void blackout() {
        blackouts.increment();
    }

    public double timeoutCount(Reason reason) {
        return timeouts.get(reason).count();
    }

    public double ignoredCount(String why) {
        Counter counter = ignored.get(why);
        return counter == null ? 0 : counter.count();
    }

    public double deadLetterCount() {
        return deadLetters.values().stream().mapToDouble(Counter::count).sum();
    }
}
