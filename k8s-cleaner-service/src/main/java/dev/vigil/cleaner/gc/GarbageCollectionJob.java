package dev.vigil.cleaner.gc;

import dev.vigil.cleaner.kubernetes.CleanupInterruptedException;
import io.micronaut.context.annotation.Requires;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs a garbage collection sweep every {@code vigil.cleaner.gc.interval}. */
@Singleton
@Requires(property = "vigil.cleaner.gc.enabled", notEquals = "false")
public class GarbageCollectionJob {

    private static final Logger LOG = LoggerFactory.getLogger(GarbageCollectionJob.class);

    private final GarbageCollector collector;

    public GarbageCollectionJob(GarbageCollector collector) {
        this.collector = collector;
    }

    @Scheduled(fixedDelay = "${vigil.cleaner.gc.interval}", initialDelay = "${vigil.cleaner.gc.initial-delay}")
    void sweep() {
        try {
            collector.sweep();
        } catch (CleanupInterruptedException e) {
            LOG.info("garbage collection stopped: the service is shutting down");
        }
    }
}
