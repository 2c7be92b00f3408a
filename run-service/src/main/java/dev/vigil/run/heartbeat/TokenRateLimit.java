package dev.vigil.run.heartbeat;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * At most {@code burst} requests at once per key, refilled at {@code perSecond}: a token bucket per heartbeat
 * token. The table is bounded: past {@code maxKeys} buckets, the ones full again (idle for a whole burst) are
 * dropped, which forgets nothing a limit depends on; if none is, the whole table is, which lets each key one
 * more burst through but never grows the table (a flood of keys costs memory nowhere).
 */
final class TokenRateLimit {

    private final double perSecond;
    private final double burst;
    private final int maxKeys;
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    TokenRateLimit(double perSecond, int burst, int maxKeys, LongSupplier nanoTime) {
        this.perSecond = perSecond;
        this.burst = burst;
        this.maxKeys = maxKeys;
        this.nanoTime = nanoTime;
    }

    /** Whether one more request of {@code key} is allowed now (and counts it if so). */
    boolean tryAcquire(String key) {
        long now = nanoTime.getAsLong();
        if (buckets.size() >= maxKeys && !buckets.containsKey(key)) {
            buckets.values().removeIf(bucket -> bucket.isFull(now));
            if (buckets.size() >= maxKeys) {
                buckets.clear();
            }
        }
        return buckets.computeIfAbsent(key, k -> new Bucket(now)).take(now);
    }

    int size() {
        return buckets.size();
    }

    private final class Bucket {
        private double tokens = burst;
        private long refilledAt;

        Bucket(long now) {
            refilledAt = now;
        }

        synchronized boolean take(long now) {
            refill(now);
            if (tokens < 1) {
                return false;
            }
            tokens -= 1;
            return true;
        }

        synchronized boolean isFull(long now) {
            refill(now);
            return tokens >= burst;
        }

        private void refill(long now) {
            tokens = Math.min(burst, tokens + (now - refilledAt) / 1e9 * perSecond);
            refilledAt = now;
        }
    }
}
