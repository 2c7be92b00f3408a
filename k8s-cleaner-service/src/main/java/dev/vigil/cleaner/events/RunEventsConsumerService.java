package dev.vigil.cleaner.events;

import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.contracts.topic.TopicProvisioner;
import io.micronaut.context.annotation.Property;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.event.StartupEvent;
import io.micronaut.runtime.event.annotation.EventListener;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the run-events consumer on its own thread when the application starts (creating the
 * topics first if {@code vigil.kafka.create-topics} is on, retrying until the broker answers) and
 * stops it when the application stops.
 */
@Singleton
@Requires(property = "vigil.cleaner.consumer.enabled", notEquals = "false")
public class RunEventsConsumerService {

    private static final Logger LOG = LoggerFactory.getLogger(RunEventsConsumerService.class);
    private static final Duration PROVISIONING_RETRY = Duration.ofSeconds(5);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);

    private final RunEventLoop loop;
    private final TopicCatalog catalog;
    private final KafkaConnection kafka;
    private final boolean createTopics;
    private final short replicationFactor;
    private volatile boolean stopping;
    private Thread thread;

    public RunEventsConsumerService(RunEventLoop loop, TopicCatalog catalog, KafkaConnection kafka,
                                    @Property(name = "vigil.kafka.create-topics") boolean createTopics,
                                    @Property(name = "vigil.kafka.replication-factor") short replicationFactor) {
        this.loop = loop;
        this.catalog = catalog;
        this.kafka = kafka;
        this.createTopics = createTopics;
        this.replicationFactor = replicationFactor;
    }

    @EventListener
    void onStartup(StartupEvent event) {
        thread = new Thread(this::runConsumer, "vigil-run-events-consumer");
        thread.start();
    }

    @PreDestroy
    void stop() throws InterruptedException {
        stopping = true;
        loop.stop();
        if (thread == null) {
            loop.closeIfNeverRun();
            return;
        }
        thread.join(STOP_TIMEOUT.toMillis());
        if (thread.isAlive()) {
            thread.interrupt();
            thread.join(STOP_TIMEOUT.toMillis());
        }
    }

    private void runConsumer() {
        if (createTopics) {
            provisionTopics();
        }
        // Returns at once if stopping already; either way it closes the consumer.
        loop.run();
    }

    private void provisionTopics() {
        while (!stopping) {
            try (Admin admin = Admin.create(kafka.config())) {
                TopicProvisioner.createMissing(admin, catalog, replicationFactor);
                return;
            } catch (RuntimeException e) {
                LOG.warn("could not create the topics yet ({}); retrying in {} s", e.getMessage(),
                        PROVISIONING_RETRY.toSeconds());
            }
            try {
                Thread.sleep(PROVISIONING_RETRY.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
