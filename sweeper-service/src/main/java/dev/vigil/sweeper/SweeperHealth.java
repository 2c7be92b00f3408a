package dev.vigil.sweeper;

import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.AbstractHealthIndicator;
import io.micronaut.management.health.indicator.annotation.Liveness;
import io.micronaut.management.health.indicator.annotation.Readiness;
import jakarta.inject.Singleton;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;

/**
 * {@code /health}: the Kafka Streams application's state and its stream threads' recent deaths. Ready
 * while it runs (or rebalances) and no thread is in a crash loop; live until it has failed for good or a
 * thread has died {@value StreamFailures#NOT_LIVE_AFTER} times in the window.
 */
public final class SweeperHealth {

    private SweeperHealth() {
    }

    static Map<String, String> details(KafkaStreams.State state, StreamFailures failures) {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("streams", state.name());
        details.put("streamThreadDeaths", Integer.toString(failures.recent()));
        if (failures.last() != null) {
            details.put("lastStreamThreadDeath", failures.last());
        }
        return details;
    }

    static boolean ready(KafkaStreams.State state, StreamFailures failures) {
        return (state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING
                || state == KafkaStreams.State.CREATED) && failures.ready();
    }

    static boolean live(KafkaStreams.State state, StreamFailures failures) {
        return state != KafkaStreams.State.ERROR && state != KafkaStreams.State.PENDING_ERROR
                && state != KafkaStreams.State.NOT_RUNNING && failures.live();
    }

    /** {@code /health/readiness}. */
    @Singleton
    @Readiness
    public static class Ready extends AbstractHealthIndicator<Map<String, String>> {
        private final SweeperService sweeper;

        public Ready(SweeperService sweeper) {
            this.sweeper = sweeper;
        }

        @Override
        protected Map<String, String> getHealthInformation() {
            healthStatus = ready(sweeper.state(), sweeper.failures()) ? HealthStatus.UP : HealthStatus.DOWN;
            return details(sweeper.state(), sweeper.failures());
        }

        @Override
        protected String getName() {
            return "sweeper";
        }
    }

    /** {@code /health/liveness}. */
    @Singleton
    @Liveness
    public static class Live extends AbstractHealthIndicator<Map<String, String>> {
        private final SweeperService sweeper;

        public Live(SweeperService sweeper) {
            this.sweeper = sweeper;
        }

        @Override
        protected Map<String, String> getHealthInformation() {
            healthStatus = live(sweeper.state(), sweeper.failures()) ? HealthStatus.UP : HealthStatus.DOWN;
            return details(sweeper.state(), sweeper.failures());
        }

        @Override
        protected String getName() {
            return "sweeper-liveness";
        }
    }
}
