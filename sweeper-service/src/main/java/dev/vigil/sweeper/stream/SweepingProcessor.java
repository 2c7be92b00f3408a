package dev.vigil.sweeper.stream;

import dev.vigil.contracts.serde.DeadLetters;
import dev.vigil.contracts.serde.InvalidEventException;
import dev.vigil.contracts.serde.JsonSerde;
import dev.vigil.sweeper.SweeperMetrics;
import dev.vigil.sweeper.time.BrokerClock;
import dev.vigil.sweeper.time.DeadlineQueue;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shape both sweepers share: every input record first advances the task's {@link BrokerClock};
 * watermark ticks do nothing else; other records are decoded and handled, and any record that cannot
 * be (invalid, or a bug while handling it) goes to the dead-letter topic instead of stopping the
 * stream thread. Due deadlines are swept up to the clock's watermark — the minimum over the clock
 * partitions of what was processed on each — whenever it has moved by the punctuate interval, so they
 * fire exactly as far as every input has been processed, never ahead of a record still waiting on
 * another partition. Not Kafka Streams' stream time: that is the maximum over the task's partitions.
 * A deadline whose handling throws is dropped with one ERROR, and the sweep goes on.
 */
public abstract class SweepingProcessor implements Processor<byte[], byte[], String, Emitted> {

    private static final Logger LOG = LoggerFactory.getLogger(SweepingProcessor.class);

    private final String clockStore;
    private final String deadlineStore;
    private final List<String> clockTopics;
    private final long sweepEveryMs;
    private final long blackoutThresholdMs;
    protected final SweeperMetrics metrics;
    protected ProcessorContext<String, Emitted> context;
    protected BrokerClock clock;
    protected DeadlineQueue deadlines;

    private final int maxDuePerSweep;
    private long sweptTo = BrokerClock.NONE;

    /**
     * @param clockTopics the input topics whose partitions make the watermark, the liveness topic first;
     *        records of other inputs (the repartitioned agent links) are data, not clock
     */
    protected SweepingProcessor(String clockStore, String deadlineStore, List<String> clockTopics,
                                Duration punctuateInterval, Duration blackoutThreshold, int maxDuePerSweep,
                                SweeperMetrics metrics) {
        this.clockStore = clockStore;
        this.deadlineStore = deadlineStore;
        this.clockTopics = List.copyOf(clockTopics);
        this.maxDuePerSweep = maxDuePerSweep;
        this.sweepEveryMs = punctuateInterval.toMillis();
        this.blackoutThresholdMs = blackoutThreshold.toMillis();
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, Emitted> context) {
        this.context = context;
        KeyValueStore<String, byte[]> clockState = context.getStateStore(clockStore);
        KeyValueStore<Bytes, byte[]> deadlineState = context.getStateStore(deadlineStore);
        clock = new BrokerClock(clockState, blackoutThresholdMs, clockTopics);
        deadlines = new DeadlineQueue(deadlineState);
        sweptTo = BrokerClock.NONE;
    }

    @Override
    public final void process(Record<byte[], byte[]> record) {
        String topic = topic();
        if (clock.observe(topic, record.timestamp())) {
            metrics.blackout();
            LOG.warn("nothing was appended to {} of task {} between two records more than {} ms apart: "
                    + "the broker (or every producer) was away; that silence is not held against runs",
                    topic, context.taskId(), blackoutThresholdMs);
        }
        if (!JsonSerde.isWatermark(record.headers())) {
            try {
                handle(record, topic);
            } catch (InvalidEventException e) {
                deadLetter(record, e);
            } catch (RuntimeException e) {
                LOG.error("sweeper failed on a record of {} (key {}); it goes to the dead-letter topic",
                        topic, key(record), e);
                deadLetter(record, e);
            }
        }
        long watermark = clock.watermark();
        if (watermark != BrokerClock.NONE && (sweptTo == BrokerClock.NONE || watermark - sweptTo >= sweepEveryMs)) {
            long start = System.nanoTime();
            sweptTo = watermark;
            clock.save();
            sweep(watermark);
            metrics.swept(System.nanoTime() - start);
        }
    }

    /** Handles every deadline due at or before {@code now}, the watermark; one that throws is dropped. */
    private void sweep(long now) {
        for (DeadlineQueue.Due due : deadlines.due(now, maxDuePerSweep)) {
            deadlines.remove(due.at(), due.id());
            try {
                onDue(due, now);
            } catch (RuntimeException e) {
                metrics.sweepFailed();
                LOG.error("sweeper gave up on the deadline of {} due {} in task {}: its entry is dropped and the sweep "
                        + "goes on", due.id(), due.at(), context.taskId(), e);
            }
        }
    }

    /** Handles one decoded input record; throw {@link InvalidEventException} to dead-letter it. */
    protected abstract void handle(Record<byte[], byte[]> record, String topic);

    /** Handles one deadline (already removed from the queue) at watermark {@code now}. */
    protected abstract void onDue(DeadlineQueue.Due due, long now);

    protected final void emit(String key, Emitted emitted, long timestamp) {
        context.forward(new Record<>(key, emitted, timestamp, new RecordHeaders()));
    }

    protected static String key(Record<byte[], byte[]> record) {
        return record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    }

    /** The key a run- or agent-keyed record must carry: the id inside it. */
    protected static void requireKey(Record<byte[], byte[]> record, String id) {
        String key = key(record);
        if (!id.equals(key)) {
            throw new InvalidEventException("record key '" + key + "' does not match the event's id '" + id + "'");
        }
    }

    private String topic() {
        return context.recordMetadata().map(RecordMetadata::topic).orElse("");
    }

    private void deadLetter(Record<byte[], byte[]> record, Exception error) {
        RecordMetadata source = context.recordMetadata().orElse(null);
        Headers headers = DeadLetters.headers(record.headers(), source == null ? "" : source.topic(),
                source == null ? -1 : source.partition(), source == null ? -1 : source.offset(), "sweeper", error);
        context.forward(new Record<String, Emitted>(key(record), new Emitted.DeadLetter(record.key(), record.value()),
                record.timestamp(), headers));
        metrics.deadLettered(topic());
    }
}
