package dev.vigil.contracts.heartbeat;

import dev.vigil.contracts.event.AgentHeartbeat;
import dev.vigil.contracts.event.Heartbeat;
import dev.vigil.contracts.event.VigilEvent;
import dev.vigil.contracts.serde.JsonSerde;
import dev.vigil.contracts.topic.TopicCatalog;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The library a worker embeds to tell Vigil it is alive. One client per process: it owns one
 * idempotent Kafka producer and one background thread, and sends for every run (and agent) it is
 * asked to.
 *
 * <pre>{@code
 * try (HeartbeatClient vigil = HeartbeatClient.builder("kafka:9092").build();
 *      RunHeartbeat heartbeat = vigil.startRun(runId, attempt, Duration.ofSeconds(30))) {
 *     for (Chapter chapter : book) {
 *         write(chapter);
 *         heartbeat.progress(chapter.number(), "wrote " + chapter.title());
 *     }
 * }
 * }</pre>
 *
 * <p>It never throws into the worker once started: a failed send is logged (rate-limited), counted
 * and retried on the next beat, and sending resumes by itself when the broker is back.
 */
public final class HeartbeatClient implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HeartbeatClient.class);
    private static final int WARM_UP_TRIES = 5;

    private final Producer<String, VigilEvent> producer;
    private final TopicCatalog topics;
    private final double intervalFraction;
    private final String instanceId = UUID.randomUUID().toString();
    private final ScheduledThreadPoolExecutor scheduler;
    private final Set<Pulse> pulses = ConcurrentHashMap.newKeySet();
    private final SendFailures failures = new SendFailures(LOG);
    private final AtomicLong delivered = new AtomicLong();

    private HeartbeatClient(Producer<String, VigilEvent> producer, TopicCatalog topics, double intervalFraction) {
        this.producer = producer;
        this.topics = topics;
        this.intervalFraction = intervalFraction;
        this.scheduler = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = Executors.defaultThreadFactory().newThread(runnable);
            thread.setName("vigil-heartbeat");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.setRemoveOnCancelPolicy(true);
        scheduler.execute(this::warmUp);
    }

    /**
     * Fetches the heartbeat topics' metadata before the first beat (the scheduler runs one task at a
     * time, so a beat started now waits for this): without it, the first send waits for metadata and,
     * on a slow or busy broker, gives up after {@code max.block.ms} — the run's first beat lost. Tries
     * for up to {@value #WARM_UP_TRIES} × {@code max.block.ms}, then lets the beats retry as usual.
     */
    private void warmUp() {
        for (int tried = 1; tried <= WARM_UP_TRIES; tried++) {
            try {
                producer.partitionsFor(topics.heartbeats().name());
                producer.partitionsFor(topics.agentHeartbeats().name());
                return;
            } catch (RuntimeException e) {
                if (Thread.currentThread().isInterrupted() || scheduler.isShutdown()) {
                    return;
                }
                LOG.debug("heartbeat topics' metadata not there yet (try {} of {}): {}", tried, WARM_UP_TRIES,
                        e.toString());
            }
        }
    }

    public static Builder builder(String bootstrapServers) {
        return new Builder(bootstrapServers);
    }

    /**
     * Starts heartbeating for a run attempt: one beat now, then one every {@code interval fraction ×
     * heartbeatTimeout} (minus up to 10 % jitter) until closed.
     */
    public RunHeartbeat startRun(String runId, int attempt, Duration heartbeatTimeout) {
        return startRun(runId, attempt, heartbeatTimeout, null);
    }

    /** Like {@link #startRun(String, int, Duration)}, for a run hosted by the agent {@code agentId}. */
    public RunHeartbeat startRun(String runId, int attempt, Duration heartbeatTimeout, String agentId) {
        return startRun(runId, attempt, heartbeatTimeout, agentId, null);
    }

    /**
     * Like {@link #startRun(String, int, Duration, String)}, with the attempt's heartbeat token (from
     * run-service's create or retry answer, {@code heartbeat.token}): needed where the sweeper
     * requires tokens.
     */
    public RunHeartbeat startRun(String runId, int attempt, Duration heartbeatTimeout, String agentId, String token) {
        Heartbeat.of(runId, attempt, agentId, 0, null, null, token); // validates the ids now, in the caller
        RunHeartbeat run = new RunHeartbeat(this, runId, attempt, agentId, token, intervalFor(heartbeatTimeout));
        register(run);
        return run;
    }

    /**
     * Agent mode, for a process that hosts many runs of {@code workspace}: heartbeats keyed by
     * {@code workspace/agentId}; when they stop for {@code gracePeriod}, every run of that workspace
     * created for the agent times out as {@code agent_lost}.
     */
    public AgentPulse startAgent(String workspace, String agentId, Duration gracePeriod) {
        return startAgent(workspace, agentId, gracePeriod, null);
    }

    /** Like {@link #startAgent(String, String, Duration)}, with the workspace's agent credential. */
    public AgentPulse startAgent(String workspace, String agentId, Duration gracePeriod, String credential) {
        AgentHeartbeat.of(workspace, agentId, instanceId, 0, gracePeriod, credential); // validates now, in the caller
        AgentPulse agent = new AgentPulse(this, workspace, agentId, instanceId, gracePeriod, credential,
                intervalFor(gracePeriod));
        register(agent);
        return agent;
    }

    /** Heartbeats the broker acknowledged so far. */
    public long delivered() {
        return delivered.get();
    }

    /** Sends that failed so far (each is retried by the next beat). */
    public long failedSends() {
        return failures.total();
    }

    /** Stops every run and agent pulse, then flushes and closes the producer. */
    @Override
    public void close() {
        pulses.forEach(Pulse::close);
        scheduler.shutdownNow();
        producer.close(Duration.ofSeconds(5));
    }

    Duration intervalFor(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
        return Duration.ofNanos(Math.max(1_000_000L, (long) (timeout.toNanos() * intervalFraction)));
    }

    private void register(Pulse pulse) {
        pulses.add(pulse);
        pulse.start(scheduler);
    }

    void forget(Pulse pulse) {
        pulses.remove(pulse);
    }

    /** Sends one event; never throws. */
    void send(VigilEvent event) {
        String topic = event instanceof AgentHeartbeat ? topics.agentHeartbeats().name() : topics.heartbeats().name();
        try {
            producer.send(new ProducerRecord<>(topic, event.partitionKey(), event), (metadata, error) -> {
                if (error == null) {
                    delivered.incrementAndGet();
                    failures.recovered();
                } else {
                    failures.failed(event.partitionKey(), error);
                }
            });
        } catch (RuntimeException e) {
            failures.failed(event.partitionKey(), e);
        }
    }

    /** Configures a {@link HeartbeatClient}. */
    public static final class Builder {

        private final Map<String, Object> config = new HashMap<>();
        private String topicPrefix = TopicCatalog.DEFAULT_PREFIX;
        private double intervalFraction = 1.0 / 3;

        private Builder(String bootstrapServers) {
            config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, Objects.requireNonNull(bootstrapServers));
            config.put(ProducerConfig.CLIENT_ID_CONFIG, "vigil-heartbeat-" + ProcessHandle.current().pid());
            config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            config.put(ProducerConfig.ACKS_CONFIG, "all");
            config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
            // A beat must not wait long for a broker that is away: the next beat is the retry.
            config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 2_000);
            config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
            config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15_000);
            config.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000);
        }

        /** The topic prefix of the Vigil deployment (default {@value TopicCatalog#DEFAULT_PREFIX}). */
        public Builder topicPrefix(String prefix) {
            this.topicPrefix = prefix;
            return this;
        }

        /**
         * How often to beat, as a fraction of the timeout: default 1/3, so a run survives one lost or
         * delayed heartbeat (Kafka's own consumer heartbeats at a third of its session timeout). At
         * most 0.8, the slowest cadence that still leaves room for delivery.
         */
        public Builder intervalFraction(double fraction) {
            if (!(fraction > 0 && fraction <= 0.8)) {
                throw new IllegalArgumentException("interval fraction must be in (0, 0.8], was " + fraction);
            }
            this.intervalFraction = fraction;
            return this;
        }

        /** Any Kafka producer setting (security, client id, ...); overrides the defaults. */
        public Builder producerConfig(String key, Object value) {
            config.put(key, value);
            return this;
        }

        public HeartbeatClient build() {
            TopicCatalog topics = new TopicCatalog(topicPrefix);
            KafkaProducer<String, VigilEvent> producer =
                    new KafkaProducer<>(config, new StringSerializer(), JsonSerde.of(VigilEvent.class));
            return new HeartbeatClient(producer, topics, intervalFraction);
        }
    }

    /** Logs send failures without flooding: the first, then one summary every 30 s, and the recovery. */
    static final class SendFailures {
        private static final long LOG_EVERY_NANOS = Duration.ofSeconds(30).toNanos();
        private final Logger log;
        private final AtomicLong total = new AtomicLong();
        private final AtomicLong sinceRecovery = new AtomicLong();
        private volatile long lastLoggedNanos = System.nanoTime() - LOG_EVERY_NANOS;

        SendFailures(Logger log) {
            this.log = log;
        }

        void failed(String key, Exception error) {
            total.incrementAndGet();
            long failures = sinceRecovery.incrementAndGet();
            long now = System.nanoTime();
            if (now - lastLoggedNanos >= LOG_EVERY_NANOS) {
                lastLoggedNanos = now;
                log.warn("heartbeat for {} not delivered ({} failures so far); retrying on the next beat: {}",
                        key, failures, error.toString());
            }
        }

        void recovered() {
            long failures = sinceRecovery.getAndSet(0);
            if (failures > 0) {
                lastLoggedNanos = System.nanoTime() - LOG_EVERY_NANOS;
                log.info("heartbeats delivered again after {} failed sends", failures);
            }
        }

        long total() {
            return total.get();
        }
    }
}
