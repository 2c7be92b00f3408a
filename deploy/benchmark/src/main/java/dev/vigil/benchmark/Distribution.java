package dev.vigil.benchmark;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/** A sorted sample of latencies in milliseconds. */
record Distribution(String name, List<Long> sortedMillis) {

    static Distribution of(String name, Collection<Long> millis) {
        List<Long> sorted = new ArrayList<>(millis);
        sorted.sort(Long::compare);
        return new Distribution(name, List.copyOf(sorted));
    }

    int size() {
        return sortedMillis.size();
    }

    /** The nearest-rank percentile ({@code p} in 0..1), or -1 for an empty sample. */
    long percentile(double p) {
        if (sortedMillis.isEmpty()) {
            return -1;
        }
        int rank = (int) Math.ceil(p * sortedMillis.size()) - 1;
        return sortedMillis.get(Math.max(0, Math.min(sortedMillis.size() - 1, rank)));
    }

    long p50() {
        return percentile(0.5);
    }

    long p99() {
        return percentile(0.99);
    }

    long max() {
        return percentile(1.0);
    }

    /** "p50 / p99 / max" for a report. */
    String summary() {
        return sortedMillis.isEmpty() ? "none" : String.format(Locale.ROOT, "%s / %s / %s", ms(p50()), ms(p99()), ms(max()));
    }

    @Override
    public String toString() {
        return name + " (" + size() + "): " + summary();
    }

    static String ms(long millis) {
        return millis >= 10_000 ? String.format(Locale.ROOT, "%.1f s", millis / 1000.0)
                : String.format(Locale.ROOT, "%,d ms", millis);
    }
}
