package dev.vigil.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * CPU time of a process and its children, from {@code /proc} (Linux): user + system time of the
 * process, of its live descendants, and of the children it has already reaped — so a PostgreSQL
 * postmaster's figure includes every backend, including those whose connection has closed.
 */
final class ProcessCpu {

    /** USER_HZ: the unit of /proc/[pid]/stat times, 100 on every mainstream Linux. */
    private static final double TICKS_PER_SECOND = 100.0;

    private final long pid;

    ProcessCpu(long pid) {
        this.pid = pid;
    }

    /** Whether CPU time can be read here (Linux with /proc, a known pid). */
    boolean available() {
        return pid > 0 && Files.isReadable(Path.of("/proc", Long.toString(pid), "stat"));
    }

    /** CPU seconds used so far by the process tree, or NaN where it cannot be read. */
    double seconds() {
        if (!available()) {
            return Double.NaN;
        }
        long ticks = ticks(pid, true);
        try (Stream<ProcessHandle> descendants = ProcessHandle.of(pid).map(ProcessHandle::descendants).orElse(Stream.empty())) {
            ticks += descendants.mapToLong(child -> ticks(child.pid(), false)).sum();
        }
        return ticks / TICKS_PER_SECOND;
    }

    private static long ticks(long pid, boolean withReapedChildren) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // Fields after the command name (which may hold spaces) start at state, field 3.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long utime = Long.parseLong(fields[11]);
            long stime = Long.parseLong(fields[12]);
            long reaped = withReapedChildren ? Long.parseLong(fields[13]) + Long.parseLong(fields[14]) : 0;
            return utime + stime + reaped;
        } catch (IOException | RuntimeException gone) {
            return 0; // the process ended between listing and reading
        }
    }

    /** Measures the CPU used by the process tree while {@code work} runs. */
    static final class Window {
        private final ProcessCpu cpu;
        private final double startSeconds;
        private final long startNanos = System.nanoTime();

        Window(ProcessCpu cpu) {
            this.cpu = cpu;
            this.startSeconds = cpu.seconds();
        }

        /** Average cores busy since the window opened (1.0 = one core fully used), or NaN. */
        double cores() {
            double elapsed = (System.nanoTime() - startNanos) / 1e9;
            return (cpu.seconds() - startSeconds) / elapsed;
        }

        double cpuSeconds() {
            return cpu.seconds() - startSeconds;
        }
    }
}
