package dev.vigil.cleaner.events;

import dev.vigil.cleaner.kubernetes.CleanupInterruptedException;
import dev.vigil.cleaner.output.CleanerOutput;
import dev.vigil.cleaner.runstate.RunStateStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one consumer of {@code vigil.run-events}. It is assigned every partition (no group
 * rebalancing: the store needs every run) and, at start, restores the run state store from its
 * changelog ({@code vigil.cleaner-run-state}), then reads {@code run-events} from the beginning to
 * bring it up to date without acting; the finishes at or after the group's committed
 * offsets, which were not handled before the restart, are acted on once the rebuild is complete and
 * only if their attempt is still the newest. After that it acts on each batch as it comes and
 * commits. With no committed offsets (a first start) only what arrives after the start is acted on;
 * garbage collection takes care of older leftovers. A partition with a record whose dead letter could
 * not be sent ({@link Rewinds}) is rewound to that record, committed only up to it, and paused for
 * 5 s before it is read again; the other partitions go on.
 *
 * <p>{@link #run()} is the thread body; tests drive it with {@link #assign()} and {@link #pollOnce()}.
 */
public final class RunEventLoop implements Runnable {

    /** Where the loop is in its life. */
    public enum Status { STARTING, RESTORING, RUNNING, STOPPED, FAILED }

    private static final Logger LOG = LoggerFactory.getLogger(RunEventLoop.class);
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration TOPIC_WAIT = Duration.ofSeconds(2);
    private static final int REWIND_PAUSE_SECONDS = 5;

    private final Consumer<byte[], byte[]> consumer;
    private final String topic;
    private final RunEventProcessor processor;
    private final RunStateStore store;
    private final CleanerOutput output;
    private final Clock clock;
    private final Duration pollTimeout;
    private final Predicate<RunStateStore> restoreChangelog;

    private final List<RunEventProcessor.Finish> pending = new ArrayList<>();
    private final Map<TopicPartition, Instant> pausedUntil = new HashMap<>();
    private Set<TopicPartition> partitions = Set.of();
    private Map<TopicPartition, Long> firstUnhandled = Map.of();
    private Map<TopicPartition, Long> restoreTarget = Map.of();
    private volatile Status status = Status.STARTING;
    private volatile boolean stopping;
    private volatile boolean started;

    /** Without a changelog: the store is rebuilt from {@code run-events} alone. */
    public RunEventLoop(Consumer<byte[], byte[]> consumer, String topic, RunEventProcessor processor, RunStateStore store,
                        CleanerOutput output, Clock clock, Duration pollTimeout) {
        this(consumer, topic, processor, store, output, clock, pollTimeout, s -> true);
    }

    /**
     * @param restoreChangelog fills the store from its changelog before {@code run-events} is read; false
     *                         if the changelog is not there yet (tried again)
     */
    public RunEventLoop(Consumer<byte[], byte[]> consumer, String topic, RunEventProcessor processor, RunStateStore store,
                        CleanerOutput output, Clock clock, Duration pollTimeout,
                        Predicate<RunStateStore> restoreChangelog) {
        this.consumer = consumer;
        this.topic = topic;
        this.processor = processor;
        this.store = store;
        this.output = output;
        this.clock = clock;
        this.pollTimeout = pollTimeout;
        this.restoreChangelog = restoreChangelog;
    }

    @Override
    public void run() {
        started = true;
        try {
            while (!stopping && !assign()) {
                Thread.sleep(TOPIC_WAIT.toMillis());
            }
            while (!stopping) {
                pollOnce();
            }
            status = Status.STOPPED;
        } catch (WakeupException | InterruptException | CleanupInterruptedException | InterruptedException e) {
            status = stopping ? Status.STOPPED : Status.FAILED;
            if (!stopping) {
                LOG.error("the run-events consumer was interrupted unexpectedly", e);
            }
        } catch (RuntimeException e) {
            status = Status.FAILED;
            LOG.error("the run-events consumer stopped: {}", e.toString(), e);
        } finally {
            try {
                consumer.close();
            } catch (RuntimeException e) {
                LOG.warn("the run-events consumer did not close cleanly: {}", e.toString());
            }
        }
    }

    /** Asks the loop to stop; safe from any thread. {@link #run()} returns after the batch in hand. */
    public void stop() {
        stopping = true;
        consumer.wakeup();
    }

    /**
     * Assigns every partition of the topic and seeks to its beginning. Returns false if the topic does
     * not exist yet.
     */
    public boolean assign() {
        List<PartitionInfo> infos;
        Map<TopicPartition, OffsetAndMetadata> committed;
        try {
            if (!restoreChangelog.test(store)) {
                return false;
            }
            infos = consumer.partitionsFor(topic, METADATA_TIMEOUT);
            if (infos == null || infos.isEmpty()) {
                LOG.warn("topic {} is not there yet; waiting for it", topic);
                return false;
            }
            partitions = infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).collect(Collectors.toSet());
            consumer.assign(partitions);
            restoreTarget = consumer.endOffsets(partitions, METADATA_TIMEOUT);
            committed = consumer.committed(partitions, METADATA_TIMEOUT);
        } catch (TimeoutException e) {
            LOG.warn("the broker did not answer for {} ({}); trying again", topic, e.getMessage());
            return false;
        }
        Map<TopicPartition, Long> first = new HashMap<>();
        for (TopicPartition partition : partitions) {
            OffsetAndMetadata offset = committed.get(partition);
            first.put(partition, offset != null ? offset.offset() : restoreTarget.getOrDefault(partition, 0L));
        }
        firstUnhandled = first;
        consumer.seekToBeginning(partitions);
        status = Status.RESTORING;
        LOG.info("rebuilding run state from {} ({} partitions, {} records at most)", topic, partitions.size(),
                restoreTarget.values().stream().mapToLong(Long::longValue).sum());
        if (restored()) {
            finishRestore();
        }
        return true;
    }

    /** One poll: apply the records, act (or keep the finishes until the rebuild is done), commit. */
    public void pollOnce() {
        resumeDue();
        ConsumerRecords<byte[], byte[]> records = consumer.poll(pollTimeout);
        Rewinds rewinds = new Rewinds();
        List<RunEventProcessor.Finish> finishes = processor.apply(records, this::unhandled, rewinds);
        if (status == Status.RESTORING) {
            pending.addAll(finishes);
            rewind(rewinds);
            if (restored()) {
                finishRestore();
            }
        } else {
            processor.act(finishes, rewinds);
            rewind(rewinds);
            if (!records.isEmpty()) {
                commit();
            }
        }
        if (status == Status.RUNNING && caughtUp()) {
            store.markCaughtUp(clock.instant());
        }
    }

    public Status status() {
        return status;
    }

    private boolean unhandled(ConsumerRecord<byte[], byte[]> record) {
        Long first = firstUnhandled.get(new TopicPartition(record.topic(), record.partition()));
        return first == null || record.offset() >= first;
    }

    private boolean restored() {
        return partitions.stream().allMatch(p -> consumer.position(p) >= restoreTarget.getOrDefault(p, 0L));
    }

    private void finishRestore() {
        store.markReady();
        status = Status.RUNNING;
        LOG.info("run state rebuilt: {} runs ({} live, {} finished); {} finishes to act on from before the start",
                store.size(), store.liveCount(), store.terminalCount(), pending.size());
        Rewinds rewinds = new Rewinds();
        processor.act(List.copyOf(pending), rewinds);
        pending.clear();
        rewind(rewinds);
        commit();
    }

    /** Reads each partition again from its rewind offset after a pause; the commit then stops there. */
    private void rewind(Rewinds rewinds) {
        rewinds.offsets().forEach((partition, offset) -> {
            consumer.seek(partition, offset);
            consumer.pause(Set.of(partition));
            pausedUntil.put(partition, clock.instant().plusSeconds(REWIND_PAUSE_SECONDS));
        });
    }

    private void resumeDue() {
        Instant now = clock.instant();
        Set<TopicPartition> due = pausedUntil.entrySet().stream().filter(e -> !now.isBefore(e.getValue()))
                .map(Map.Entry::getKey).collect(Collectors.toSet());
        if (!due.isEmpty()) {
            consumer.resume(due);
            pausedUntil.keySet().removeAll(due);
        }
    }

    private boolean caughtUp() {
        for (TopicPartition partition : partitions) {
            OptionalLong lag = consumer.currentLag(partition);
            if (lag.isEmpty() || lag.getAsLong() > 0) {
                return false;
            }
        }
        return true;
    }

    private void commit() {
        output.flush();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition partition : partitions) {
            offsets.put(partition, new OffsetAndMetadata(consumer.position(partition)));
        }
        try {
            consumer.commitSync(offsets);
        } catch (WakeupException | InterruptException e) {
            throw e;
        } catch (KafkaException e) {
            // The next batch commits again; until then a restart merely repeats idempotent cleanups.
            LOG.warn("could not commit the run-events offsets: {}", e.toString());
        }
    }

    /** Closes the consumer if {@link #run()} never ran (it closes it otherwise). */
    public void closeIfNeverRun() {
        if (!started) {
            consumer.close();
        }
    }
}
