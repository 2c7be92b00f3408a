package dev.vigil.sweeper;

import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.sweeper.agent.AgentSweeper;
import dev.vigil.sweeper.run.RunSweeper;
import dev.vigil.sweeper.stream.Emitted;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.Stores;

/**
 * The sweeper's topology, in two parts:
 *
 * <ol>
 *   <li><b>runs</b> — reads {@code heartbeats} and {@code run-events} (co-partitioned by run id) into
 *       {@link RunSweeper}; emits timeouts, first-heartbeat and progress activity, dead letters, and
 *       run-to-agent links, re-keyed by agent id through the {@code run-agent-links} repartition topic;</li>
 *   <li><b>agents</b> — reads {@code agent-heartbeats} and the links into {@link AgentSweeper}; emits
 *       {@code agent_lost} timeouts and dead letters.</li>
 * </ol>
 *
 * Every store and internal topic is named; the application sets
 * {@code ensure.explicit.internal.resource.naming} so an unnamed one fails at start.
 */
public final class SweeperTopology {

    /**
     * The changelogs are compacted (Streams' default), but compaction never touches the active segment,
     * which by default rolls only weekly: a restarted task then restores every write since. Under
     * exactly-once a crash (of the sweeper, or of the broker mid-transaction) wipes every local store
     * and restores it from its changelog, so what a changelog holds beyond the live state is detection
     * time lost at every crash: rolling every minute (or 64 MB) keeps it within a minute of writes.
     */
    static final Map<String, String> CHANGELOG = Map.of("segment.ms", "60000", "segment.bytes", "67108864",
            "min.cleanable.dirty.ratio", "0.1");

    private SweeperTopology() {
    }

    /** Builds the production topology; tests drive exactly this. */
    public static Topology build(TopicCatalog topics, SweeperConfig config, SweeperMetrics metrics, boolean persistent) {
        StreamsBuilder builder = new StreamsBuilder();
        addStores(builder, persistent, RunSweeper.RUNS, RunSweeper.DEADLINES, RunSweeper.CLOCK,
                AgentSweeper.AGENTS, AgentSweeper.AGENT_RUNS, AgentSweeper.DEADLINES, AgentSweeper.CLOCK);

        KStream<byte[], byte[]> runInput = builder.stream(List.of(topics.heartbeats().name(), topics.runEvents().name()),
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("run-input"));
        KStream<String, Emitted> runOutput = runInput.process(
                () -> new RunSweeper(topics.heartbeats().name(), topics.runEvents().name(), config, metrics), Named.as("run-sweeper"),
                RunSweeper.RUNS, RunSweeper.DEADLINES, RunSweeper.CLOCK);

        KStream<byte[], byte[]> links = runOutput
                .filter((agentId, emitted) -> emitted instanceof Emitted.AgentLink, Named.as("agent-links"))
                .processValues(() -> new LinkEncoder(), Named.as("agent-link-encoder"))
                .map((agentId, link) -> KeyValue.pair(agentId.getBytes(StandardCharsets.UTF_8), link),
                        Named.as("agent-link-key"))
                .repartition(Repartitioned.<byte[], byte[]>as("run-agent-links")
                        .withKeySerde(Serdes.ByteArray()).withValueSerde(Serdes.ByteArray())
                        .withNumberOfPartitions(topics.agentHeartbeats().partitions()));
        route(topics, runOutput, "run");

        KStream<byte[], byte[]> agentInput = builder.stream(topics.agentHeartbeats().name(),
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("agent-input"));
        KStream<String, Emitted> agentOutput = agentInput.merge(links, Named.as("agent-input-and-links"))
                .process(() -> new AgentSweeper(topics.agentHeartbeats().name(), config, metrics), Named.as("agent-sweeper"),
                        AgentSweeper.AGENTS, AgentSweeper.AGENT_RUNS, AgentSweeper.DEADLINES, AgentSweeper.CLOCK);
        route(topics, agentOutput, "agent");
        return builder.build();
    }

    /** Sends timeouts, activity and dead letters to their topics. */
    private static void route(TopicCatalog topics, KStream<String, Emitted> output, String part) {
        output.split(Named.as(part + "-output-"))
                .branch((key, e) -> e instanceof Emitted.Timeout, Branched.withConsumer(timeouts -> timeouts
                        .mapValues(e -> ((Emitted.Timeout) e).event(), Named.as(part + "-timeout-values"))
                        .to(topics.timeouts().name(), Produced.with(Serdes.String(), topics.timeouts().valueSerde())
                                .withName(part + "-timeouts")), "timeouts"))
                .branch((key, e) -> e instanceof Emitted.Activity, Branched.withConsumer(activity -> activity
                        .mapValues(e -> ((Emitted.Activity) e).event(), Named.as(part + "-activity-values"))
                        .to(topics.runActivity().name(), Produced.with(Serdes.String(), topics.runActivity().valueSerde())
                                .withName(part + "-activity")), "activity"))
                .branch((key, e) -> e instanceof Emitted.DeadLetter, Branched.withConsumer(dead -> dead
                        .map((key, e) -> KeyValue.pair(((Emitted.DeadLetter) e).key(), ((Emitted.DeadLetter) e).value()),
                                Named.as(part + "-dead-letter-values"))
                        .to(topics.deadLetters().name(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray())
                                .withName(part + "-dead-letters")), "dead-letters"))
                .noDefaultBranch();
    }

    private static void addStores(StreamsBuilder builder, boolean persistent, String... names) {
        for (String name : names) {
            boolean bytesKeyed = name.endsWith("deadlines");
            KeyValueBytesStoreSupplier supplier = persistent
                    ? Stores.persistentKeyValueStore(name)
                    : Stores.inMemoryKeyValueStore(name);
            if (bytesKeyed) {
                builder.addStateStore(Stores.keyValueStoreBuilder(supplier, Serdes.Bytes(), Serdes.ByteArray())
                        .withLoggingEnabled(CHANGELOG));
            } else {
                builder.addStateStore(Stores.keyValueStoreBuilder(supplier, Serdes.String(), Serdes.ByteArray())
                        .withLoggingEnabled(CHANGELOG));
            }
        }
    }

    /** Encodes a link and marks it with a header, so the agent sweeper tells it from an agent heartbeat. */
    private static final class LinkEncoder
            implements org.apache.kafka.streams.processor.api.FixedKeyProcessor<String, Emitted, byte[]> {
        private org.apache.kafka.streams.processor.api.FixedKeyProcessorContext<String, byte[]> context;

        @Override
        public void init(org.apache.kafka.streams.processor.api.FixedKeyProcessorContext<String, byte[]> context) {
            this.context = context;
        }

        @Override
        public void process(FixedKeyRecord<String, Emitted> record) {
            FixedKeyRecord<String, byte[]> link = record.withValue(((Emitted.AgentLink) record.value()).encode());
            link.headers().add(AgentSweeper.LINK_HEADER, new byte[0]);
            context.forward(link);
        }
    }

}
