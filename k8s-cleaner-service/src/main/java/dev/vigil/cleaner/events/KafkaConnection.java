package dev.vigil.cleaner.events;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Where the broker is ({@code vigil.kafka.bootstrap-servers}, env {@code KAFKA_BOOTSTRAP_SERVERS}) and
 * the client settings every Kafka client of the service gets ({@code vigil.kafka.client.<setting>}, or
 * env {@code VIGIL_KAFKA_CLIENT_<SETTING>} with dots as underscores, e.g.
 * {@code VIGIL_KAFKA_CLIENT_SECURITY_PROTOCOL=SASL_SSL}).
 */
public record KafkaConnection(String bootstrapServers, Map<String, Object> client) {

    private static final String ENV_PREFIX = "VIGIL_KAFKA_CLIENT_";

    public KafkaConnection {
        client = Map.copyOf(client);
    }

    /**
     * The connection from configuration plus the {@code VIGIL_KAFKA_CLIENT_*} variables of {@code env},
     * which win, as environment variables do over application.yml.
     */
    public static KafkaConnection of(String bootstrapServers, Map<String, Object> configured, Map<String, String> env) {
        Map<String, Object> client = new HashMap<>(configured);
        env.forEach((name, value) -> {
            if (name.startsWith(ENV_PREFIX) && name.length() > ENV_PREFIX.length()) {
                client.put(name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        return new KafkaConnection(bootstrapServers, client);
    }

    /** The settings shared by the producer, the consumer and the admin client. */
    public Map<String, Object> config() {
        Map<String, Object> config = new HashMap<>(client);
        config.put("bootstrap.servers", bootstrapServers);
        return config;
    }
}
