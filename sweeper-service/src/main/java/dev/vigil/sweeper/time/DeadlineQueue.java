package dev.vigil.sweeper.time;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Deadlines ordered by due time, in a state store whose keys are the 8-byte big-endian due time
 * followed by the id, so a range scan up to "now" touches only what is due — never every tracked
 * run. Each id has at most one entry; its owner remembers the due time to find it again.
 */
public final class DeadlineQueue {

    private final KeyValueStore<Bytes, byte[]> store;
    /**
     * No entry is due before this: the scan starts here instead of at the beginning of the store, so
     * it never walks over the tombstones of entries already handled (a queue's deletes pile up at its
     * head until RocksDB compacts them). Starts at the bottom after a restart.
     */
    private long scanFrom = Long.MIN_VALUE;

    public DeadlineQueue(KeyValueStore<Bytes, byte[]> store) {
        this.store = store;
    }

    public void add(long due, String id) {
        store.put(key(due, id), new byte[0]);
        scanFrom = Math.min(scanFrom, due);
    }

    public void remove(long due, String id) {
        store.delete(key(due, id));
    }

    /**
     * Up to {@code limit} entries due at or before {@code now}, earliest first. The caller removes
     * every entry it is given (and may add new ones).
     */
    public List<Due> due(long now, int limit) {
        List<Due> due = new ArrayList<>();
        if (scanFrom > now) {
            return due;
        }
        try (KeyValueIterator<Bytes, byte[]> it = store.range(prefix(scanFrom), prefix(now + 1))) {
            while (it.hasNext() && due.size() < limit) {
                KeyValue<Bytes, byte[]> entry = it.next();
                ByteBuffer key = ByteBuffer.wrap(entry.key.get());
                long at = key.getLong() ^ Long.MIN_VALUE;
                due.add(new Due(at, StandardCharsets.UTF_8.decode(key).toString()));
            }
        }
        scanFrom = due.size() < limit ? now + 1 : due.get(due.size() - 1).at();
        return due;
    }

    /** One due deadline. */
    public record Due(long at, String id) {
    }

    private static Bytes key(long due, String id) {
        byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(8 + idBytes.length).putLong(due ^ Long.MIN_VALUE).put(idBytes).array());
    }

    private static Bytes prefix(long due) {
        // Flipping the sign bit makes unsigned byte order equal to signed numeric order.
        return Bytes.wrap(ByteBuffer.allocate(8).putLong(due ^ Long.MIN_VALUE).array());
    }
}
