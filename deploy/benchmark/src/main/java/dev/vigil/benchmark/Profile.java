package dev.vigil.benchmark;

import java.time.Duration;
import java.util.List;

/**
 * How big a benchmark run is ({@code -Dbench.profile=quick|full}).
 *
 * @param rawRecords records produced to measure the broker's raw produce rate (the ceiling)
 * @param ingestRuns runs whose backlog of heartbeats the sweeper reads as fast as it can
 * @param ingestHeartbeats the size of that backlog
 * @param liveRuns runs heartbeating on their schedule, through the Java client (Vigil) or as
 *        UPDATEs (baseline); also the size of the baseline's runs table under saturation
 * @param liveInterval their heartbeat interval
 * @param window how long the live and saturation phases are measured
 * @param trackedRuns runs created on top, to measure the state per tracked run
 * @param detectionRuns workers heartbeating every heartbeatTimeout / 3 in the detection phases
 * @param dyingRuns how many of them stop at known times
 * @param heartbeatTimeout their heartbeat timeout
 * @param connections the baseline's connection pool
 * @param reconcileIntervals the baseline reconciler's intervals, one detection phase each
 * @param endToEndRuns runs, with three Kubernetes resources each, on the local stack
 * @param deathSpread over how long the end-to-end runs die (5 per second; a last round dies ten times as fast)
 * @param scaleTracked runs tracked by two sweeper JVMs at the scale phase's last step
 * @param scaleHeartbeating how many of them heartbeat every 10 s through the whole phase
 * @param scaleDying runs that die at known times at each of its steps
 */
record Profile(String name, int rawRecords, int ingestRuns, int ingestHeartbeats, int liveRuns, Duration liveInterval,
               Duration window, int trackedRuns, int detectionRuns, int dyingRuns, Duration heartbeatTimeout,
               int connections, List<Duration> reconcileIntervals, int endToEndRuns, Duration deathSpread,
               int scaleTracked, int scaleHeartbeating, int scaleDying) {

    static Profile of(String name) {
        return switch (name) {
            case "quick" -> new Profile(name, 300_000, 10_000, 300_000, 10_000, Duration.ofSeconds(10),
                    Duration.ofSeconds(10), 100_000, 500, 100, Duration.ofSeconds(2), 16,
                    List.of(Duration.ofSeconds(1), Duration.ofSeconds(15)), 40, Duration.ofSeconds(10),
                    100_000, 10_000, 200);
            case "full" -> new Profile(name, 3_000_000, 100_000, 2_000_000, 100_000, Duration.ofSeconds(10),
                    Duration.ofSeconds(30), 1_000_000, 2_000, 400, Duration.ofSeconds(2), 16,
                    List.of(Duration.ofSeconds(1), Duration.ofSeconds(60)), 200, Duration.ofSeconds(40),
                    1_000_000, 100_000, 2_000);
            default -> throw new IllegalArgumentException("bench.profile must be quick or full, was " + name);
        };
    }
}
