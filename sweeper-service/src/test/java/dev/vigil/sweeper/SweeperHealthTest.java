package dev.vigil.sweeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.infra.SettableClock;
import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.streams.KafkaStreams.State;
import org.junit.jupiter.api.Test;

/** Health tells the truth about a stream thread in a crash loop, though Kafka Streams still says RUNNING. */
class SweeperHealthTest {

    private final SettableClock clock = new SettableClock(Instant.parse("2026-11-30T12:00:00Z"));
    private final StreamFailures failures = new StreamFailures(clock, Duration.ofMinutes(5));

    @Test
    void aThreadThatKeepsDyingTurnsReadinessAndThenLivenessDownAndTheyRecoverOnceItStops() {
        assertThat(SweeperHealth.ready(State.RUNNING, failures)).isTrue();
        for (int i = 1; i <= StreamFailures.NOT_LIVE_AFTER; i++) {
            failures.record(new NegativeArraySizeException("-128"));
            clock.advance(Duration.ofSeconds(1));
            assertThat(SweeperHealth.ready(State.RUNNING, failures)).isEqualTo(i < StreamFailures.NOT_READY_AFTER);
            assertThat(SweeperHealth.live(State.RUNNING, failures)).isEqualTo(i < StreamFailures.NOT_LIVE_AFTER);
        }
        assertThat(SweeperHealth.details(State.RUNNING, failures))
                .containsEntry("streamThreadDeaths", "10")
                .containsEntry("lastStreamThreadDeath", "java.lang.NegativeArraySizeException: -128");

        clock.advance(Duration.ofMinutes(6));
        assertThat(SweeperHealth.ready(State.RUNNING, failures)).isTrue();
        assertThat(SweeperHealth.live(State.RUNNING, failures)).isTrue();
    }

    @Test
    void aFailedApplicationIsNeitherReadyNorLive() {
        assertThat(SweeperHealth.ready(State.ERROR, failures)).isFalse();
        assertThat(SweeperHealth.live(State.ERROR, failures)).isFalse();
        assertThat(SweeperHealth.ready(State.REBALANCING, failures)).isTrue();
        assertThat(SweeperHealth.live(State.REBALANCING, failures)).isTrue();
    }
}
