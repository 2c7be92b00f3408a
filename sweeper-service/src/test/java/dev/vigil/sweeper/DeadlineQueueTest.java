package dev.vigil.sweeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.sweeper.time.DeadlineQueue;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

class DeadlineQueueTest {

    @Test
    void returnsWhatIsDueEarliestFirstIncludingEntriesAddedBehindTheScan() {
        KeyValueStore<Bytes, byte[]> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("q"),
                Serdes.Bytes(), Serdes.ByteArray()).withLoggingDisabled().build();
        store.init(new org.apache.kafka.streams.processor.api.MockProcessorContext<>().getStateStoreContext(), store);
        DeadlineQueue queue = new DeadlineQueue(store);
        queue.add(300, "c");
        queue.add(-5, "negative");
        queue.add(100, "a");
        queue.add(200, "b");
        assertThat(queue.due(200, 10)).extracting(DeadlineQueue.Due::id).containsExactly("negative", "a", "b");
        queue.remove(-5, "negative");
        queue.remove(100, "a");
        queue.remove(200, "b");
        queue.add(150, "late"); // due before the last scan's "now": must still be found
        assertThat(queue.due(250, 10)).extracting(DeadlineQueue.Due::id).containsExactly("late");
        queue.remove(150, "late");
        assertThat(queue.due(299, 10)).isEmpty();
        assertThat(queue.due(300, 1)).extracting(DeadlineQueue.Due::id).containsExactly("c");
    }

}
