package dev.vigil.benchmark;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.LongStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report and chart from known results: the figures, the verdicts and a readable PNG. */
class ReportTest {

    private static Distribution uniform(String name, long from, long to) {
        return Distribution.of(name, LongStream.rangeClosed(from, to).boxed().toList());
    }

    private final Profile profile = Profile.of("quick");
    private final SweeperBenchmark.Results vigil = new SweeperBenchmark.Results(201, 200_000, 120_000,
            new SweeperBenchmark.Live(10_000, Duration.ofSeconds(10), 1_000, 1_000, 0, 0.2),
            new SweeperBenchmark.Overshoot(100, 100, 0, uniform("Vigil sweeper: overshoot", 1, 100)),
            new SweeperBenchmark.Tracked(1_100_000, 170L * 1_100_000, 80L * 1_100_000), 2);
    private final BaselineBenchmark.Results baseline = new BaselineBenchmark.Results(
            new BaselineBenchmark.Saturation(10_000, 16, 6_000, 1.5),
            new BaselineBenchmark.Live(10_000, Duration.ofSeconds(10), 1_000, 900, 3.5, 0.9),
            List.of(new BaselineBenchmark.Detection(Duration.ofSeconds(1), 100, 100, 2,
                            uniform("baseline, reconciler every 1 s", 10, 1_000), 0.3),
                    new BaselineBenchmark.Detection(Duration.ofSeconds(60), 100, 100, 0,
                            uniform("baseline, reconciler every 60 s", 100, 60_000), 0.2)),
            "PostgreSQL 17 (synchronous_commit=on, fsync=on)");
    private final CleanupBenchmark.Results endToEnd = new CleanupBenchmark.Results(40, 40, 40, 40, 1, 0,
            uniform("Vigil, full stack: overshoot", 50, 300), uniform("during a rebalance", 1_000, 3_000),
            uniform("to terminal", 20, 200),
            uniform("to deleted", 100, 1_500), new CleanupBenchmark.ApiCost(40, 0, 0, 120),
            new CleanupBenchmark.Fast(40, Duration.ofSeconds(1), 40, uniform("to deleted, fast", 100, 2_500),
                    new CleanupBenchmark.ApiCost(40, 2, 0, 120)));
    private final ScaleBenchmark.Results scale = new ScaleBenchmark.Results(1_000_000, 100_000, 10_050,
            List.of(new ScaleBenchmark.Step(100_000, 5_000, 120, 200, 200, uniform("100k", 50, 200)),
                    new ScaleBenchmark.Step(1_000_000, 5_000, 150, 200, 200, uniform("1M", 60, 300))), 0, 0.8);
    private final HttpHeartbeatBenchmark.Results http = new HttpHeartbeatBenchmark.Results(10_000, 32,
            Duration.ofSeconds(10), 90_000, 0, 1, 9_000, 0.5, uniform("round trip", 1, 10));

    @Test
    void percentilesAreNearestRank() {
        Distribution d = uniform("d", 1, 100);
        assertThat(d.p50()).isEqualTo(50);
        assertThat(d.p99()).isEqualTo(99);
        assertThat(d.max()).isEqualTo(100);
        assertThat(Distribution.of("empty", List.of()).p99()).isEqualTo(-1);
        assertThat(Distribution.of("empty", List.of()).summary()).isEqualTo("none");
    }

    @Test
    void theReportGivesRatiosAndAVerdictForEveryTarget() {
        String report = Report.markdown(profile, vigil, scale, baseline, endToEnd, http, "![chart](benchmark.png)", Duration.ofMinutes(4));

        assertThat(report).contains("| heartbeat ingest, Vigil / baseline (both saturated) | 20.0 x | >= 10 x | met |");
        assertThat(report).contains("| heartbeat ingest, Vigil / raw produce rate | 60 % | >= 50 % | met |");
        assertThat(report).contains("| detection overshoot p99 (sweeper) | 99 ms | <= 250 ms | met |");
        assertThat(report).contains("| heartbeats over HTTP per run-service core / baseline (saturated) | 3.0 x | >= 2 x | met |");
        assertThat(report).contains("| Vigil over HTTP: 32 keep-alive connections into one run-service replica, 10k runs "
                + "(202 once the broker has the beat) | 9,000 | 4.5 % | run-service 0.50 cores: 18,000/s per core |");
        assertThat(report).contains("| timeout -> Kubernetes resources deleted, p99 | 1,486 ms | <= 1 s | **missed** |");
        assertThat(report).contains("| Kubernetes API requests per cleanup (both rounds; the deletes + 1 at most) | 3.00 / 3.05 "
                + "| <= 4.00 | met |");
        assertThat(report).contains("| the same at ten times the pace (40 runs dying over 1 s) | ");
        assertThat(report).contains("| detection overshoot p99 at 1M tracked, 100k heartbeating (two sweeper JVMs) | "
                + "298 ms | <= 250 ms | **missed** |");
        assertThat(report).contains("| cost of one sweep at 1M / at 100k tracked | 1.25 x | flat (<= 2 x) | met |");
        assertThat(report).contains("| 1,000,000 | 200 | 200 | ");
        assertThat(report).contains("| baseline, reconciler every 60 s | 100 | 100 | 0 | 30.1 s / 59.4 s / 60.0 s |");
        assertThat(report).contains("| baseline (UPDATE per heartbeat) | 1,000/s | 900/s | 3.5 s | PostgreSQL 0.90 cores |");
        assertThat(report).contains("| false timeouts (runs timed out while heartbeating), sweeper phases | 0 | 0 | met |");
        assertThat(report).contains("| false timeouts (runs timed out while heartbeating), whole stack, two sweepers and a "
                + "rebalance | 1 | 0 | **missed** |");
        assertThat(report).contains("| runs that never became RUNNING, whole stack | 0 | 0 | met |");
        assertThat(report).contains("| detection overshoot max (whole stack, runs due during the forced rebalance) | 3,000 ms |");
        assertThat(report).contains("![chart](benchmark.png)");
        assertThat(report).contains("Why the missed targets were missed").contains("- *Cleanup.*")
                .doesNotContain("- *Overshoot.*").doesNotContain("- *Ingest vs the raw produce rate.*");
    }

    @Test
    void theChartIsAPng(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("chart.png");
        Chart.write(file, "test", Report.latencies(vigil, baseline, endToEnd), Report.bars(vigil, baseline, http));

        BufferedImage image = ImageIO.read(file.toFile());
        assertThat(image.getWidth()).isEqualTo(1400);
        assertThat(image.getHeight()).isEqualTo(560);
        assertThat(Files.size(file)).isGreaterThan(10_000);
    }
}
