package dev.vigil.cleaner.events;

import dev.vigil.contracts.KafkaSettings;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import jakarta.annotation.PreDestroy;
import java.time.Duration;

/**
 * Runs the run-events consumer on its own thread for the life of the service: created at start
 * ({@code @Context}), it provisions the topics ({@link KafkaSettings#provisionTopics}), starts the
 * thread, and stops it on shutdown — the pattern every service's background work follows.
 */
@Context
@Requires(property = "vigil.cleaner.consumer.enabled", notEquals = "false")
public class RunEventsConsumerService {

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);

    private final RunEventLoop loop;
    private final Thread thread;

    public RunEventsConsumerService(RunEventLoop loop, KafkaSettings kafka) {
        this.loop = loop;
        try {
            kafka.provisionTopics();
        } catch (RuntimeException gaveUp) {
            loop.closeIfNeverRun();
            throw gaveUp;
        }
        thread = new Thread(loop::run, "vigil-run-events-consumer");
        thread.start();
    }

    @PreDestroy
    void stop() throws InterruptedException {
        loop.stop();
        thread.join(STOP_TIMEOUT.toMillis());
        if (thread.isAlive()) {
            thread.interrupt();
            thread.join(STOP_TIMEOUT.toMillis());
        }
    }
}
