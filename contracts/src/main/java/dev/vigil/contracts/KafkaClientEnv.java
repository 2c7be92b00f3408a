package dev.vigil.contracts;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Kafka client settings every Vigil service passes to all its clients: those configured under
 * {@code vigil.kafka.client.<setting>} plus environment variables {@code VIGIL_KAFKA_CLIENT_<SETTING>}
 * (dots as underscores, e.g. {@code VIGIL_KAFKA_CLIENT_SECURITY_PROTOCOL=SASL_SSL}), which win — the
 * way SASL/TLS credentials reach the services from Kubernetes Secrets.
 */
public final class KafkaClientEnv {

    /** The environment variable prefix. */
    public static final String PREFIX = "VIGIL_KAFKA_CLIENT_";

    private KafkaClientEnv() {
    }

    /** {@code configured} overlaid with the {@code VIGIL_KAFKA_CLIENT_*} variables of {@code env}. */
    public static Map<String, Object> merge(Map<String, ?> configured, Map<String, String> env) {
        Map<String, Object> client = new HashMap<>(configured);
        env.forEach((name, value) -> {
            if (name.startsWith(PREFIX) && name.length() > PREFIX.length()) {
                client.put(name.substring(PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        return client;
    }
}
