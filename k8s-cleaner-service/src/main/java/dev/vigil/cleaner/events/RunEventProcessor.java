package dev.vigil.cleaner.events;

import dev.vigil.cleaner.kubernetes.CleanupInterruptedException;
import dev.vigil.cleaner.metrics.CleanerMetrics;
import dev.vigil.cleaner.output.CleanerOutput;
import dev.vigil.cleaner.runstate.RunState;
import dev.vigil.cleaner.runstate.RunStateStore;
import dev.vigil.contracts.event.CleanupOutcome;
import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.event.RunEvent;
import dev.vigil.contracts.event.RunFinished;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Turns records of {@code vigil.run-events} into run state and cleanups, in two steps per batch:
 * {@link #apply} decodes every record and updates the store; {@link #act} then cleans up for the
 * finishes whose attempt is still the run's newest. Applying the whole batch first means a retry
 * (a newer RunCreated) that arrives with the old attempt's finish protects the new attempt's
 * resources. Records that are not valid events go to the dead-letter topic and never stop it; one whose
 * dead letter cannot be sent is noted in the batch's {@link Rewinds}, to be read again.
 *
 * <p>Cleanups of different runs in a batch run concurrently (at most {@code concurrency} at a time):
 * each takes a dozen API calls, and a burst of runs dying together (a node lost, an agent fleet
 * replaced) must not queue behind one another. One run's finishes stay in order. {@link #act}
 * returns when every cleanup of the batch is done, so offsets are still committed only after them.
 */
public final class RunEventProcessor implements AutoCloseable {

    /** A finish read from the topic, with the record it came in (for the dead-letter topic). */
    public record Finish(ConsumerRecord<byte[], byte[]> record, RunFinished event) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(RunEventProcessor.class);

    private final Deserializer<RunEvent> deserializer;
    private final RunStateStore store;
    private final RunFinishedCleanup cleanup;
    private final CleanerOutput output;
    private final CleanerMetrics metrics;
    private final ExecutorService workers;

    public RunEventProcessor(Deserializer<RunEvent> deserializer, RunStateStore store, RunFinishedCleanup cleanup,
                             CleanerOutput output, CleanerMetrics metrics, int concurrency) {
        this(deserializer, store, cleanup, output, metrics, pool(concurrency));
    }

    /** With the executor the runs' cleanups go to (closed with this processor). */
    public RunEventProcessor(Deserializer<RunEvent> deserializer, RunStateStore store, RunFinishedCleanup cleanup,
                             CleanerOutput output, CleanerMetrics metrics, ExecutorService workers) {
        this.deserializer = deserializer;
        this.store = store;
        this.cleanup = cleanup;
        this.output = output;
        this.metrics = metrics;
        this.workers = workers;
    }

    private static ExecutorService pool(int concurrency) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("vigil.cleaner.concurrency must be >= 1, was " + concurrency);
        }
        AtomicInteger threads = new AtomicInteger();
        return Executors.newFixedThreadPool(concurrency, r -> {
            Thread thread = new Thread(r, "vigil-cleanup-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Updates the store with every event in {@code records} and returns the finishes among the
     * {@code actionable} ones (those not handled before). Invalid actionable records are dead-lettered;
     * invalid records that were handled before are skipped silently. Watermark ticks are skipped. A
     * record whose dead letter fails goes into {@code rewinds}, and the records after it in its
     * partition are left alone: they are read again after it.
     */
    public List<Finish> apply(Iterable<ConsumerRecord<byte[], byte[]>> records,
                              Predicate<ConsumerRecord<byte[], byte[]>> actionable, Rewinds rewinds) {
        List<Finish> finishes = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            if (rewinds.holdsBack(record)) {
                continue;
            }
            RunEvent event;
            try {
                event = deserializer.deserialize(record.topic(), record.headers(), record.value());
            } catch (RuntimeException e) {
                if (actionable.test(record)) {
                    deadLetter(record, e, CleanerMetrics.DeadLetterReason.INVALID_EVENT, rewinds);
                }
                continue;
            }
            if (event == null) {
                continue;
            }
            store.apply(event);
            if (event instanceof RunFinished finished && actionable.test(record)) {
                finishes.add(new Finish(record, finished));
            }
        }
        return finishes;
    }

    /**
     * Cleans up after each finish whose attempt is, by now, the run's newest and terminal: runs
     * concurrently, each run's finishes in order; returns when all are done. A finish whose failure
     * could not be dead-lettered goes into {@code rewinds}.
     */
    public void act(List<Finish> finishes, Rewinds rewinds) {
        Map<String, List<Finish>> byRun = new LinkedHashMap<>();
        finishes.forEach(f -> byRun.computeIfAbsent(f.event().runId(), id -> new ArrayList<>()).add(f));
        if (byRun.size() <= 1) {
            finishes.forEach(finish -> act(finish, rewinds));
            return;
        }
        List<Future<?>> running = new ArrayList<>();
        byRun.values().forEach(run -> running.add(workers.submit(() -> run.forEach(finish -> act(finish, rewinds)))));
        RuntimeException failure = null;
        for (Future<?> future : running) {
            try {
                future.get();
            } catch (InterruptedException e) {
                running.forEach(f -> f.cancel(true));
                Thread.currentThread().interrupt();
                throw new CleanupInterruptedException(e);
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void act(Finish finish, Rewinds rewinds) {
        RunFinished event = finish.event();
        MDC.put("runId", event.runId());
        try {
            RunState state = store.get(event.runId()).orElse(null);
            if (state != null && (state.live() || state.attempt() != event.attempt())) {
                LOG.info("run {} attempt {} finished, but attempt {} is {} now: nothing deleted for the old attempt",
                        event.runId(), event.attempt(), state.attempt(), state.live() ? "live" : "finished too");
                metrics.refused(CleanerMetrics.Refusal.SUPERSEDED_ATTEMPT);
                return;
            }
            List<CleanupPerformed> failed = cleanup.cleanUp(event, state).stream()
                    .filter(done -> done.outcome() == CleanupOutcome.FAILED)
                    .toList();
            if (!failed.isEmpty()) {
                deadLetter(finish.record(), new CleanupFailedException("could not clean up after run " + event.runId()
                        + " attempt " + event.attempt() + ": " + failed.stream()
                        .map(f -> f.kind() + " " + f.namespace() + "/" + f.name() + ": " + f.detail())
                        .collect(Collectors.joining("; "))), CleanerMetrics.DeadLetterReason.CLEANUP_FAILED, rewinds);
            }
        } catch (CleanupInterruptedException e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.error("cleanup of run {} attempt {} failed unexpectedly", event.runId(), event.attempt(), e);
            deadLetter(finish.record(), e, CleanerMetrics.DeadLetterReason.CLEANUP_FAILED, rewinds);
        } finally {
            MDC.remove("runId");
        }
    }

    @Override
    public void close() {
        workers.shutdownNow();
    }

    private void deadLetter(ConsumerRecord<byte[], byte[]> record, Throwable reason, CleanerMetrics.DeadLetterReason why,
                            Rewinds rewinds) {
        LOG.warn("dead-lettering {}-{}@{}: {}", record.topic(), record.partition(), record.offset(), reason.getMessage());
        if (output.deadLetter(record, reason)) {
            metrics.deadLettered(why);
        } else {
            metrics.deadLetterFailed(why);
            rewinds.add(record);
        }
    }
}
