package dev.vigil.run;

import dev.vigil.contracts.topic.BrokerWait;
import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.contracts.topic.TopicProvisioner;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import org.apache.kafka.clients.admin.Admin;

/** The topic catalogue under the configured prefix; creates missing topics at start when asked to,
 * waiting for a broker that is down or restarting ({@link BrokerWait}). */
@Factory
public class Topics {

    @Singleton
    TopicCatalog catalog(@Value("${vigil.topic-prefix}") String prefix, KafkaSettings kafka) {
        TopicCatalog catalog = new TopicCatalog(prefix);
        if (kafka.isCreateTopics()) {
            BrokerWait.until("create Vigil's topics", BrokerWait.DEFAULT, () -> {
                try (Admin admin = Admin.create(kafka.clientConfig())) {
                    return TopicProvisioner.createMissing(admin, catalog, kafka.getReplicationFactor());
                }
            });
        }
        return catalog;
    }
}
