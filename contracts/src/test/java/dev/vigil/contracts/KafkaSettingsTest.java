package dev.vigil.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.contracts.topic.BrokerWait;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaSettingsTest {

    @Test
    void clientSettingsComeFromConfigurationAndEnvironmentVariablesWhichWin() {
        KafkaSettings kafka = KafkaSettings.from(ConfigLookup.of(Map.of(KafkaSettings.BOOTSTRAP_SERVERS, "kafka:9092")),
                Map.of("security.protocol", "SSL", "client.rack", "eu-1a"),
                Map.of("VIGIL_KAFKA_CLIENT_SECURITY_PROTOCOL", "SASL_SSL",
                        "VIGIL_KAFKA_CLIENT_SASL_MECHANISM", "SCRAM-SHA-512",
                        "VIGIL_KAFKA_CLIENT_", "ignored",
                        "KAFKA_BOOTSTRAP_SERVERS", "not a client setting",
                        "HOME", "/root"));

        assertThat(kafka.clientConfig()).isEqualTo(Map.of(
                "bootstrap.servers", "kafka:9092",
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "SCRAM-SHA-512",
                "client.rack", "eu-1a",
                "retry.backoff.max.ms", KafkaSettings.RETRY_BACKOFF_MAX_MS));
    }

    @Test
    void aConfiguredRetryBackoffCeilingWinsOverVigilsDefault() {
        KafkaSettings kafka = new KafkaSettings("kafka:9092", Map.of("retry.backoff.max.ms", "1000"), "t.", true,
                (short) 3, java.time.Duration.ofSeconds(1));
        assertThat(kafka.clientConfig()).containsEntry("retry.backoff.max.ms", "1000");
    }

    @Test
    void everyKeyHasOneDefaultForEveryService() {
        KafkaSettings kafka = KafkaSettings.from(ConfigLookup.of(Map.of()), Map.of(), Map.of());

        assertThat(kafka.bootstrapServers()).isEqualTo("localhost:9092");
        assertThat(kafka.topicPrefix()).isEqualTo("vigil.");
        assertThat(kafka.createTopics()).isTrue();
        assertThat(kafka.replicationFactor()).isEqualTo((short) -1);
        assertThat(kafka.brokerWait()).isEqualTo(BrokerWait.DEFAULT);
        assertThat(kafka.catalog().heartbeats().name()).isEqualTo("vigil.heartbeats");
    }

    @Test
    void configuredValuesWinOverTheDefaults() {
        KafkaSettings kafka = KafkaSettings.from(ConfigLookup.of(Map.of(KafkaSettings.TOPIC_PREFIX, "blue.",
                KafkaSettings.CREATE_TOPICS, false, KafkaSettings.REPLICATION_FACTOR, (short) 3,
                KafkaSettings.BROKER_WAIT, Duration.ofSeconds(20))), Map.of(), Map.of());

        assertThat(kafka.catalog().heartbeats().name()).isEqualTo("blue.heartbeats");
        assertThat(kafka.createTopics()).isFalse();
        assertThat(kafka.replicationFactor()).isEqualTo((short) 3);
        assertThat(kafka.brokerWait()).isEqualTo(Duration.ofSeconds(20));
    }

    @Test
    void eachCallGivesAFreshConfigTheCallerMayChange() {
        KafkaSettings kafka = KafkaSettings.local("localhost:1", "t.");
        kafka.clientConfig().put("client.id", "mine");
        assertThat(kafka.clientConfig()).doesNotContainKey("client.id");
    }
}
