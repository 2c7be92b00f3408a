package dev.vigil.cleaner.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaConnectionTest {

    @Test
    void clientSettingsComeFromConfigurationAndEnvironmentVariablesWhichWin() {
        KafkaConnection connection = KafkaConnection.of("kafka:9092",
                Map.of("security.protocol", "SSL", "client.rack", "eu-1a"),
                Map.of("VIGIL_KAFKA_CLIENT_SECURITY_PROTOCOL", "SASL_SSL",
                        "VIGIL_KAFKA_CLIENT_SASL_MECHANISM", "SCRAM-SHA-512",
                        "VIGIL_KAFKA_CLIENT_", "ignored",
                        "KAFKA_BOOTSTRAP_SERVERS", "not a client setting",
                        "HOME", "/root"));

        assertThat(connection.config()).isEqualTo(Map.of(
                "bootstrap.servers", "kafka:9092",
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "SCRAM-SHA-512",
                "client.rack", "eu-1a"));
    }
}
