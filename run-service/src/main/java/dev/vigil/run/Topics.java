package dev.vigil.run;

import dev.vigil.contracts.KafkaSettings;
import dev.vigil.contracts.topic.TopicCatalog;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.env.Environment;
import io.micronaut.core.naming.conventions.StringConvention;
import jakarta.inject.Singleton;

/** How this service reaches Kafka ({@link KafkaSettings}), and the topic catalogue, provisioned at start. */
@Factory
public class Topics {

    @Singleton
    KafkaSettings kafka(Environment config) {
        return KafkaSettings.from(config::getProperty, config.getProperties(KafkaSettings.CLIENT, StringConvention.RAW),
                System.getenv());
    }

    @Singleton
    TopicCatalog catalog(KafkaSettings kafka) {
        return kafka.provisionTopics();
    }
}
