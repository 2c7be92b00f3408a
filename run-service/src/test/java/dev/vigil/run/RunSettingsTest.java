package dev.vigil.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micronaut.context.ApplicationContext;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The settings the service reads from its application.yml and overrides, with no database (the context is not started). */
class RunSettingsTest {

    private static RunSettings read(Map<String, Object> properties) {
        try (ApplicationContext context = ApplicationContext.builder().properties(properties).build()) {
            return RunSettings.from(context.getEnvironment().start()::getProperty);
        }
    }

    @Test
    void defaults() {
        RunSettings settings = read(Map.of());

        assertThat(settings.defaultHeartbeatTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(settings.defaultStartTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(settings.maxMaxDuration()).isEqualTo(Duration.ofDays(30));
        assertThat(settings.maxStopAttempts()).isEqualTo(3);
        assertThat(settings.runLabelKey()).isEqualTo("session");
        // application.yml's ${VIGIL_…:} placeholders are empty when unset: the same as not configured.
        assertThat(settings.heartbeatSecret()).isNull();
        assertThat(settings.heartbeatBaseUrl()).isNull();
        assertThat(settings.security()).isEqualTo(new RunSettings.Security(null, null, null));
    }

    @Test
    void overrides() {
        RunSettings settings = read(Map.of("vigil.runs.default-heartbeat-timeout", "10s",
                "vigil.runs.max-stop-attempts", "5", "vigil.security.issuer", " https://idp.example.com/realms/vigil ",
                "vigil.heartbeats.secret", "0123456789abcdef0123456789abcdef",
                "vigil.heartbeats.public-url", "https://vigil.example.com/ "));

        assertThat(settings.defaultHeartbeatTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(settings.maxStopAttempts()).isEqualTo(5);
        assertThat(settings.security().issuer()).isEqualTo("https://idp.example.com/realms/vigil");
        assertThat(settings.heartbeatSecret()).isEqualTo("0123456789abcdef0123456789abcdef");
        assertThat(settings.heartbeatBaseUrl()).isEqualTo("https://vigil.example.com");
    }

    @Test
    void aDefaultOutsideTheBoundsARequestMustKeepStopsRunServiceAtStart() {
        assertThatThrownBy(() -> read(Map.of("vigil.runs.default-heartbeat-timeout", "2d")))
                .hasMessageContaining("vigil.runs.default-heartbeat-timeout must be between PT1S and PT24H");
        assertThatThrownBy(() -> read(Map.of("vigil.runs.default-progress-timeout", "500ms")))
                .hasMessageContaining("vigil.runs.default-progress-timeout");
    }
}
