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

    /** An indicator that is UP while {@code check} holds for the application's state and thread deaths. */
    abstract static class Indicator extends AbstractHealthIndicator<Map<String, String>> {
        private final SweeperService sweeper;
        private final String name;

        Indicator(SweeperService sweeper, String name) {
            this.sweeper = sweeper;
            this.name = name;
        }

        abstract boolean check(KafkaStreams.State state, StreamFailures failures);

        @Override
        protected Map<String, String> getHealthInformation() {
            KafkaStreams.State state = sweeper.state();
            healthStatus = check(state, sweeper.failures()) ? HealthStatus.UP : HealthStatus.DOWN;
            return details(state, sweeper.failures());
        }

        @Override
        protected String getName() {
            return name;
        }
    }

    /** {@code /health/readiness}. */
    @Singleton
    @Readiness
    public static class Ready extends Indicator {
        public Ready(SweeperService sweeper) {
            super(sweeper, "sweeper");
        }

        @Override
        boolean check(KafkaStreams.State state, StreamFailures failures) {
            return ready(state, failures);
        }
    }

    /** {@code /health/liveness}. */
    @Singleton
    @Liveness
    public static class Live extends Indicator {
        public Live(SweeperService sweeper) {
            super(sweeper, "sweeper-liveness");
        }

        @Override
        boolean check(KafkaStreams.State state, StreamFailures failures) {
            return live(state, failures);
        }
    }
}
