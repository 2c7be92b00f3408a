package dev.vigil.benchmark;

import dev.vigil.infra.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The seeds' design, measured on the same machine: a {@code last_heartbeat} column on the runs
 * table, one {@code UPDATE runs SET last_heartbeat = now()} per heartbeat, and a reconciler that
 * periodically marks stale rows timed out (seed 000 runs it every 60 s, seed 001 every 5 min).
 *
 * <p>The table has the partial index the reconciler's query needs to stay cheap at 100,000 rows
 * ({@code last_heartbeat} of RUNNING rows); it also makes every heartbeat update a non-HOT update.
 * Heartbeats go through a pool of connections, as an application server's would.
 */
final class BaselineBenchmark {

    /** Saturation: every connection updates random runs as fast as the database commits. */
    record Saturation(int runs, int connections, double heartbeatsPerSecond, double dbCores) {
    }

    /** The live workload: each run heartbeats on its schedule; did the database keep up? */
    record Live(int runs, Duration interval, double offeredPerSecond, double achievedPerSecond, double behindSeconds,
                double dbCores) {
    }

    /** Workers that stop at known times, a reconciler every {@code interval}. */
    record Detection(Duration interval, int died, int detected, int falseTimeouts, Distribution latency, double dbCores) {
    }

    record Results(Saturation saturation, Live live, List<Detection> detections, String database) {
    }

    private static final String HEARTBEAT = "UPDATE runs SET last_heartbeat = now() WHERE id = ? AND status = 'RUNNING'";
    private static final String RECONCILE = """
            UPDATE runs SET status = 'TIMED_OUT', finished_at = clock_timestamp()
             WHERE status = 'RUNNING' AND last_heartbeat < clock_timestamp() - heartbeat_timeout
            RETURNING id, (extract(epoch FROM clock_timestamp() - (last_heartbeat + heartbeat_timeout)) * 1000)::bigint""";

    private final Profile profile;
    private final EmbeddedPostgres postgres;
    private final ProcessCpu cpu;

    private BaselineBenchmark(Profile profile, EmbeddedPostgres postgres, ProcessCpu cpu) {
        this.profile = profile;
        this.postgres = postgres;
        this.cpu = cpu;
    }

    static Results measure(Profile profile, Path work) throws Exception {
        Path data = work.resolve("baseline-postgres");
        Files.createDirectories(data);
        // As in production: every commit is flushed to disk before it is acknowledged.
        try (EmbeddedPostgres postgres = EmbeddedPostgres.start(0, data, Map.of("fsync", "on", "synchronous_commit", "on"))) {
            long pid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
            return new BaselineBenchmark(profile, postgres, new ProcessCpu(pid)).run();
        }
    }

    private Results run() throws Exception {
        String version;
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("""
                    CREATE TABLE runs (id text PRIMARY KEY, status text NOT NULL, last_heartbeat timestamptz NOT NULL,
                                       heartbeat_timeout interval NOT NULL, finished_at timestamptz)""");
            s.execute("CREATE INDEX runs_stale ON runs (last_heartbeat) WHERE status = 'RUNNING'");
            try (ResultSet r = s.executeQuery("SELECT current_setting('server_version'), current_setting('synchronous_commit'),"
                    + " current_setting('fsync')")) {
                r.next();
                version = "PostgreSQL " + r.getString(1) + " (synchronous_commit=" + r.getString(2) + ", fsync="
                        + r.getString(3) + ")";
            }
        }
        insertRuns("run-", profile.liveRuns(), Duration.ofHours(1));
        Saturation saturation = saturation();
        Live live = live();
        List<Detection> detections = new ArrayList<>();
        for (Duration interval : profile.reconcileIntervals()) {
            detections.add(detection(interval));
        }
        return new Results(saturation, live, detections, version);
    }

    private Saturation saturation() throws Exception {
        int runs = profile.liveRuns();
        Bench.log("baseline saturation: %d connections updating %,d runs as fast as they commit", profile.connections(), runs);
        AtomicLong done = new AtomicLong();
        long deadline = System.nanoTime() + profile.window().toNanos();
        ProcessCpu.Window window = new ProcessCpu.Window(cpu);
        long start = System.nanoTime();
        runOnConnections(profile.connections(), (c, thread) -> {
            try (PreparedStatement update = c.prepareStatement(HEARTBEAT)) {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (System.nanoTime() < deadline) {
                    update.setString(1, runId("run-", random.nextInt(runs)));
                    update.executeUpdate();
                    done.incrementAndGet();
                }
            }
        });
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Saturation(runs, profile.connections(), done.get() / seconds, window.cores());
    }

    /** Every run heartbeats every interval, spread evenly; a connection that falls behind stays behind. */
    private Live live() throws Exception {
        int runs = profile.liveRuns();
        Duration interval = profile.liveInterval();
        double offered = runs / (interval.toNanos() / 1e9);
        Bench.log("baseline live: %,d runs heartbeating every %s (%,.0f/s offered) for %s", runs, interval, offered,
                profile.window());
        long start = System.nanoTime() + 200_000_000L;
        ProcessCpu.Window window = new ProcessCpu.Window(cpu);
        Sent sent = heartbeatOnSchedule("run-", runs, interval, start, start + profile.window().toNanos(), null);
        double seconds = profile.window().toNanos() / 1e9;
        return new Live(runs, interval, offered, sent.heartbeats() / seconds, sent.behindNanos() / 1e9, window.cores());
    }

    /** The overshoot workload of the Vigil phase, on the database, with the reconciler every {@code interval}. */
    private Detection detection(Duration interval) throws Exception {
        int live = profile.detectionRuns();
        int dying = profile.dyingRuns();
        Duration timeout = profile.heartbeatTimeout();
        Duration beat = timeout.dividedBy(3);
        String prefix = "r" + interval.toMillis() + "-";
        insertRuns(prefix, live, timeout);
        // Deaths spread over one reconcile interval (at least 10 s), so they fall at every phase of it.
        Duration spread = interval.compareTo(Duration.ofSeconds(10)) > 0 ? interval : Duration.ofSeconds(10);
        long warmup = 3_000_000_000L;
        long start = System.nanoTime();
        long[] deathAt = new long[live];
        Set<String> dyingIds = new HashSet<>();
        java.util.Arrays.fill(deathAt, Long.MAX_VALUE);
        for (int i = 0; i < dying; i++) {
            int run = i * (live / dying);
            deathAt[run] = start + warmup + i * spread.toNanos() / dying;
            dyingIds.add(runId(prefix, run));
        }
        long end = start + warmup + spread.toNanos() + timeout.toNanos() + interval.toNanos() + 3_000_000_000L;
        Bench.log("baseline detection: %,d runs heartbeating every %d ms, %,d die over %s, reconciler every %s",
                live, beat.toMillis(), dying, spread, interval);
        ConcurrentHashMap<String, Long> timedOut = new ConcurrentHashMap<>();
        ProcessCpu.Window window = new ProcessCpu.Window(cpu);
        Thread reconciler = new Thread(() -> reconcile(interval, end, timedOut), "reconciler");
        reconciler.start();
        heartbeatOnSchedule(prefix, live, beat, start, end, deathAt);
        reconciler.join();
        double cores = window.cores();
        try (Connection c = connect(); Statement s = c.createStatement()) { // out of the next phase's way
            s.executeUpdate("UPDATE runs SET status = 'DONE' WHERE status = 'RUNNING' AND id LIKE '" + prefix + "%'");
        }
        List<Long> latencies = new ArrayList<>();
        int falseTimeouts = 0;
        for (var entry : timedOut.entrySet()) {
            if (dyingIds.contains(entry.getKey())) {
                latencies.add(entry.getValue());
            } else {
                falseTimeouts++;
            }
        }
        return new Detection(interval, dying, latencies.size(), falseTimeouts,
                Distribution.of("baseline, reconciler every " + Bench.duration(interval), latencies), cores);
    }

    /** What a schedule sent, and how far behind it the slowest connection was when it ended. */
    private record Sent(long heartbeats, long behindNanos) {
    }

    /**
     * Heartbeats runs {@code prefix}0 .. {@code runs - 1} every {@code interval} from {@code start} until
     * {@code end}, spread evenly over the connection pool; a run falls silent at its {@code deathAt}
     * (null: none does). A connection that falls behind stays behind, as an overloaded pool would.
     */
    private Sent heartbeatOnSchedule(String prefix, int runs, Duration interval, long start, long end, long[] deathAt)
            throws Exception {
        AtomicLong sent = new AtomicLong();
        AtomicLong behindNanos = new AtomicLong();
        int connections = profile.connections();
        runOnConnections(connections, (c, thread) -> {
            int mine = share(runs, connections, thread);
            long gap = interval.toNanos() / mine;
            try (PreparedStatement update = c.prepareStatement(HEARTBEAT)) {
                for (long k = 0; ; k++) {
                    for (int j = 0; j < mine; j++) {
                        int run = j * connections + thread;
                        long due = start + k * interval.toNanos() + j * gap + thread * gap / connections;
                        long now = System.nanoTime();
                        if (now >= end || due >= end) {
                            behindNanos.accumulateAndGet(Math.max(0, now - due), Math::max);
                            return;
                        }
                        if (deathAt != null && due >= deathAt[run]) {
                            continue;
                        }
                        if (due > now) {
                            LockSupport.parkNanos(due - now);
                        }
                        update.setString(1, runId(prefix, run));
                        update.executeUpdate();
                        sent.incrementAndGet();
                    }
                }
            }
        });
        return new Sent(sent.get(), behindNanos.get());
    }

    private void reconcile(Duration interval, long end, ConcurrentHashMap<String, Long> timedOut) {
        try (Connection c = connect(); PreparedStatement sweep = c.prepareStatement(RECONCILE)) {
            long next = System.nanoTime() + interval.toNanos();
            while (next < end) {
                LockSupport.parkNanos(next - System.nanoTime());
                try (ResultSet r = sweep.executeQuery()) {
                    while (r.next()) {
                        timedOut.put(r.getString(1), r.getLong(2));
                    }
                }
                next += interval.toNanos();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("the reconciler failed", e);
        }
    }

    /** How many of {@code runs} connection {@code thread} serves: runs thread, thread + connections, ... */
    private static int share(int runs, int connections, int thread) {
        return (runs - thread + connections - 1) / connections;
    }

    private void insertRuns(String prefix, int count, Duration timeout) throws SQLException {
        try (Connection c = connect(); PreparedStatement insert = c.prepareStatement("""
                INSERT INTO runs SELECT ? || lpad(g::text, 9, '0'), 'RUNNING', now(), ?::interval, NULL
                  FROM generate_series(0, ? - 1) g""")) {
            insert.setString(1, prefix);
            insert.setString(2, timeout.toMillis() + " milliseconds");
            insert.setInt(3, count);
            insert.executeUpdate();
            try (Statement s = c.createStatement()) {
                s.execute("VACUUM ANALYZE runs");
            }
        }
    }

    private interface ConnectionWork {
        void run(Connection connection, int thread) throws Exception;
    }

    private void runOnConnections(int count, ConnectionWork work) throws Exception {
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int t = 0; t < count; t++) {
            int thread = t;
            Thread worker = new Thread(() -> {
                try (Connection c = connect()) {
                    work.run(c, thread);
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "baseline-" + t);
            threads.add(worker);
            worker.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("a baseline connection failed", failures.get(0));
        }
    }

    private Connection connect() throws SQLException {
        return DriverManager.getConnection(postgres.jdbcUrl(), postgres.username(), postgres.password());
    }

    private static String runId(String prefix, int i) {
        return prefix + String.format("%09d", i);
    }
}
