package dev.vigil.benchmark;

import dev.vigil.local.LocalStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * The benchmark: Vigil against the seeds' design ("a last_heartbeat column and a reconciler loop")
 * and against the broker's raw produce rate, on this machine, in one run. Writes a Markdown report
 * and a PNG chart next to it ({@code -Dbench.report}, default {@code results/benchmark.md}).
 *
 * <pre>./mvnw -q install -DskipTests && ./mvnw -q -pl deploy/benchmark exec:exec [-Dbench.profile=quick]</pre>
 */
public final class Bench {

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        Profile profile = Profile.of(System.getProperty("bench.profile", "full"));
        Path repo = Path.of(System.getProperty("bench.repo", "../..")).toAbsolutePath().normalize();
        Path report = Path.of(System.getProperty("bench.report", "results/benchmark.md")).toAbsolutePath();
        Path work = Files.createTempDirectory("vigil-bench");
        Instant started = Instant.now();
        log("profile %s; work directory %s", profile.name(), work);

        // One store at a time: the broker and its sweeper, a broker and two sweeper JVMs at a million runs, then
        // PostgreSQL, then the whole stack.
        // -Dbench.only=sweeper|scale|baseline|e2e|http runs one phase and prints it (no report), to iterate on it.
        String only = System.getProperty("bench.only", "");
        if (!only.isEmpty()) {
            Object result = switch (only) {
                case "sweeper" -> SweeperBenchmark.measure(profile, work);
                case "scale" -> ScaleBenchmark.measure(profile, work, repo);
                case "baseline" -> BaselineBenchmark.measure(profile, work);
                case "e2e", "http" -> {
                    try (LocalStack stack = CleanupBenchmark.startStack(work, repo)) {
                        yield only.equals("e2e") ? CleanupBenchmark.measure(profile, stack)
                                : HttpHeartbeatBenchmark.measure(profile, stack);
                    }
                }
                default -> throw new IllegalArgumentException("bench.only must be sweeper, scale, baseline, e2e or http");
            };
            log("%s", result);
            return;
        }
        SweeperBenchmark.Results vigil = SweeperBenchmark.measure(profile, work);
        ScaleBenchmark.Results scale = ScaleBenchmark.measure(profile, work, repo);
        BaselineBenchmark.Results baseline = BaselineBenchmark.measure(profile, work);
        CleanupBenchmark.Results endToEnd;
        HttpHeartbeatBenchmark.Results http;
        try (LocalStack stack = CleanupBenchmark.startStack(work, repo)) {
            endToEnd = CleanupBenchmark.measure(profile, stack);
            http = HttpHeartbeatBenchmark.measure(profile, stack); // after the deaths: its load would blur their timing
        }

        Files.createDirectories(report.getParent());
        Path chart = report.resolveSibling(report.getFileName().toString().replaceFirst("\\.md$", "") + ".png");
        String chartNote;
        try {
            Chart.write(chart, "Vigil vs the seeds' design (" + profile.name() + " profile)", Report.latencies(vigil, baseline, endToEnd),
                    Report.bars(vigil, baseline, http));
            chartNote = "![detection latency and throughput](" + chart.getFileName() + ")";
        } catch (Exception | Error e) { // a headless JVM without fonts cannot draw text
            chartNote = "(no chart: " + e + ")";
        }
        String text = Report.markdown(profile, vigil, scale, baseline, endToEnd, http, chartNote,
                Duration.between(started, Instant.now()));
        Files.writeString(report, text);
        System.out.println(text);
        log("report written to %s, chart to %s", report, chart);
    }

    static void log(String format, Object... args) {
        System.out.println("[bench " + Instant.now() + "] " + String.format(Locale.ROOT, format, args));
    }

    /** 1 s, 60 s, 500 ms. */
    static String duration(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
