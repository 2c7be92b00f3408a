package dev.vigil.sweeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.contracts.ConfigLookup;
import dev.vigil.contracts.KafkaSettings;
import dev.vigil.contracts.topic.TopicCatalog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store a kill left half-created (a RocksDB write-ahead log without a manifest, as seen after a {@code kill -9}
 * in the long fault profile, seed 34) must not keep the sweeper from starting, restart after restart.
 */
class StartupRepairTest {

    private static final String APP = "repair-test";

    @TempDir
    Path stateDir;

    private KafkaStreams newStreams() {
        SweeperSettings settings = SweeperSettings.from(ConfigLookup.of(Map.of(
                "vigil.sweeper.application-id", APP, "vigil.sweeper.state-dir", stateDir.toString())));
        TopicCatalog topics = new TopicCatalog("repair.");
        // No broker: start() opens the local stores it finds before any thread talks to one.
        return new KafkaStreams(SweeperTopology.build(topics, SweeperConfig.defaults(),
                new SweeperMetrics(new SimpleMeterRegistry()), true),
                SweeperService.streamsConfig(settings, KafkaSettings.local("127.0.0.1:1", topics.prefix())));
    }

    /** What a kill during store creation leaves: the log file, no CURRENT, no MANIFEST. */
    private Path halfCreatedStore(String task) throws Exception {
        Path store = stateDir.resolve(APP).resolve(task).resolve("rocksdb").resolve("run-deadlines");
        Files.createDirectories(store);
        Files.write(store.resolve("000017.log"), new byte[] {1, 2, 3});
        return stateDir.resolve(APP).resolve(task);
    }

    @Test
    void aHalfCreatedStoreFailsAPlainStart() throws Exception {
        halfCreatedStore("0_1");
        KafkaStreams plain = newStreams();
        try {
            // The sweeper's process exits here; RocksDB happens to leave a store the next process can open, so it
            // costs one crash and restart (a process "died on its own", 40-90 s without the sweeper), not a loop.
            assertThatThrownBy(plain::start).isInstanceOf(ProcessorStateException.class)
                    .hasMessageContaining("Error opening store run-deadlines");
        } finally {
            plain.close(Duration.ofSeconds(5));
        }
    }

    @Test
    void theRepairingStartDeletesTheBrokenTaskAndStartsWithoutACrash() throws Exception {
        Path task = halfCreatedStore("0_1");
        Path other = halfCreatedStore("0_2").resolve("rocksdb").resolve("run-deadlines").resolve("000017.log");
        Files.delete(other); // 0_2 holds an empty store directory, which opens: it stays

        KafkaStreams repaired = StartupRepair.start(this::newStreams, stateDir);
        try {
            assertThat(repaired.state()).isNotEqualTo(KafkaStreams.State.ERROR);
            assertThat(task).doesNotExist();
            assertThat(stateDir.resolve(APP).resolve("0_2")).exists();
        } finally {
            repaired.close(Duration.ofSeconds(5));
        }
    }

    @Test
    void onlyATaskDirectoryUnderTheStateDirectoryIsEverNamedForDeletion() {
        String inside = stateDir.resolve(APP).resolve("0_3").resolve("rocksdb").resolve("runs").toString();
        assertThat(StartupRepair.brokenTask(new ProcessorStateException("Error opening store runs at location "
                + inside), stateDir)).isEqualTo(stateDir.resolve(APP).resolve("0_3"));
        assertThat(StartupRepair.brokenTask(new ProcessorStateException("Error opening store runs at location "
                + "/etc/rocksdb/runs"), stateDir)).isNull();
        assertThat(StartupRepair.brokenTask(new ProcessorStateException("Error opening store runs at location "
                + stateDir.resolve("x")), stateDir)).isNull();
        assertThat(StartupRepair.brokenTask(new ProcessorStateException("something else"), stateDir)).isNull();
    }
}
