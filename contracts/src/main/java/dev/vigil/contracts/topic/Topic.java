package dev.vigil.contracts.topic;

import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.serialization.Serde;

/**
 * One Kafka topic: its full name, partition count, topic configs and the serdes of its keys and values.
 *
 * @param name the full name, prefix included (e.g. {@code vigil.heartbeats})
 */
public record Topic<K, V>(String name, int partitions, Map<String, String> configs, Serde<K> keySerde,
                          Serde<V> valueSerde) {

    public Topic {
        configs = Map.copyOf(configs);
    }

    /** The topic as the admin client creates it. */
    public NewTopic newTopic(short replicationFactor) {
        return new NewTopic(name, Optional.of(partitions), Optional.of(replicationFactor)).configs(configs);
    }
}
