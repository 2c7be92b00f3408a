package dev.vigil.infra;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node KRaft broker (combined broker + controller) in this JVM, for machines without
 * Docker. It speaks the full Kafka protocol: transactions, exactly-once, LogAppendTime, everything.
 */
public final class InProcessKafka implements KafkaBroker {

    private static final Logger LOG = LoggerFactory.getLogger(InProcessKafka.class);

    private final KafkaClusterTestKit cluster;
    private final AtomicBoolean closed = new AtomicBoolean();

    private InProcessKafka(KafkaClusterTestKit cluster) {
        this.cluster = cluster;
    }

    /** Starts a broker on a free port with its data in a temporary directory deleted on close. */
    public static InProcessKafka start() {
        long started = System.nanoTime();
        try {
            TestKitNodes nodes = new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .build();
            KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
            brokerConfig().forEach(builder::setConfigProp);
            KafkaClusterTestKit cluster = builder.build();
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
            InProcessKafka kafka = new InProcessKafka(cluster);
            LOG.info("in-process Kafka ready at {} in {} ms", kafka.bootstrapServers(),
                    (System.nanoTime() - started) / 1_000_000);
            return kafka;
        } catch (Exception e) {
            throw new IllegalStateException("could not start the in-process Kafka broker", e);
        }
    }

    /** Broker settings that make a one-node cluster behave like a real one for transactions and groups. */
    public static Map<String, String> brokerConfig() {
        Map<String, String> config = new HashMap<>();
        config.put("offsets.topic.replication.factor", "1");
        config.put("offsets.topic.num.partitions", "5");
        config.put("transaction.state.log.replication.factor", "1");
        config.put("transaction.state.log.min.isr", "1");
        config.put("transaction.state.log.num.partitions", "5");
        config.put("min.insync.replicas", "1");
        config.put("default.replication.factor", "1");
        config.put("group.initial.rebalance.delay.ms", "0");
        config.put("auto.create.topics.enable", "false");
        config.put("share.coordinator.state.topic.replication.factor", "1");
        config.put("share.coordinator.state.topic.min.isr", "1");
        return config;
    }

    @Override
    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                cluster.close();
            } catch (Exception e) {
                LOG.warn("in-process Kafka did not close cleanly", e);
            }
        }
    }
}
