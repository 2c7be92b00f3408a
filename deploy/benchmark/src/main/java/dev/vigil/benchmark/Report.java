package dev.vigil.benchmark;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The benchmark's Markdown report: ratios and distributions, with the targets and verdicts. */
final class Report {

    private Report() {
    }

    static List<Distribution> latencies(SweeperBenchmark.Results vigil, BaselineBenchmark.Results baseline,
                                        CleanupBenchmark.Results endToEnd) {
        List<Distribution> all = new ArrayList<>();
        all.add(vigil.overshoot().overshoot());
        all.add(endToEnd.overshoot());
        baseline.detections().forEach(d -> all.add(d.latency()));
        return all;
    }

    static List<Chart.Bar> bars(SweeperBenchmark.Results vigil, BaselineBenchmark.Results baseline,
                                HttpHeartbeatBenchmark.Results http) {
        return List.of(
                new Chart.Bar("raw produce (ceiling)", vigil.rawPerSecond(), Chart.CEILING),
                new Chart.Bar("Vigil sweeper, saturated", vigil.ingestPerSecond(), Chart.VIGIL),
                new Chart.Bar("Vigil over HTTP, 1 run-service", http.perSecond(), Chart.VIGIL_LIGHT),
                new Chart.Bar("Vigil, " + k(vigil.live().runs()) + " live runs", vigil.live().processedPerSecond(), Chart.VIGIL_LIGHT),
                new Chart.Bar("baseline, saturated", baseline.saturation().heartbeatsPerSecond(), Chart.BASELINE),
                new Chart.Bar("baseline, " + k(baseline.live().runs()) + " live runs", baseline.live().achievedPerSecond(),
                        Chart.BASELINE_LIGHT));
    }

    static String markdown(Profile profile, SweeperBenchmark.Results vigil, ScaleBenchmark.Results scale,
                           BaselineBenchmark.Results baseline, CleanupBenchmark.Results endToEnd,
                           HttpHeartbeatBenchmark.Results http, String chart, Duration took) {
        StringBuilder out = new StringBuilder();
        Runtime runtime = Runtime.getRuntime();
        out.append("## Vigil vs the seeds' design (").append(profile.name()).append(" profile, ")
                .append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append(", took ").append(took.toMinutes())
                .append(" min)\n\n");
        out.append(fmt("Machine: %d cores, %s %s, Java %s, benchmark heap %d MiB. One store at a time on the same "
                        + "machine: a KRaft broker in its own JVM (the sweeper with exactly_once_v2, RocksDB, %d stream "
                        + "threads, in the benchmark's JVM); then a broker and two sweeper-service JVMs for the million "
                        + "runs; then %s for the baseline; then the local stack (broker, PostgreSQL, fabric8's "
                        + "Kubernetes API mock, and the three services each in its own JVM).\n\n",
                runtime.availableProcessors(), System.getProperty("os.name"), System.getProperty("os.arch"),
                System.getProperty("java.version"), runtime.maxMemory() >> 20, vigil.streamThreads(), baseline.database()));
        out.append(chart).append("\n\n");

        BaselineBenchmark.Saturation saturation = baseline.saturation();
        double vsBaseline = vigil.ingestPerSecond() / saturation.heartbeatsPerSecond();
        double vsCeiling = vigil.ingestPerSecond() / vigil.rawPerSecond();
        Distribution overshoot = vigil.overshoot().overshoot();
        Distribution deleted = endToEnd.toDeleted();
        out.append("### Targets\n\n| measure | result | target | verdict |\n|---|---|---|---|\n");
        out.append(row("heartbeat ingest, Vigil / baseline (both saturated)", fmt("%.1f x", vsBaseline), ">= 10 x",
                verdict(vsBaseline >= 10)));
        out.append(row("heartbeat ingest, Vigil / raw produce rate", fmt("%.0f %%", 100 * vsCeiling), ">= 50 %",
                verdict(vsCeiling >= 0.5)));
        double httpVsBaseline = http.perRunServiceCore() / saturation.heartbeatsPerSecond();
        out.append(row("heartbeats over HTTP per run-service core / baseline (saturated)", fmt("%.1f x", httpVsBaseline),
                ">= 2 x", verdict(httpVsBaseline >= 2)));
        out.append(row("detection overshoot p99 (sweeper)", Distribution.ms(overshoot.p99()), "<= 250 ms",
                verdict(overshoot.p99() >= 0 && overshoot.p99() <= 250)));
        Distribution stackOvershoot = endToEnd.overshoot();
        out.append(row("detection overshoot p99 (whole stack: two sweepers in their own JVMs, outside the forced rebalance)",
                Distribution.ms(stackOvershoot.p99()), "<= 250 ms",
                verdict(stackOvershoot.p99() >= 0 && stackOvershoot.p99() <= 250)));
        out.append(row("detection overshoot max (whole stack, runs due during the forced rebalance)",
                Distribution.ms(endToEnd.rebalanceOvershoot().max()), "reported", ""));
        out.append(row("timeout -> Kubernetes resources deleted, p99", Distribution.ms(deleted.p99()), "<= 1 s",
                verdict(deleted.p99() >= 0 && deleted.p99() <= 1000)));
        out.append(row("the same at ten times the pace, p99", Distribution.ms(endToEnd.fast().toDeleted().p99()),
                "reported", ""));
        CleanupBenchmark.ApiCost cost = endToEnd.cost();
        boolean cheap = cost.perCleanup() <= cost.deletesPerCleanup() + 1 && endToEnd.fast().cost().perCleanup()
                <= endToEnd.fast().cost().deletesPerCleanup() + 1;
        out.append(row("Kubernetes API requests per cleanup (both rounds; the deletes + 1 at most)",
                perCleanup(cost.perCleanup()) + " / " + perCleanup(endToEnd.fast().cost().perCleanup()),
                fmt("<= %s", perCleanup(cost.deletesPerCleanup() + 1)), verdict(cheap)));
        ScaleBenchmark.Step million = scale.last();
        String scaleName = fmt("%s tracked, %s heartbeating", k((int) million.tracked()), k(scale.heartbeating()));
        out.append(row("detection overshoot p99 at " + scaleName + " (two sweeper JVMs)",
                Distribution.ms(million.overshoot().p99()), "<= 250 ms",
                verdict(million.overshoot().p99() >= 0 && million.overshoot().p99() <= 250)));
        out.append(row("detection overshoot max at " + scaleName, Distribution.ms(million.overshoot().max()), "<= 1 s",
                verdict(million.overshoot().max() >= 0 && million.overshoot().max() <= 1000)));
        double growth = million.sweepMicros() / scale.steps().get(0).sweepMicros();
        out.append(row(fmt("cost of one sweep at %s / at %s tracked", k((int) million.tracked()),
                        k((int) scale.steps().get(0).tracked())), fmt("%.2f x", growth), "flat (<= 2 x)",
                verdict(growth <= 2)));
        int falseTimeouts = vigil.overshoot().falseTimeouts();
        out.append(row("false timeouts (runs timed out while heartbeating), sweeper phases", Integer.toString(falseTimeouts),
                "0", verdict(falseTimeouts == 0)));
        out.append(row("false timeouts (runs timed out while heartbeating), " + scaleName,
                Integer.toString(scale.falseTimeouts()), "0", verdict(scale.falseTimeouts() == 0)));
        out.append(row("false timeouts (runs timed out while heartbeating), whole stack, two sweepers and a rebalance",
                Integer.toString(endToEnd.falseTimeouts()), "0", verdict(endToEnd.falseTimeouts() == 0)));
        out.append(row("runs that never became RUNNING, whole stack", Integer.toString(endToEnd.neverRunning()), "0",
                verdict(endToEnd.neverRunning() == 0)));

        out.append(whyMissed(vsBaseline >= 10, vsCeiling >= 0.5, httpVsBaseline >= 2, overshoot.p99() <= 250,
                stackOvershoot.p99() <= 250, deleted.p99() <= 1000));

        out.append("\n### Throughput (heartbeats per second)\n\n| what | rate | vs ceiling | store CPU |\n|---|---|---|---|\n");
        out.append(row("raw produce rate, " + vigil.recordBytes() + "-byte heartbeat records, idempotent, acks=all (ceiling)",
                fmt("%,.0f", vigil.rawPerSecond()), "100 %", ""));
        out.append(row("Vigil sweeper, exactly-once, backlog of " + k(profile.ingestRuns()) + " runs' heartbeats",
                fmt("%,.0f", vigil.ingestPerSecond()), pct(vigil.ingestPerSecond() / vigil.rawPerSecond()), ""));
        out.append(row(fmt("baseline: %d connections, one UPDATE per heartbeat, %s rows", saturation.connections(),
                        k(saturation.runs())), fmt("%,.0f", saturation.heartbeatsPerSecond()),
                pct(saturation.heartbeatsPerSecond() / vigil.rawPerSecond()),
                fmt("PostgreSQL %.2f cores", saturation.dbCores())));
        out.append(row(fmt("Vigil over HTTP: %d keep-alive connections into one run-service replica, %s runs (202 once "
                        + "the broker has the beat)", http.connections(), k(http.runs())), fmt("%,.0f", http.perSecond()),
                pct(http.perSecond() / vigil.rawPerSecond()), fmt("run-service %.2f cores: %,.0f/s per core",
                        http.runServiceCores(), http.perRunServiceCore())));
        out.append(fmt("\nOver HTTP, each beat is a request, a token check (an HMAC, no database read) and an append "
                        + "to the broker before the answer; the load generator and the broker share the "
                        + "two cores with run-service. Answered 429 (a token over its rate): %,d; anything else or a "
                        + "broken connection: %,d. A run-service core takes %.1f x what the baseline's database takes "
                        + "at saturation; the Kafka path (the Java client, one producer appending) takes %.0f x what "
                        + "one run-service core does over HTTP, so Kafka stays the path for fleets.\n",
                http.limited(), http.refused(), httpVsBaseline, vigil.rawPerSecond() / http.perRunServiceCore()));

        SweeperBenchmark.Live live = vigil.live();
        BaselineBenchmark.Live baseLive = baseline.live();
        out.append(fmt("\n### The same live workload: %s runs heartbeating every %s\n\n", k(live.runs()),
                Bench.duration(live.interval())));
        out.append("| design | offered | kept up with | behind at the end | store CPU |\n|---|---|---|---|---|\n");
        out.append(row("Vigil (Java client -> broker -> sweeper)", fmt("%,.0f/s", live.offeredPerSecond()),
                fmt("%,.0f/s", live.processedPerSecond()), fmt("%.1f s", live.behindSeconds()),
                fmt("broker %.2f cores", live.brokerCores())));
        out.append(row("baseline (UPDATE per heartbeat)", fmt("%,.0f/s", baseLive.offeredPerSecond()),
                fmt("%,.0f/s", baseLive.achievedPerSecond()), fmt("%.1f s", baseLive.behindSeconds()),
                fmt("PostgreSQL %.2f cores", baseLive.dbCores())));

        out.append("\n### Detection latency (detected minus due: last heartbeat + timeout)\n\n");
        out.append("| design | runs that died | detected | false timeouts | p50 / p99 / max | store CPU |\n|---|---|---|---|---|---|\n");
        SweeperBenchmark.Overshoot o = vigil.overshoot();
        out.append(row("Vigil sweeper (timeout visible to a read_committed consumer)", Integer.toString(o.died()),
                Integer.toString(o.detected()), Integer.toString(o.falseTimeouts()), overshoot.summary(), ""));
        out.append(row("Vigil, whole stack (" + endToEnd.runs() + " runs via the API; two sweepers, one bounced midway)",
                Integer.toString(endToEnd.runs()), Integer.toString(endToEnd.timedOut()),
                Integer.toString(endToEnd.falseTimeouts()), endToEnd.overshoot().summary(), ""));
        out.append(row("Vigil, whole stack: the runs due during the forced rebalance (not in the row above)", Integer.toString(endToEnd.rebalanceOvershoot().size()),
                Integer.toString(endToEnd.rebalanceOvershoot().size()), "", endToEnd.rebalanceOvershoot().summary(), ""));
        for (BaselineBenchmark.Detection d : baseline.detections()) {
            out.append(row("baseline, reconciler every " + Bench.duration(d.interval()), Integer.toString(d.died()),
                    Integer.toString(d.detected()), Integer.toString(d.falseTimeouts()), d.latency().summary(),
                    fmt("PostgreSQL %.2f cores", d.dbCores())));
        }
        out.append(fmt("\nBoth detection workloads: %,d runs heartbeating every %d ms (timeout %s), %,d of them stop at "
                        + "known times; the baseline's deaths are spread over a whole reconcile interval so they fall "
                        + "at every phase of it.\n",
                profile.detectionRuns(), profile.heartbeatTimeout().toMillis() / 3, Bench.duration(profile.heartbeatTimeout()),
                profile.dyingRuns()));

        out.append("\n### A million runs (two sweeper-service JVMs, exactly-once)\n\n| runs tracked | died | detected | "
                + "overshoot p50 / p99 / max | sweeps | one sweep, mean |\n|---|---|---|---|---|---|\n");
        for (ScaleBenchmark.Step step : scale.steps()) {
            out.append(row(fmt("%,d", step.tracked()), Integer.toString(step.died()), Integer.toString(step.detected()),
                    step.overshoot().summary(), fmt("%,d", step.sweeps()), fmt("%.0f us", step.sweepMicros())));
        }
        out.append(fmt("\n%,d of the runs heartbeat every 10 s through the Java client for the whole phase (%,.0f "
                        + "beats/s delivered); the rest are quiet: announced, tracked, never due while it lasts. At each "
                        + "step %,d runs with a 2 s heartbeat timeout die over 20 s. A sweep is what one task does "
                        + "when its watermark has moved 50 ms: read the due entries of its deadline index and time them "
                        + "out; its cost follows what is due, not what is tracked. The two sweepers used %.2f cores "
                        + "together, on the two cores they share with the broker and the load.\n",
                scale.heartbeating(), scale.heartbeatsPerSecond(), profile.scaleDying(), scale.sweeperCores()));

        out.append("\n### From timeout to clean (whole stack)\n\n| step | p50 / p99 / max | runs |\n|---|---|---|\n");
        out.append(row("timeout seen -> run row terminal (RunFinished)", endToEnd.toTerminal().summary(),
                endToEnd.terminal() + " / " + endToEnd.runs()));
        out.append(row("timeout seen -> last of its Deployment, Service, Pod deleted", deleted.summary(),
                endToEnd.cleaned() + " / " + endToEnd.runs()));
        CleanupBenchmark.Fast fast = endToEnd.fast();
        out.append(row(fmt("the same at ten times the pace (%d runs dying over %s)", fast.runs(),
                Bench.duration(fast.spread())), fast.toDeleted().summary(), fast.cleaned() + " / " + fast.runs()));
        out.append(fmt("\nThe runs die at an even pace, %d over %s, then %d more over %s. The cleaner reads what to "
                        + "delete from its watch cache (one informer per namespace and kind, indexed by the run label) "
                        + "and sends the API server only the deletes: %s requests per cleanup in the first round, %s in "
                        + "the fast one (%s and %s of them deletes; each run has 3 objects), counted at the API server. "
                        + "Listing the 9 kinds by label, as it did before, cost 12 per run. The Kubernetes API is "
                        + "fabric8's mock server, which answers one request at a time.\n",
                endToEnd.runs(), Bench.duration(profile.deathSpread()), fast.runs(), Bench.duration(fast.spread()),
                perCleanup(endToEnd.cost().perCleanup()), perCleanup(fast.cost().perCleanup()),
                perCleanup(endToEnd.cost().deletesPerCleanup()), perCleanup(fast.cost().deletesPerCleanup())));

        SweeperBenchmark.Tracked tracked = vigil.tracked();
        out.append("\n### State\n\n| measure | value | target | verdict |\n|---|---|---|---|\n");
        out.append(row("tracked runs", fmt("%,d", tracked.runs()), "1,000,000", tracked.runs() >= 1_000_000 ? "met" : "scaled down"));
        double perRun = (double) tracked.stateBytes() / tracked.runs();
        out.append(row("state on disk per tracked run (RocksDB, runs + deadlines)", fmt("%.0f B", perRun), "<= 200 B",
                verdict(perRun <= 200)));
        out.append(row("heap per tracked run", fmt("%.1f B", (double) tracked.heapBytes() / tracked.runs()), "", ""));
        return out.toString();
    }

    /** What the profiling found behind each missed target (the README's *Benchmark* section has more). */
    static String whyMissed(boolean baselineMet, boolean ceilingMet, boolean httpMet, boolean overshootMet,
                            boolean stackOvershootMet, boolean cleanupMet) {
        StringBuilder why = new StringBuilder();
        if (!httpMet) {
            why.append("- *Heartbeats over HTTP.* Each beat is an HTTP request parsed and routed by Micronaut, an HMAC "
                    + "and a produce that the answer waits for; the load generator and the broker share the two cores "
                    + "with run-service, so the per-core figure also carries their contention.\n");
        }
        if (!ceilingMet) {
            why.append("- *Ingest vs the raw produce rate.* The ceiling is one producer appending. For each heartbeat the "
                    + "sweeper also has the broker serve it in a fetch, reads it (one streaming pass), reads and (every "
                    + "other beat) writes its RocksDB state and changelog, and commits exactly-once every 50 ms, on the "
                    + "two cores the broker shares. A JFR profile of the stream threads: Kafka Streams' own per-record "
                    + "work (task selection, metric sensors) about a quarter, fetching and producing about 15 %, reading "
                    + "the heartbeat 18 % before its timestamp was read by hand (two thirds of it was Instant.parse), our "
                    + "processing and state the rest.\n");
        }
        if (!baselineMet) {
            why.append("- *Ingest vs the baseline.* Both rates move with the shared machine from run to run (the "
                    + "sweeper's with the CPU left to it, the baseline's with the disk's fsync latency); the sweeper-side "
                    + "costs above are what would take the ratio clear of 10x.\n");
        }
        if (!overshootMet) {
            why.append("- *Overshoot (sweeper phase).* The median is the design's cost (a tick and a commit every 50 ms). "
                    + "In this phase the sweeper shares its JVM and heap with the 2,000 simulated workers and whatever "
                    + "the 100,000-run phase before it left for the collector; its tail is pauses and the shared "
                    + "cores. The same sweeper in its own JVM, as deployed, is the whole-stack row.\n");
        }
        if (!stackOvershootMet) {
            why.append("- *Overshoot (whole stack).* Two sweepers, one stopped and started while runs die: Kafka "
                    + "Streams moves tasks at the leave, at the join and again when a warm copy has caught up, and a "
                    + "moving task's runs wait for it. The window reported apart is the bounce plus 15 s; a later "
                    + "move falls outside it. The services share the two cores with the broker, PostgreSQL, the "
                    + "Kubernetes API and the 200 simulated workers.\n");
        }
        if (!cleanupMet) {
            why.append("- *Cleanup.* The last delete of a run comes after the timeout is committed, run-service's terminal "
                    + "write and its outbox relay, the cleaner's read of run-events and three deletes at an API server "
                    + "that answers one request at a time, on two cores shared with everything else here.\n");
        }
        return why.isEmpty() ? "" : "\nWhy the missed targets were missed:\n\n" + why;
    }

    private static String perCleanup(double requests) {
        return Double.isNaN(requests) ? "n/a" : fmt("%.2f", requests);
    }

    private static String row(String... cells) {
        return "| " + String.join(" | ", cells) + " |\n";
    }

    private static String verdict(boolean met) {
        return met ? "met" : "**missed**";
    }

    private static String pct(double ratio) {
        return fmt("%.1f %%", 100 * ratio);
    }

    private static String k(int n) {
        if (n % 1_000_000 == 0) {
            return fmt("%,dM", n / 1_000_000);
        }
        return n % 1000 == 0 ? fmt("%,dk", n / 1000) : fmt("%,d", n);
    }

    private static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
