package dev.vigil.cleaner.events;

import dev.vigil.cleaner.output.CleanerOutput;
import dev.vigil.cleaner.runstate.KafkaRunStateChangelog;
import dev.vigil.cleaner.runstate.RunStateStore;
import dev.vigil.cleaner.settings.CleanerSettings;
import dev.vigil.contracts.KafkaSettings;
import dev.vigil.contracts.topic.TopicCatalog;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.env.Environment;
import io.micronaut.core.naming.conventions.StringConvention;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** The Kafka clients: {@link KafkaSettings} plus the ones the cleaner's guarantees rest on. */
@Factory
public class KafkaClientFactory {

    private static final String CLIENT_ID = "vigil-k8s-cleaner";

    @Singleton
    KafkaSettings kafka(Environment config) {
        return KafkaSettings.from(config::getProperty, config.getProperties(KafkaSettings.CLIENT, StringConvention.RAW),
                System.getenv());
    }

    @Singleton
    @Bean(preDestroy = "close")
    Producer<byte[], byte[]> producer(KafkaSettings kafka) {
        Map<String, Object> config = kafka.clientConfig();
        config.put(ProducerConfig.CLIENT_ID_CONFIG, CLIENT_ID);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        // With the broker away a send fails after 10 s instead of holding a cleanup for a minute.
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @Singleton
    KafkaRunStateChangelog runStateChangelog(KafkaSettings kafka, Producer<byte[], byte[]> producer, TopicCatalog catalog) {
        return new KafkaRunStateChangelog(producer, () -> {
            Map<String, Object> config = kafka.clientConfig();
            config.put(ConsumerConfig.CLIENT_ID_CONFIG, CLIENT_ID + "-run-state");
            config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
            return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        }, catalog.cleanerRunState().name(), Duration.ofMinutes(5));
    }

    @Singleton
    @Requires(property = "vigil.cleaner.consumer.enabled", notEquals = "false")
    RunEventLoop runEventLoop(KafkaSettings kafka, CleanerSettings settings, TopicCatalog catalog, RunEventProcessor processor, RunStateStore store,
                              CleanerOutput output, KafkaRunStateChangelog changelog) {
        Map<String, Object> config = kafka.clientConfig();
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, CLIENT_ID);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, settings.service().consumerGroupId());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        return new RunEventLoop(consumer, catalog.runEvents().name(), processor, store, output, Clock.systemUTC(),
                settings.service().pollTimeout(), changelog::restoreInto);
    }
}
