package dev.vigil.cleaner.events;

import dev.vigil.contracts.KafkaClientEnv;
import java.util.HashMap;
import java.util.Map;

/**
 * Where the broker is ({@code vigil.kafka.bootstrap-servers}, env {@code KAFKA_BOOTSTRAP_SERVERS}) and
 * the client settings every Kafka client of the service gets ({@code vigil.kafka.client.<setting>}, or
 * env {@code VIGIL_KAFKA_CLIENT_<SETTING>} with dots as underscores, e.g.
 * {@code VIGIL_KAFKA_CLIENT_SECURITY_PROTOCOL=SASL_SSL}).
 */
public record KafkaConnection(String bootstrapServers, Map<String, Object> client) {

    public KafkaConnection {
        client = Map.copyOf(client);
    }

    /**
     * The connection from configuration plus the {@code VIGIL_KAFKA_CLIENT_*} variables of {@code env},
     * which win, as environment variables do over application.yml.
     */
    public static KafkaConnection of(String bootstrapServers, Map<String, Object> configured, Map<String, String> env) {
        return new KafkaConnection(bootstrapServers, KafkaClientEnv.merge(configured, env));
    }

    /** The settings shared by the producer, the consumer and the admin client. */
    public Map<String, Object> config() {
        Map<String, Object> config = new HashMap<>(client);
        config.put("bootstrap.servers", bootstrapServers);
        return config;
    }
}
