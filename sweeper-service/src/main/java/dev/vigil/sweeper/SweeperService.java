package dev.vigil.sweeper;

import dev.vigil.contracts.KafkaSettings;
import dev.vigil.contracts.topic.BrokerWait;
import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.sweeper.run.RunSweeper;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Context;
import jakarta.annotation.PreDestroy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the sweeper's Kafka Streams application and its watermark ticker for the life of the service. */
@Context
public class SweeperService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SweeperService.class);

    private final KafkaStreams streams;
    private final WatermarkTicker ticker;
    private final StreamFailures failures = new StreamFailures(java.time.Clock.systemUTC(), Duration.ofMinutes(5));
    private final RestoreCount restored = new RestoreCount();

    public SweeperService(SweeperSettings settings, KafkaSettings kafka, MeterRegistry registry) {
        TopicCatalog topics = kafka.provisionTopics();
        List<String> inputs = List.of(topics.heartbeats().name(), topics.agentHeartbeats().name(), topics.runEvents().name());
        BrokerWait.until("check the sweeper's topics", kafka.brokerWait(),
                () -> checkTimestamps(kafka.clientConfig(), inputs));

        SweeperConfig config = settings.sweeperConfig();
        SweeperMetrics metrics = new SweeperMetrics(registry);
        Properties props = streamsConfig(settings, kafka);
        streams = StartupRepair.start(() -> {
            KafkaStreams created = newStreams(SweeperTopology.build(topics, config, metrics, true), props,
                    settings.stateDirLockWait());
            created.setUncaughtExceptionHandler(e -> {
                failures.record(e);
                LOG.error("sweeper stream thread died ({} time(s) in 5 min); replacing it", failures.recent(), e);
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
            });
            created.setStateListener(new RecoveryLog());
            created.setGlobalStateRestoreListener(restored);
            return created;
        }, Path.of(settings.stateDir()));
        Gauge.builder("vigil.sweeper.tracked.runs", this, SweeperService::trackedRuns)
                .description("runs this instance tracks (approximate)").register(registry);
        ticker = new WatermarkTicker(kafka.clientConfig(), inputs, this::activePartitions);
        ticker.start(config.tickInterval(), config.blackoutThreshold().dividedBy(2));
        LOG.info("sweeper {} started on {} (topics {}*, heartbeat tokens {})", settings.applicationId(),
                kafka.bootstrapServers(), kafka.topicPrefix(), settings.requireToken() ? "required" : "not required");
    }

    /**
     * The Kafka Streams instance, waiting up to {@code lockWait} for the state directory while another
     * process holds it — a predecessor still shutting down, or not yet reaped — instead of exiting.
     */
    static KafkaStreams newStreams(org.apache.kafka.streams.Topology topology, Properties props, Duration lockWait) {
        long deadline = System.nanoTime() + lockWait.toNanos();
        for (int tries = 1; ; tries++) {
            try {
                return new KafkaStreams(topology, props);
            } catch (StreamsException e) {
                if (!lockedByAnotherProcess(e) || System.nanoTime() > deadline) {
                    throw e;
                }
                if (tries == 1) {
                    LOG.warn("the state directory {} is locked by another process; waiting up to {} s for it",
                            props.get(StreamsConfig.STATE_DIR_CONFIG), lockWait.toSeconds());
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private static boolean lockedByAnotherProcess(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (message != null && (message.contains("locked by another process")
                    || message.contains("multiple instances of Kafka Streams are running in the same state directory"))) {
                return true;
            }
        }
        return false;
    }

    /** The input partitions of this instance's active tasks: the ones its ticker ticks at the full rate. */
    private Set<TopicPartition> activePartitions() {
        return streams.metadataForLocalThreads().stream().flatMap(thread -> thread.activeTasks().stream())
                .flatMap(task -> task.topicPartitions().stream()).collect(Collectors.toSet());
    }

    /**
     * One INFO line each time the instance is RUNNING again, saying how long it was not and how many
     * changelog records it restored meanwhile: after a crash under exactly-once every store is rebuilt
     * from its changelog, and that time is detection time lost.
     */
    private final class RecoveryLog implements KafkaStreams.StateListener {
        private long since = System.nanoTime();
        private long restoredBefore;

        @Override
        public void onChange(KafkaStreams.State now, KafkaStreams.State before) {
            if (now == KafkaStreams.State.RUNNING) {
                LOG.info("sweeper RUNNING after {} ms {}; {} changelog records restored meanwhile",
                        (System.nanoTime() - since) / 1_000_000, before, restored.total() - restoredBefore);
            } else if (before == KafkaStreams.State.RUNNING || before == KafkaStreams.State.CREATED) {
                since = System.nanoTime();
                restoredBefore = restored.total();
            }
        }
    }

    /** Counts the changelog records restored, for {@link RecoveryLog}. */
    private static final class RestoreCount implements StateRestoreListener {
        private final AtomicLong records = new AtomicLong();

        long total() {
            return records.get();
        }

        @Override
        public void onRestoreStart(TopicPartition partition, String store, long start, long end) {
        }

        @Override
        public void onBatchRestored(TopicPartition partition, String store, long batchEnd, long count) {
            records.addAndGet(count);
        }

        @Override
        public void onRestoreEnd(TopicPartition partition, String store, long total) {
        }
    }

    /** The stream threads that died recently. */
    public StreamFailures failures() {
        return failures;
    }

    /** The Kafka Streams state: RUNNING or REBALANCING is healthy. */
    public KafkaStreams.State state() {
        return streams.state();
    }

    double trackedRuns() {
        try {
            return streams.store(StoreQueryParameters.fromNameAndType(RunSweeper.RUNS,
                    QueryableStoreTypes.<String, byte[]>keyValueStore())).approximateNumEntries();
        } catch (RuntimeException notQueryableNow) {
            return Double.NaN;
        }
    }

    @Override
    @PreDestroy
    public void close() {
        ticker.close();
        close(streams);
    }

    /** Closes, leaving the consumer group at once so the partitions move without waiting for a session timeout. */
    public static void close(KafkaStreams streams) {
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(30)));
    }

    /** The Kafka Streams configuration of the sweeper: exactly-once, named internals, quick hand-over. */
    public static Properties streamsConfig(SweeperSettings settings, KafkaSettings kafka) {
        Properties props = new Properties();
        props.putAll(kafka.clientConfig());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, settings.applicationId());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, settings.commitInterval().toMillis());
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, settings.streamThreads());
        props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, settings.standbyReplicas());
        props.put(StreamsConfig.STATE_DIR_CONFIG, settings.stateDir());
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) kafka.replicationFactor());
        props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
        props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
        // Hand a dead instance's partitions over quickly: their deadlines wait until then.
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10_000);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 2_000);
        return props;
    }

    /** Heartbeat gaps are measured on the broker's clock only if the inputs use LogAppendTime: an ERROR if not. */
    private static Void checkTimestamps(Map<String, Object> clientConfig, List<String> inputs) {
        try (Admin admin = Admin.create(clientConfig)) {
            List<ConfigResource> resources = inputs.stream()
                    .map(name -> new ConfigResource(ConfigResource.Type.TOPIC, name)).toList();
            Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get(30, TimeUnit.SECONDS);
            configs.forEach((resource, config) -> {
                String type = config.get("message.timestamp.type").value();
                if (!"LogAppendTime".equals(type)) {
                    LOG.error("topic {} uses {}: heartbeat gaps would be measured on the senders' clocks, not the "
                            + "broker's; set message.timestamp.type=LogAppendTime", resource.name(), type);
                }
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot check the sweeper's topics: " + e.getMessage(), e);
        }
        return null;
    }

}
