package dev.vigil.sweeper;

import dev.vigil.contracts.ConfigLookup;
import dev.vigil.contracts.KafkaSettings;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.env.Environment;
import io.micronaut.core.naming.conventions.StringConvention;
import jakarta.inject.Singleton;

/** The service's configuration, read once: {@link SweeperSettings} and {@link KafkaSettings} (the same keys in every service). */
@Factory
public class SettingsFactory {

    @Singleton
    SweeperSettings settings(Environment config) {
        return SweeperSettings.from(config::getProperty);
    }

    @Singleton
    KafkaSettings kafka(Environment config) {
        return KafkaSettings.from(config::getProperty, config.getProperties(KafkaSettings.CLIENT, StringConvention.RAW),
                System.getenv());
    }
}
