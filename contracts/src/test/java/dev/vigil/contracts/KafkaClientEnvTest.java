package dev.vigil.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaClientEnvTest {

    @Test
    void environmentVariablesBecomeClientSettingsAndWin() {
        Map<String, Object> merged = KafkaClientEnv.merge(
                Map.of("security.protocol", "PLAINTEXT", "client.id", "x"),
                Map.of("VIGIL_KAFKA_CLIENT_SECURITY_PROTOCOL", "SASL_SSL",
                        "VIGIL_KAFKA_CLIENT_SASL_MECHANISM", "SCRAM-SHA-512",
                        "VIGIL_KAFKA_CLIENT_", "ignored", "PATH", "/usr/bin"));
        assertThat(merged).containsOnly(
                Map.entry("security.protocol", "SASL_SSL"),
                Map.entry("sasl.mechanism", "SCRAM-SHA-512"),
                Map.entry("client.id", "x"));
    }
}
