package dev.vigil.contracts;

import dev.vigil.contracts.topic.BrokerWait;
import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.contracts.topic.TopicProvisioner;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;

/**
 * How every Vigil service reaches Kafka, under one set of keys for all three:
 * <ul>
 *   <li>{@code vigil.kafka.bootstrap-servers} (env {@code KAFKA_BOOTSTRAP_SERVERS} through application.yml);</li>
 *   <li>{@code vigil.kafka.client.<setting>}, or env {@code VIGIL_KAFKA_CLIENT_<SETTING>} ({@link KafkaClientEnv}),
 *       which every client of the service gets (SASL, TLS);</li>
 *   <li>{@code vigil.topic-prefix}: the catalogue's prefix, the same in every service of a deployment;</li>
 *   <li>{@code vigil.kafka.create-topics}, {@code vigil.kafka.replication-factor}: whether the service creates
 *       the catalogue's missing topics at start (off where Strimzi creates them), and with which factor;</li>
 *   <li>{@code vigil.kafka.broker-wait}: how long start-up waits for a broker that is down ({@link BrokerWait}).</li>
 * </ul>
 * Immutable; each service builds it once from its configuration ({@link #from}).
 */
public record KafkaSettings(String bootstrapServers, Map<String, Object> client, String topicPrefix,
                            boolean createTopics, short replicationFactor, Duration brokerWait) {

    public static final String BOOTSTRAP_SERVERS = "vigil.kafka.bootstrap-servers";
    public static final String CLIENT = "vigil.kafka.client";
    public static final String TOPIC_PREFIX = "vigil.topic-prefix";
    public static final String CREATE_TOPICS = "vigil.kafka.create-topics";
    public static final String REPLICATION_FACTOR = "vigil.kafka.replication-factor";
    public static final String BROKER_WAIT = "vigil.kafka.broker-wait";

    public KafkaSettings {
        client = Map.copyOf(client);
    }

    /**
     * The settings from a service's configuration: {@code config} looks a key up, {@code client} is
     * what is configured under {@link #CLIENT} (flat, keys as written), {@code env} the process's
     * environment, whose {@code VIGIL_KAFKA_CLIENT_*} variables win.
     */
    public static KafkaSettings from(ConfigLookup config, Map<String, ?> client, Map<String, String> env) {
        return new KafkaSettings(
                config.text(BOOTSTRAP_SERVERS, "localhost:9092"),
                KafkaClientEnv.merge(client, env),
                config.get(TOPIC_PREFIX, String.class).orElse(TopicCatalog.DEFAULT_PREFIX),
                config.flag(CREATE_TOPICS, true),
                config.get(REPLICATION_FACTOR, Short.class).orElse((short) -1),
                config.duration(BROKER_WAIT, BrokerWait.DEFAULT));
    }

    /** A single local broker (replication factor 1) under {@code topicPrefix}: for tests, benchmarks, the local stack. */
    public static KafkaSettings local(String bootstrapServers, String topicPrefix) {
        return new KafkaSettings(bootstrapServers, Map.of(), topicPrefix, true, (short) 1, BrokerWait.DEFAULT);
    }

    /**
     * The longest a client waits between two metadata requests while a partition has no reachable leader, unless
     * {@code client.retry.backoff.max.ms} says otherwise. Kafka's default, 1 s, would let a client find a dead
     * broker's partitions on their new leader up to a second after the election, and every second of that is a
     * second of detection delay (the fault suite's cluster profile).
     */
    public static final int RETRY_BACKOFF_MAX_MS = 250;

    /** The settings shared by every producer, consumer and admin client of the service (a fresh, mutable copy). */
    public Map<String, Object> clientConfig() {
        Map<String, Object> config = new HashMap<>();
        config.put("retry.backoff.max.ms", RETRY_BACKOFF_MAX_MS);
        config.putAll(client);
        config.put("bootstrap.servers", bootstrapServers);
        return config;
    }

    public TopicCatalog catalog() {
        return new TopicCatalog(topicPrefix);
    }

    /**
     * The catalogue, after creating its missing topics if {@link #createTopics} (waiting up to
     * {@link #brokerWait} for the broker). Every service provisions this way, before its background work starts.
     */
    public TopicCatalog provisionTopics() {
        TopicCatalog catalog = catalog();
        if (createTopics) {
            BrokerWait.until("create Vigil's topics", brokerWait, () -> {
                try (Admin admin = Admin.create(clientConfig())) {
                    return TopicProvisioner.createMissing(admin, catalog, replicationFactor);
                }
            });
        }
        return catalog;
    }
}
