package dev.vigil.run.consume;

import dev.vigil.contracts.serde.DeadLetterSender;
import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.contracts.KafkaSettings;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The dead-letter producer the consumers share, and the sender that waits for its acknowledgements:
 * long enough for every send to end one way or the other (blocked on metadata at most 5 s, delivered
 * or failed within 10 s), so a failed dead letter is retried, never also delivered late.
 */
@Factory
class DeadLetterFactory {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Singleton
    @Named("dead-letters")
    @Bean(preDestroy = "close")
    Producer<byte[], byte[]> deadLetterProducer(KafkaSettings kafka) {
        Map<String, Object> config = new HashMap<>(kafka.clientConfig());
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "vigil-run-service-dlq");
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
        return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @Singleton
    DeadLetterSender deadLetterSender(@Named("dead-letters") Producer<byte[], byte[]> producer, TopicCatalog topics) {
        return new DeadLetterSender(producer, topics.deadLetters().name(), "run-service", WAIT);
    }
}
