package dev.vigil.sweeper.stream;

import dev.vigil.contracts.serde.DeadLetters;
import dev.vigil.contracts.serde.InvalidEventException;
import dev.vigil.contracts.serde.JsonSerde;
import dev.vigil.sweeper.SweeperMetrics;
import dev.vigil.sweeper.time.BrokerClock;
import dev.vigil.sweeper.time.DeadlineQueue;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.PunctuationType;
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
 * stream thread. Due deadlines are swept on stream-time punctuation, so they fire exactly as far as
 * the input has been processed — never ahead of heartbeats still waiting in the topic.
 */
public abstract class SweepingProcessor implements Processor<byte[], byte[], String, Emitted> {

    private static final Logger LOG = LoggerFactory.getLogger(SweepingProcessor.class);

    private final String clockStore;
    private final String deadlineStore;
    private final Duration punctuateInterval;
    private final long blackoutThresholdMs;
    protected final SweeperMetrics metrics;
    protected ProcessorContext<String, Emitted> context;
    protected BrokerClock clock;
    protected DeadlineQueue deadlines;

    protected SweepingProcessor(String clockStore, String deadlineStore, Duration punctuateInterval,
                                Duration blackoutThreshold, SweeperMetrics metrics) {
        this.clockStore = clockStore;
        this.deadlineStore = deadlineStore;
        this.punctuateInterval = punctuateInterval;
        this.blackoutThresholdMs = blackoutThreshold.toMillis();
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, Emitted> context) {
        this.context = context;
        KeyValueStore<String, byte[]> clockState = context.getStateStore(clockStore);
        KeyValueStore<Bytes, byte[]> deadlineState = context.getStateStore(deadlineStore);
        clock = new BrokerClock(clockState, blackoutThresholdMs);
        deadlines = new DeadlineQueue(deadlineState);
        context.schedule(punctuateInterval, PunctuationType.STREAM_TIME, now -> {
            clock.save();
            sweep(now);
        });
    }

    @Override
    public final void process(Record<byte[], byte[]> record) {
        if (clock.observe(record.timestamp())) {
            metrics.blackout();
            LOG.warn("nothing was appended to the input of task {} between two records more than {} ms apart: "
                    + "the broker (or every producer) was away; that silence is not held against runs",
                    context.taskId(), blackoutThresholdMs);
        }
        if (JsonSerde.isWatermark(record.headers())) {
            return;
        }
        try {
            handle(record, topic());
        } catch (InvalidEventException e) {
            deadLetter(record, e);
        } catch (RuntimeException e) {
            LOG.error("sweeper failed on a record of {} (key {}); it goes to the dead-letter topic",
                    topic(), key(record), e);
            deadLetter(record, e);
        }
    }

    /** Handles one decoded input record; throw {@link InvalidEventException} to dead-letter it. */
    protected abstract void handle(Record<byte[], byte[]> record, String topic);

    /** Handles everything due at or before {@code now} (stream time, i.e. broker time). */
    protected abstract void sweep(long now);

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
