package dev.vigil.sweeper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the sweeper's Kafka Streams instance even when a kill left a task's local store unopenable. A process
 * killed while RocksDB creates a store can leave a write-ahead log without a manifest ("wal_dir contains existing
 * log file"); Kafka Streams opens the stores it finds at start and fails, and the process exits (a crash and a
 * restart: tens of seconds without this sweeper). Local state is only a cache of the changelog topics: the broken
 * task's directory is deleted, with one WARN naming it, and the start is tried again at once; the task restores
 * from its changelog as after any unclean stop under exactly-once.
 */
final class StartupRepair {

    private static final Logger LOG = LoggerFactory.getLogger(StartupRepair.class);
    private static final Pattern STORE_LOCATION = Pattern.compile("Error opening store \\S+ at location (\\S+)");
    /** More broken tasks than this at one start is not a kill's leftover: it fails with the cause. */
    static final int MAX_REPAIRS = 16;

    private StartupRepair() {
    }

    /** A started instance from {@code create}, deleting unopenable task directories in between (never another's). */
    static KafkaStreams start(Supplier<KafkaStreams> create, Path stateDir) {
        for (int repairs = 0; ; repairs++) {
            KafkaStreams streams = create.get();
            try {
                streams.start();
                return streams;
            } catch (ProcessorStateException e) {
                streams.close();
                Path task = brokenTask(e, stateDir);
                if (task == null || repairs >= MAX_REPAIRS) {
                    throw e;
                }
                LOG.warn("a local store of task {} cannot be opened ({}): deleting {}; the task restores from its "
                        + "changelog", task.getFileName(), rootMessage(e), task);
                delete(task);
            }
        }
    }

    /** The task directory (under {@code stateDir}) holding the store {@code e} could not open, or null. */
    static Path brokenTask(Throwable e, Path stateDir) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            Matcher location = t.getMessage() == null ? null : STORE_LOCATION.matcher(t.getMessage());
            if (location != null && location.find()) {
                Path store = Path.of(location.group(1)).toAbsolutePath().normalize();
                // <state dir>/<application id>/<task>/rocksdb/<store>
                Path task = store.getParent() == null ? null : store.getParent().getParent();
                Path root = stateDir.toAbsolutePath().normalize();
                if (task != null && task.getParent() != null && root.equals(task.getParent().getParent())
                        && store.getParent().getFileName().toString().equals("rocksdb")) {
                    return task;
                }
                return null;
            }
        }
        return null;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage();
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the broken task directory " + dir, e);
        }
    }
}
