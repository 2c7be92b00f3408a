package dev.vigil.sweeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micronaut.context.ApplicationContext;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The settings the service reads from its application.yml and overrides, with no Kafka (the context is not started). */
class SweeperSettingsTest {

    private static SweeperSettings read(Map<String, Object> properties) {
        try (ApplicationContext context = ApplicationContext.builder().properties(properties).build()) {
            return SweeperSettings.from(context.getEnvironment().start()::getProperty);
        }
    }

    @Test
    void theDetectionDefaultsAreSweeperConfigsAndTheServiceOnesApplicationYmls() {
        SweeperSettings settings = read(Map.of());

        assertThat(settings.detection()).isEqualTo(SweeperConfig.defaults());
        assertThat(settings.applicationId()).isEqualTo("vigil-sweeper");
        assertThat(settings.stateDir()).isEqualTo("/tmp/vigil-sweeper");
        assertThat(settings.streamThreads()).isEqualTo(1);
        assertThat(settings.standbyReplicas()).isEqualTo(1);
        assertThat(settings.requireToken()).isFalse();
        assertThat(settings.sweeperConfig().requiredTokens()).isNull();
    }

    @Test
    void everyKeyCanBeOverriddenInItsTextForm() {
        SweeperSettings settings = read(Map.of("vigil.sweeper.tick-interval", "20ms",
                "vigil.sweeper.blackout-threshold", "3s", "vigil.sweeper.stream-threads", "2",
                "vigil.sweeper.standby-replicas", "0", "vigil.heartbeats.require-token", "true",
                "vigil.heartbeats.secret", "0123456789abcdef0123456789abcdef"));

        assertThat(settings.detection().tickInterval()).isEqualTo(Duration.ofMillis(20));
        assertThat(settings.detection().blackoutThreshold()).isEqualTo(Duration.ofSeconds(3));
        assertThat(settings.streamThreads()).isEqualTo(2);
        assertThat(settings.standbyReplicas()).isZero();
        assertThat(settings.sweeperConfig().requiredTokens()).isNotNull();
    }

    @Test
    void aValueMicronautCannotConvertStopsTheStartNamingTheKey() {
        assertThatThrownBy(() -> read(Map.of("vigil.sweeper.tick-interval", "50 millis")))
                .hasMessageContaining("vigil.sweeper.tick-interval is '50 millis', which is not a duration");
        assertThatThrownBy(() -> read(Map.of("vigil.sweeper.stream-threads", "two")))
                .hasMessageContaining("vigil.sweeper.stream-threads is 'two'");
    }

    @Test
    void requiringTokensWithoutTheSecretIsRefusedAtStart() {
        assertThatThrownBy(() -> read(Map.of("vigil.heartbeats.require-token", "true")).sweeperConfig())
                .isInstanceOf(IllegalArgumentException.class);
    }
}
