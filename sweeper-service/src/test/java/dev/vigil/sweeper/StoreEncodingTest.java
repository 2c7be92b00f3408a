package dev.vigil.sweeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.sweeper.stream.Emitted;
import dev.vigil.sweeper.time.DeadlineQueue;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * Every id of an allowed length and alphabet round-trips through the sweeper's other store and link
 * encodings ({@code RunStateTest} covers the run state). jqwik prints the seed of a failure.
 */
class StoreEncodingTest {

    @Property(tries = 300)
    void aDeadlineComesBackWithItsIdAndTime(@ForAll("ids") String id, @ForAll @LongRange(min = -1_000_000_000_000L,
            max = 10_000_000_000_000L) long due) {
        KeyValueStore<Bytes, byte[]> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("q"),
                Serdes.Bytes(), Serdes.ByteArray()).withLoggingDisabled().build();
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
        DeadlineQueue queue = new DeadlineQueue(store);
        queue.add(due, id);
        assertThat(queue.due(due, 10)).containsExactly(new DeadlineQueue.Due(due, id));
    }

    @Property(tries = 300)
    void anAgentLinkComesBackWhole(@ForAll("ids") String runId, @ForAll @IntRange(min = 1) int attempt,
                                   @ForAll boolean linked) {
        Emitted.AgentLink link = new Emitted.AgentLink(runId, attempt, linked);
        assertThat(Emitted.AgentLink.decode(link.encode())).isEqualTo(link);
    }

    @Provide
    Arbitrary<String> ids() {
        return AllowedIds.arbitrary();
    }
}
