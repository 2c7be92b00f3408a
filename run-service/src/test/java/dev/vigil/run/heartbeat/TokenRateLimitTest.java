package dev.vigil.run.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TokenRateLimitTest {

    private final AtomicLong now = new AtomicLong();
    private final TokenRateLimit limit = new TokenRateLimit(5, 20, 3, now::get);

    private int allowed(String key, int tries) {
        int allowed = 0;
        for (int i = 0; i < tries; i++) {
            allowed += limit.tryAcquire(key) ? 1 : 0;
        }
        return allowed;
    }

    @Test
    void aBurstThenTheSustainedRatePerKey() {
        assertThat(allowed("a", 30)).isEqualTo(20);
        assertThat(allowed("b", 30)).as("keys do not share a bucket").isEqualTo(20);
        now.addAndGet(1_000_000_000L); // one second: five more
        assertThat(allowed("a", 30)).isEqualTo(5);
        now.addAndGet(60_000_000_000L); // a minute: refilled to the burst, never beyond
        assertThat(allowed("a", 30)).isEqualTo(20);
    }

    @Test
    void theTableStaysBoundedByDroppingBucketsThatAreFullAgain() {
        allowed("a", 1);
        allowed("b", 1);
        allowed("c", 20);
        now.addAndGet(10_000_000_000L); // a and b refilled; c too, but c is drained again below
        allowed("c", 20);
        assertThat(limit.tryAcquire("d")).isTrue();
        assertThat(limit.size()).as("a and b were idle: dropped; c was not").isEqualTo(2);
        assertThat(limit.tryAcquire("c")).as("c keeps its drained bucket").isFalse();
    }

    @Test
    void aFloodOfKeysNeverGrowsTheTablePastItsBound() {
        for (int i = 0; i < 1_000; i++) {
            limit.tryAcquire("flood-" + i); // none is idle: nothing to drop but everything
            assertThat(limit.size()).isLessThanOrEqualTo(3);
        }
    }
}
