package dev.vigil.cleaner.events;

import static dev.vigil.cleaner.Events.created;
import static dev.vigil.cleaner.Events.finished;
import static dev.vigil.cleaner.Events.target;
import static dev.vigil.cleaner.Records.TOPIC;
import static dev.vigil.cleaner.Records.garbage;
import static dev.vigil.cleaner.Records.record;
import static dev.vigil.cleaner.Resources.createAllKinds;
import static dev.vigil.cleaner.Resources.kindsPresent;
import static dev.vigil.cleaner.Resources.vigilLabels;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.cleaner.Cleaner;
import dev.vigil.cleaner.MockApi;
import dev.vigil.cleaner.Resources;
import dev.vigil.cleaner.Records;
import dev.vigil.cleaner.TestSettings;
import dev.vigil.cleaner.kubernetes.ResourceKind;
import dev.vigil.cleaner.output.KafkaCleanerOutput;
import dev.vigil.contracts.VigilHeaders;
import dev.vigil.infra.SettableClock;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The consumer loop: rebuild from the beginning without acting, then act on what was not handled before. */
@ExtendWith(MockApi.class)
class RunEventLoopTest {

    private static final int ALL_KINDS = ResourceKind.values().length;
    private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
    private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

    static KubernetesClient client;

    /** A mock consumer whose group offsets survive {@code assign}, as the broker's do. */
    private static final class GroupConsumer extends MockConsumer<byte[], byte[]> {
        private final Map<TopicPartition, OffsetAndMetadata> groupOffsets = new ConcurrentHashMap<>();

        GroupConsumer() {
            super("earliest");
        }

        @Override
        public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
            super.commitSync(offsets);
            groupOffsets.putAll(offsets);
        }

        @Override
        public synchronized Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> partitions) {
            Map<TopicPartition, OffsetAndMetadata> found = new HashMap<>();
            partitions.stream().filter(groupOffsets::containsKey).forEach(p -> found.put(p, groupOffsets.get(p)));
            return found;
        }
    }

    /** A producer whose first {@code failures} dead letters fail, as while the dead-letter topic is unavailable. */
    private static final class FailingDeadLetters extends MockProducer<byte[], byte[]> {
        private int failures;
        private final List<Long> acknowledged = new ArrayList<>();

        FailingDeadLetters(int failures) {
            super(true, null, new ByteArraySerializer(), new ByteArraySerializer());
            this.failures = failures;
        }

        @Override
        public synchronized Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record, Callback callback) {
            if (!record.topic().equals(Records.CATALOG.deadLetters().name())) {
                return super.send(record, callback);
            }
            if (failures > 0) {
                failures--;
                TimeoutException unavailable = new TimeoutException("dead-letter topic unavailable");
                if (callback != null) {
                    callback.onCompletion(null, unavailable);
                }
                return CompletableFuture.failedFuture(unavailable);
            }
            acknowledged.add(Long.parseLong(new String(record.headers().lastHeader(VigilHeaders.DLQ_SOURCE_OFFSET).value(),
                    StandardCharsets.UTF_8)));
            return super.send(record, callback);
        }
    }

    private Cleaner cleaner;
    private GroupConsumer consumer;
    private RunEventLoop loop;

    @BeforeEach
    void setUp() {
        cleaner = new Cleaner(client, TestSettings.allowing("agents"));
        consumer = new GroupConsumer();
        consumer.updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, null, null, null)));
        consumer.updateBeginningOffsets(Map.of(P0, 0L));
        loop = new RunEventLoop(consumer, TOPIC, cleaner.processor, cleaner.store, cleaner.output,
                Clock.fixed(NOW, ZoneOffset.UTC), Duration.ofMillis(10));
    }

    private void topicHolds(List<ConsumerRecord<byte[], byte[]>> records) {
        consumer.updateEndOffsets(Map.of(P0, (long) records.size()));
    }

    private void deliver(List<ConsumerRecord<byte[], byte[]>> records) {
        records.forEach(consumer::addRecord);
    }

    @Test
    void afterARestartOnlyFinishesNotHandledBeforeAndStillCurrentAreActedOn() {
        createAllKinds(client, "agents", "handled-before", vigilLabels("l-a"));
        createAllKinds(client, "agents", "retried", vigilLabels("l-b"));
        createAllKinds(client, "agents", "pending", vigilLabels("l-c"));
        cleaner.cached();
        List<ConsumerRecord<byte[], byte[]>> log = List.of(
                record(0, finished("l-a", 1, target("agents", "l-a"))),
                record(1, finished("l-b", 1, target("agents", "l-b"))),
                record(2, created("l-b", 2, target("agents", "l-b"))),
                record(3, finished("l-c", 1, target("agents", "l-c"))),
                garbage(4, "junk after the commit"));
        topicHolds(log);
        consumer.commitSync(Map.of(P0, new OffsetAndMetadata(1)));

        assertThat(loop.assign()).isTrue();
        assertThat(loop.status()).isEqualTo(RunEventLoop.Status.RESTORING);
        deliver(log);
        loop.pollOnce();

        assertThat(loop.status()).isEqualTo(RunEventLoop.Status.RUNNING);
        assertThat(cleaner.store.ready()).isTrue();
        assertThat(kindsPresent(client, "agents", "handled-before")).as("before the committed offset").hasSize(ALL_KINDS);
        assertThat(kindsPresent(client, "agents", "retried")).as("attempt 2 is live").hasSize(ALL_KINDS);
        assertThat(kindsPresent(client, "agents", "pending")).isEmpty();
        assertThat(cleaner.output.deadLetters).extracting(dl -> dl.record().offset()).containsExactly(4L);
        assertThat(consumer.committed(Set.of(P0)).get(P0).offset()).isEqualTo(5);
        assertThat(cleaner.store.caughtUpAt()).contains(NOW);
    }

    @Test
    void onAFirstStartTheHistoryOnlyBuildsStateAndNewEventsAreActedOn() {
        createAllKinds(client, "agents", "old", vigilLabels("l-d"));
        createAllKinds(client, "agents", "new", vigilLabels("l-e"));
        cleaner.cached();
        List<ConsumerRecord<byte[], byte[]>> history = List.of(record(0, finished("l-d", 1, target("agents", "l-d"))));
        topicHolds(history);

        loop.assign();
        deliver(history);
        loop.pollOnce();

        assertThat(loop.status()).isEqualTo(RunEventLoop.Status.RUNNING);
        assertThat(kindsPresent(client, "agents", "old")).as("left to garbage collection").hasSize(ALL_KINDS);
        assertThat(cleaner.store.get("l-d")).hasValueSatisfying(s -> assertThat(s.terminal()).isTrue());

        var next = record(1, finished("l-e", 1, target("agents", "l-e")));
        consumer.updateEndOffsets(Map.of(P0, 2L));
        consumer.addRecord(next);
        loop.pollOnce();

        assertThat(kindsPresent(client, "agents", "new")).isEmpty();
        assertThat(consumer.committed(Set.of(P0)).get(P0).offset()).isEqualTo(2);
    }

    @Test
    void untilTheRebuildIsCompleteNothingIsDeletedAndGarbageCollectionWaits() {
        createAllKinds(client, "agents", "waiting", vigilLabels("l-f"));
        cleaner.cached();
        List<ConsumerRecord<byte[], byte[]>> log = List.of(
                record(0, created("l-f", 1, target("agents", "l-f"))),
                record(1, finished("l-f", 1, target("agents", "l-f"))));
        topicHolds(log);
        consumer.commitSync(Map.of(P0, new OffsetAndMetadata(0)));
        loop.assign();

        consumer.addRecord(log.get(0));
        loop.pollOnce();

        assertThat(loop.status()).isEqualTo(RunEventLoop.Status.RESTORING);
        assertThat(cleaner.store.ready()).isFalse();
        assertThat(cleaner.cached().gc.sweep().skipped()).isTrue();

        consumer.addRecord(log.get(1));
        loop.pollOnce();

        assertThat(loop.status()).isEqualTo(RunEventLoop.Status.RUNNING);
        assertThat(kindsPresent(client, "agents", "waiting")).isEmpty();
    }

    @Test
    void aRecordWhoseDeadLetterFailsIsReadAgainAfterAPauseAndNothingAfterItIsCommittedOrActedOnMeanwhile() {
        createAllKinds(client, "agents", "behind-junk", vigilLabels("l-g"));
        cleaner.cached();
        List<ConsumerRecord<byte[], byte[]>> log = List.of(
                garbage(0, "junk"),
                record(1, finished("l-g", 1, target("agents", "l-g"))));
        topicHolds(log);
        consumer.commitSync(Map.of(P0, new OffsetAndMetadata(0)));
        FailingDeadLetters producer = new FailingDeadLetters(2);
        KafkaCleanerOutput output = new KafkaCleanerOutput(producer, Records.CATALOG);
        SettableClock clock = new SettableClock(NOW);
        RunEventLoop loop = new RunEventLoop(consumer, TOPIC, new RunEventProcessor(
                Records.CATALOG.runEvents().valueSerde().deserializer(), cleaner.store,
                new RunFinishedCleanup(cleaner.settings, cleaner.resources, cleaner.metrics), output, cleaner.metrics, 1),
                cleaner.store, output, clock, Duration.ofMillis(10));
        loop.assign();
        deliver(log);
        loop.pollOnce();

        for (int failed = 1; failed <= 2; failed++) {
            assertThat(consumer.committed(Set.of(P0)).get(P0).offset()).as("committed after failure %d", failed)
                    .isEqualTo(0);
            assertThat(consumer.position(P0)).as("rewound to the junk").isEqualTo(0);
            assertThat(kindsPresent(client, "agents", "behind-junk")).as("the finish behind it waits").hasSize(ALL_KINDS);
            deliver(log); // the broker hands them out again from the rewound position
            loop.pollOnce();
            assertThat(producer.failures).as("not tried again before the pause is over").isEqualTo(2 - failed);
            clock.advance(Duration.ofSeconds(60));
            loop.pollOnce();
        }

        assertThat(producer.acknowledged).as("dead-lettered once it could be").containsExactly(0L);
        assertThat(kindsPresent(client, "agents", "behind-junk")).isEmpty();
        assertThat(consumer.committed(Set.of(P0)).get(P0).offset()).isEqualTo(2);
    }

    @Test
    void anEmptyTopicIsRebuiltAtOnce() {
        topicHolds(List.of());

        loop.assign();

        assertThat(loop.status()).isEqualTo(RunEventLoop.Status.RUNNING);
        assertThat(cleaner.store.ready()).isTrue();
    }

    @Test
    void aMissingTopicIsWaitedFor() {
        MockConsumer<byte[], byte[]> empty = new MockConsumer<>("earliest");
        RunEventLoop waiting = new RunEventLoop(empty, "no-such-topic", cleaner.processor, cleaner.store, cleaner.output,
                Clock.systemUTC(), Duration.ofMillis(10));

        assertThat(waiting.assign()).isFalse();
        assertThat(waiting.status()).isEqualTo(RunEventLoop.Status.STARTING);
    }
}
