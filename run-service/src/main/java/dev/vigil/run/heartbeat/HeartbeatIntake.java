package dev.vigil.run.heartbeat;

import dev.vigil.contracts.KafkaSettings;
import dev.vigil.contracts.event.AgentHeartbeat;
import dev.vigil.contracts.event.Heartbeat;
import dev.vigil.contracts.heartbeat.HeartbeatTokens;
import dev.vigil.contracts.serde.InvalidEventException;
import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.run.RunSettings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Heartbeats sent over HTTP: checks the attempt's heartbeat token (no database read: the token names its
 * workspace and attempt, and its MAC covers them and the run id), limits each token's rate, and appends a
 * {@link Heartbeat} to {@code vigil.heartbeats} with an idempotent {@code acks=all} producer. A beat is
 * accepted only once the broker has it; the sweeper treats it exactly like one sent over Kafka.
 */
@Singleton
public class HeartbeatIntake implements AutoCloseable {

    /** A token's sustained rate and burst: far above any sensible interval (a third of a timeout of 1 s or more). */
    static final double BEATS_PER_SECOND = 5;
    static final int BURST = 20;
    /** How long a beat waits for the broker before the caller is told to come back (503). */
    static final Duration BROKER_TIMEOUT = Duration.ofSeconds(5);
    /** How long a beat waits for the topic's metadata (or for room in the producer's buffer), retried without blocking. */
    static final Duration METADATA_TIMEOUT = Duration.ofSeconds(2);
    private static final long FIRST_RETRY_MILLIS = 20;

    private static final Logger LOG = LoggerFactory.getLogger(HeartbeatIntake.class);

    private final HeartbeatTokens tokens;
    private final KafkaProducer<String, byte[]> producer;
    private final TopicCatalog catalog;
    private final Serializer<Heartbeat> heartbeats;
    private final Serializer<AgentHeartbeat> agentHeartbeats;
    private final TokenRateLimit limit = new TokenRateLimit(BEATS_PER_SECOND, BURST, 100_000, System::nanoTime);
    /** {@code vigil.http.heartbeats{result}}, one counter per outcome, looked up once. */
    private final Map<Outcome, Counter> counters = new EnumMap<>(Outcome.class);
    private final Optional<ReplacedAttempts> replaced;
    private volatile boolean closed;
    /** Beats waiting for a retry of their send: answered (not appended) if the intake closes first. */
    private final Set<CompletableFuture<Boolean>> pending = ConcurrentHashMap.newKeySet();
    /** Sends that could not start yet are tried again here (a send never blocks, so one thread is plenty). */
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "vigil-heartbeat-retries");
        thread.setDaemon(true);
        return thread;
    });

    public HeartbeatIntake(RunSettings settings, KafkaSettings kafka, TopicCatalog catalog, MeterRegistry registry,
                           Optional<ReplacedAttempts> replaced) {
        this.tokens = settings.heartbeatSecret() == null ? null : new HeartbeatTokens(settings.heartbeatSecret());
        this.catalog = catalog;
        this.heartbeats = catalog.heartbeats().valueSerde().serializer();
        this.agentHeartbeats = catalog.agentHeartbeats().valueSerde().serializer();
        for (Outcome outcome : Outcome.values()) {
            counters.put(outcome, registry.counter("vigil.http.heartbeats", "result", outcome.name().toLowerCase(Locale.ROOT)));
        }
        this.replaced = replaced;
        Map<String, Object> config = new HashMap<>(kafka.clientConfig());
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "vigil-run-service-heartbeats");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 2);
        // send() never blocks its caller (Netty's event loop, for the fast path): without the topic's metadata or room
        // in the buffer it throws at once, and append() tries again a little later, up to METADATA_TIMEOUT.
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 0);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 3_000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) BROKER_TIMEOUT.toMillis());
        this.producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }

    /** What a beat came to. */
    public enum Outcome { ACCEPTED, NO_TOKENS, UNAUTHORIZED, WRONG_ATTEMPT, INVALID, LIMITED, UNAVAILABLE }

    /** The outcome, and for {@code ACCEPTED} the attempt, else what to tell the caller. */
    public record Result(Outcome outcome, int attempt, String detail) {
    }

    /** One run an agent's beat names, with that run's attempt token. */
    public record HostedRun(String runId, String token) {
    }

    /** The outcome of an agent's beat, and what became of each run it named (by run id). */
    public record AgentResult(Outcome outcome, String workspace, Map<String, Outcome> runs, String detail) {
    }

    /** The most runs one agent beat may name. */
    public static final int MAX_HOSTED_RUNS = 1_000;

    /**
     * Checks and appends one beat of run {@code runId}; completes once the broker has it or it is refused.
     *
     * @param attempt the attempt the body names, or null (then the token's)
     */
    public CompletableFuture<Result> beat(String runId, String token, Integer attempt, Long steps, String message, Long seq) {
        Result refused = check(runId, token, attempt);
        if (refused.outcome() != Outcome.ACCEPTED) {
            return done(refused);
        }
        int beatAttempt = refused.attempt();
        if (!limit.tryAcquire(token)) {
            return done(new Result(Outcome.LIMITED, beatAttempt, "more than " + (int) BEATS_PER_SECOND + " beats/s (burst "
                    + BURST + ") with this token; beat every third of the heartbeat timeout"));
        }
        byte[] beat;
        try {
            beat = serialize(Heartbeat.of(runId, beatAttempt, null, seq == null ? 0 : seq, steps, message, token));
        } catch (InvalidEventException e) {
            return done(new Result(Outcome.INVALID, beatAttempt, e.getMessage()));
        }
        return append(catalog.heartbeats().name(), runId, beat).thenApply(appended -> count(appended
                ? new Result(Outcome.ACCEPTED, beatAttempt, null)
                : new Result(Outcome.UNAVAILABLE, beatAttempt, "the broker did not take the beat")));
    }

    /**
     * Checks and appends one beat of agent {@code agentId} of the workspace its credential names, and one beat of each
     * run it names whose token is that run's (the others are reported, not sent); completes once the broker has them.
     */
    public CompletableFuture<AgentResult> agentBeat(String agentId, String credential, String instanceId, Duration grace,
                                                    Long seq, List<HostedRun> runs) {
        if (tokens == null) {
            return done(Outcome.NO_TOKENS, null, Map.of(), NO_TOKENS);
        }
        String workspace = HeartbeatTokens.agentWorkspaceOf(credential);
        if (workspace == null || !tokens.verifiesAgent(credential, workspace)) {
            return done(Outcome.UNAUTHORIZED, null, Map.of(), "no agent credential: send the workspace's credential "
                    + "(GET /api/v1/agents/credential) as 'Authorization: Bearer <credential>'");
        }
        if (runs.size() > MAX_HOSTED_RUNS) {
            return done(Outcome.INVALID, workspace, Map.of(), "at most " + MAX_HOSTED_RUNS + " runs per beat, was " + runs.size());
        }
        byte[] agentBeat;
        try {
            agentBeat = serialize(AgentHeartbeat.of(workspace, agentId, instanceId, seq == null ? 0 : seq, grace, credential));
        } catch (InvalidEventException e) { // checked before the rate limit keeps anything of it
            return done(Outcome.INVALID, workspace, Map.of(), e.getMessage());
        }
        if (!limit.tryAcquire(AgentHeartbeat.agentKey(workspace, agentId))) {
            return done(Outcome.LIMITED, workspace, Map.of(), "more than " + (int) BEATS_PER_SECOND + " beats/s (burst "
                    + BURST + ") for this agent; beat every third of its grace period");
        }
        Map<String, Outcome> outcomes = new LinkedHashMap<>();
        List<CompletableFuture<Boolean>> sends = new ArrayList<>();
        sends.add(append(catalog.agentHeartbeats().name(), AgentHeartbeat.agentKey(workspace, agentId), agentBeat));
        for (HostedRun run : runs) {
            if (run == null || run.runId() == null || outcomes.containsKey(run.runId())) {
                continue; // a run named twice is beaten once
            }
            Result checked = check(run.runId(), run.token(), null);
            if (checked.outcome() == Outcome.ACCEPTED && !limit.tryAcquire(run.token())) {
                checked = new Result(Outcome.LIMITED, checked.attempt(), null); // a run token's limit holds here too
            }
            if (checked.outcome() == Outcome.ACCEPTED) {
                sends.add(append(catalog.heartbeats().name(), run.runId(), serialize(Heartbeat.of(run.runId(),
                        checked.attempt(), agentId, seq == null ? 0 : seq, null, null, run.token()))));
            }
            outcomes.put(run.runId(), checked.outcome());
        }
        return CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).thenApply(all -> {
            boolean appended = sends.stream().allMatch(CompletableFuture::join);
            count(new Result(appended ? Outcome.ACCEPTED : Outcome.UNAVAILABLE, 0, null));
            return appended ? new AgentResult(Outcome.ACCEPTED, workspace, outcomes, null)
                    : new AgentResult(Outcome.UNAVAILABLE, workspace, outcomes, "the broker did not take the beats");
        });
    }

    private static final String NO_TOKENS = "run-service issues no heartbeat tokens (vigil.heartbeats.secret is not set)";

    /** {@code ACCEPTED} with the attempt when {@code token} may beat for {@code runId}, else why not. */
    private Result check(String runId, String token, Integer attempt) {
        if (tokens == null) {
            return new Result(Outcome.NO_TOKENS, 0, NO_TOKENS);
        }
        if (attempt != null && attempt < 1) {
            return new Result(Outcome.INVALID, 0, "attempt must be 1 or more, was " + attempt);
        }
        int tokenAttempt = HeartbeatTokens.attemptOf(token);
        int beatAttempt = attempt != null ? attempt : tokenAttempt;
        if (runId == null || token == null || beatAttempt < 1 || !tokens.verifiesRun(token, runId, beatAttempt)) {
            if (runId != null && token != null && attempt != null && tokenAttempt > 0 && tokenAttempt != attempt
                    && tokens.verifiesRun(token, runId, tokenAttempt)) {
                return new Result(Outcome.WRONG_ATTEMPT, tokenAttempt, "this token is attempt " + tokenAttempt
                        + "'s; the beat names attempt " + attempt);
            }
            return new Result(Outcome.UNAUTHORIZED, 0, "no heartbeat token of this run: send the token its create or "
                    + "retry returned, as 'Authorization: Bearer <token>' or '?token=<token>'");
        }
        int current = replaced.map(attempts -> attempts.latestRetry(runId)).orElse(0);
        if (current > beatAttempt) {
            return new Result(Outcome.WRONG_ATTEMPT, beatAttempt, "attempt " + beatAttempt + " was replaced by attempt "
                    + current + " (a retry): this worker is a zombie and should stop");
        }
        return new Result(Outcome.ACCEPTED, beatAttempt, null);
    }

    private byte[] serialize(Heartbeat beat) {
        return heartbeats.serialize(catalog.heartbeats().name(), beat);
    }

    private byte[] serialize(AgentHeartbeat beat) {
        return agentHeartbeats.serialize(catalog.agentHeartbeats().name(), beat);
    }

    /**
     * Completes true once the broker has the record, false if it did not take it (never exceptionally). Never blocks
     * the caller: a send that cannot start yet (no metadata for the topic, a full buffer) is tried again after
     * {@value #FIRST_RETRY_MILLIS} ms, then twice as long each time, for up to {@link #METADATA_TIMEOUT}.
     */
    private CompletableFuture<Boolean> append(String topic, String key, byte[] value) {
        CompletableFuture<Boolean> appended = new CompletableFuture<>();
        send(new ProducerRecord<>(topic, key, value), System.nanoTime() + METADATA_TIMEOUT.toNanos(), FIRST_RETRY_MILLIS,
                appended);
        return appended;
    }

    private void send(ProducerRecord<String, byte[]> record, long deadline, long backoffMillis,
                      CompletableFuture<Boolean> appended) {
        Thread caller = Thread.currentThread();
        try {
            producer.send(record, (metadata, error) -> {
                // Called in send() itself when it could not start (no metadata yet, no room): try again shortly.
                // Only what may pass (a record too large, a topic not authorized, never will).
                if (error instanceof RetriableException && Thread.currentThread() == caller && !closed
                        && System.nanoTime() - deadline < 0) {
                    try {
                        pending.add(appended);
                        retries.schedule(() -> {
                            pending.remove(appended);
                            send(record, deadline, backoffMillis * 2, appended);
                        }, backoffMillis, TimeUnit.MILLISECONDS);
                        return;
                    } catch (RejectedExecutionException closing) {
                        // answered below
                    }
                }
                if (error != null) {
                    LOG.warn("heartbeat {} on {} not appended: {}", record.key(), record.topic(), error.toString());
                }
                appended.complete(error == null);
            });
        } catch (RuntimeException e) { // the producer is closed
            LOG.warn("heartbeat {} on {} not appended: {}", record.key(), record.topic(), e.toString());
            appended.complete(false);
        }
    }

    private CompletableFuture<Result> done(Result result) {
        return CompletableFuture.completedFuture(count(result));
    }

    private CompletableFuture<AgentResult> done(Outcome outcome, String workspace, Map<String, Outcome> runs, String detail) {
        count(new Result(outcome, 0, detail));
        return CompletableFuture.completedFuture(new AgentResult(outcome, workspace, runs, detail));
    }

    private Result count(Result result) {
        counters.get(result.outcome()).increment();
        return result;
    }

    @PreDestroy
    @Override
    public void close() {
        closed = true;
        retries.shutdownNow();
        pending.forEach(waiting -> waiting.complete(false)); // retries that will not run now: answered, not lost
        producer.close(Duration.ofSeconds(5));
    }
}
