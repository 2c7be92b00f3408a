package dev.vigil.sweeper;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** Which partitions get a tick when: an instance's own at the full rate, every other one often enough. */
class WatermarkTickerTest {

    private static final Node BROKER = new Node(0, "localhost", 9092);

    private final MockProducer<byte[], byte[]> producer = new MockProducer<>(new Cluster("c", List.of(BROKER),
            List.of(partition("hb", 0), partition("hb", 1), partition("hb", 2), partition("ev", 0), partition("ev", 1)),
            Set.of(), Set.of()), true, null, new ByteArraySerializer(), new ByteArraySerializer());

    private static PartitionInfo partition(String topic, int partition) {
        return new PartitionInfo(topic, partition, BROKER, new Node[] {BROKER}, new Node[] {BROKER});
    }

    private Map<TopicPartition, Long> ticks() {
        return producer.history().stream().map(r -> new TopicPartition(r.topic(), r.partition()))
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    }

    @Test
    void ownedPartitionsAreTickedEveryIntervalAndTheOthersEveryHalfBlackoutThreshold() {
        AtomicReference<Set<TopicPartition>> owned = new AtomicReference<>(Set.of(new TopicPartition("hb", 1),
                new TopicPartition("ev", 1)));
        WatermarkTicker ticker = new WatermarkTicker(producer, List.of("hb", "ev"), owned::get);
        ticker.pace(Duration.ofMillis(50), Duration.ofSeconds(1));

        for (int round = 0; round < 40; round++) { // 2 s of 50 ms ticks
            ticker.tick();
        }

        assertThat(ticks()).isEqualTo(Map.of(new TopicPartition("hb", 1), 40L, new TopicPartition("ev", 1), 40L,
                new TopicPartition("hb", 0), 2L, new TopicPartition("hb", 2), 2L, new TopicPartition("ev", 0), 2L));
        assertThat(producer.history()).allSatisfy(record -> assertThat(record.headers().lastHeader("vigil-watermark"))
                .isNotNull());
    }

    @Test
    void withoutAnOwnerOrWhileOwnershipIsUnknownNoPartitionGoesLongerThanTheSlowInterval() {
        WatermarkTicker all = new WatermarkTicker(producer, List.of("hb", "ev"), null);
        all.pace(Duration.ofMillis(50), Duration.ofSeconds(1));
        all.tick();
        all.tick();
        assertThat(ticks().values()).containsOnly(2L).hasSize(5);

        producer.clear();
        WatermarkTicker unknown = new WatermarkTicker(producer, List.of("hb", "ev"), () -> {
            throw new IllegalStateException("rebalancing");
        });
        unknown.pace(Duration.ofMillis(50), Duration.ofSeconds(1));
        for (int round = 0; round < 21; round++) {
            unknown.tick();
        }
        assertThat(ticks().values()).containsOnly(2L).hasSize(5);
    }
}
