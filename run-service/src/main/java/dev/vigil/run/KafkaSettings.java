package dev.vigil.run;

import dev.vigil.contracts.KafkaClientEnv;
import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.convert.format.MapFormat;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code vigil.kafka.*}: where the broker is and any client setting every Kafka client of this
 * service gets (SASL/TLS: {@code vigil.kafka.client.security.protocol}, or env
 * {@code VIGIL_KAFKA_CLIENT_SECURITY_PROTOCOL}); plus the topic prefix.
 */
@ConfigurationProperties("vigil.kafka")
public class KafkaSettings {

    private String bootstrapServers = "localhost:9092";
    private Map<String, String> client = new HashMap<>();
    private boolean createTopics = true;
    private short replicationFactor = -1;

    public Map<String, Object> clientConfig() {
        Map<String, Object> config = KafkaClientEnv.merge(client, System.getenv());
        config.put("bootstrap.servers", bootstrapServers);
        return config;
    }

    public String getBootstrapServers() {
        return bootstrapServers;
    }

    public void setBootstrapServers(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
    }

    public Map<String, String> getClient() {
        return client;
    }

    public void setClient(@MapFormat(transformation = MapFormat.MapTransformation.FLAT) Map<String, String> client) {
        this.client = client;
    }

    public boolean isCreateTopics() {
        return createTopics;
    }

    public void setCreateTopics(boolean createTopics) {
        this.createTopics = createTopics;
    }

    public short getReplicationFactor() {
        return replicationFactor;
    }

    public void setReplicationFactor(short replicationFactor) {
        this.replicationFactor = replicationFactor;
    }

}
