package dev.vigil.run;

import dev.vigil.contracts.KafkaSettings;
import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.run.webhook.WebhookSettings;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.env.Environment;
import io.micronaut.core.naming.conventions.StringConvention;
import jakarta.inject.Singleton;

/**
 * The service's configuration, read once: {@link RunSettings}, {@link WebhookSettings} and {@link KafkaSettings} (the
 * same keys in every service); and the topic catalogue, provisioned at start.
 */
@Factory
public class SettingsFactory {

    @Singleton
    RunSettings settings(Environment config) {
        return RunSettings.from(config::getProperty);
    }

    @Singleton
    WebhookSettings webhooks(Environment config) {
        return WebhookSettings.from(config::getProperty);
    }

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
