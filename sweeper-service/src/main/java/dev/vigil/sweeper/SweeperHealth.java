package dev.vigil.sweeper;

import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.annotation.Liveness;
import io.micronaut.management.health.indicator.AbstractHealthIndicator;
import jakarta.inject.Singleton;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;

/** {@code /health} is UP while the Kafka Streams application is running or rebalancing. */
@Singleton
@Liveness
public class SweeperHealth extends AbstractHealthIndicator<Map<String, String>> {

    private final SweeperService sweeper;

    public SweeperHealth(SweeperService sweeper) {
        this.sweeper = sweeper;
    }

    @Override
    protected Map<String, String> getHealthInformation() {
        KafkaStreams.State state = sweeper.state();
        healthStatus = state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING
                || state == KafkaStreams.State.CREATED ? HealthStatus.UP : HealthStatus.DOWN;
        return Map.of("streams", state.name());
    }

    @Override
    protected String getName() {
        return "sweeper";
    }
}
