package dev.vigil.run.heartbeat;

import dev.vigil.contracts.KafkaSettings;
import dev.vigil.contracts.event.Heartbeat;
import dev.vigil.contracts.heartbeat.HeartbeatTokens;
import dev.vigil.contracts.serde.InvalidEventException;
import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.run.RunSettings;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
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

    private static final Logger LOG = LoggerFactory.getLogger(HeartbeatIntake.class);

    private final HeartbeatTokens tokens;
    private final KafkaProducer<String, Heartbeat> producer;
    private final String topic;
    private final TokenRateLimit limit = new TokenRateLimit(BEATS_PER_SECOND, BURST, 100_000, System::nanoTime);
    private final MeterRegistry registry;
    private final Optional<ReplacedAttempts> replaced;

    public HeartbeatIntake(RunSettings settings, KafkaSettings kafka, TopicCatalog catalog, MeterRegistry registry,
                           Optional<ReplacedAttempts> replaced) {
        this.replaced = replaced;
        this.tokens = settings.heartbeatSecret() == null ? null : new HeartbeatTokens(settings.heartbeatSecret());
        this.topic = catalog.heartbeats().name();
        this.registry = registry;
        Map<String, Object> config = new HashMap<>(kafka.clientConfig());
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "vigil-run-service-heartbeats");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 2);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 2_000);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 3_000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) BROKER_TIMEOUT.toMillis());
        Serializer<Heartbeat> values = catalog.heartbeats().valueSerde().serializer();
        this.producer = new KafkaProducer<>(config, new StringSerializer(), values);
    }

    /** What a beat came to. */
    public enum Outcome { ACCEPTED, NO_TOKENS, UNAUTHORIZED, WRONG_ATTEMPT, INVALID, LIMITED, UNAVAILABLE }

    /** The outcome, and for {@code ACCEPTED} the attempt, else what to tell the caller. */
    public record Result(Outcome outcome, int attempt, String detail) {
    }

    /**
     * Checks and appends one beat of run {@code runId}; completes once the broker has it or it is refused.
     *
     * @param attempt the attempt the body names, or null (then the token's)
     */
    public CompletableFuture<Result> beat(String runId, String token, Integer attempt, Long steps, String message, Long seq) {
        if (tokens == null) {
            return done(Outcome.NO_TOKENS, 0, "run-service issues no heartbeat tokens (vigil.heartbeats.secret is not set)");
        }
        if (attempt != null && attempt < 1) {
            return done(Outcome.INVALID, 0, "attempt must be 1 or more, was " + attempt);
        }
        int tokenAttempt = HeartbeatTokens.attemptOf(token);
        int beatAttempt = attempt != null ? attempt : tokenAttempt;
        if (token == null || beatAttempt < 1 || !tokens.verifiesRun(token, runId, beatAttempt)) {
            if (token != null && attempt != null && tokenAttempt > 0 && tokenAttempt != attempt
                    && tokens.verifiesRun(token, runId, tokenAttempt)) {
                return done(Outcome.WRONG_ATTEMPT, tokenAttempt, "this token is attempt " + tokenAttempt
                        + "'s; the beat names attempt " + attempt);
            }
            return done(Outcome.UNAUTHORIZED, 0, "no heartbeat token of this run: send the token its create or retry "
                    + "returned, as 'Authorization: Bearer <token>' or '?token=<token>'");
        }
        int current = replaced.map(attempts -> attempts.latestRetry(runId)).orElse(0);
        if (current > beatAttempt) {
            return done(Outcome.WRONG_ATTEMPT, beatAttempt, "attempt " + beatAttempt + " was replaced by attempt " + current
                    + " (a retry): this worker is a zombie and should stop");
        }
        if (!limit.tryAcquire(token)) {
            return done(Outcome.LIMITED, beatAttempt, "more than " + (int) BEATS_PER_SECOND + " beats/s (burst " + BURST
                    + ") with this token; beat every third of the heartbeat timeout");
        }
        Heartbeat beat;
        try {
            beat = Heartbeat.of(runId, beatAttempt, null, seq == null ? 0 : seq, steps, message, token);
        } catch (InvalidEventException e) {
            return done(Outcome.INVALID, beatAttempt, e.getMessage());
        }
        CompletableFuture<Result> result = new CompletableFuture<>();
        try {
            producer.send(new ProducerRecord<>(topic, runId, beat), (metadata, error) -> {
                if (error == null) {
                    result.complete(count(new Result(Outcome.ACCEPTED, beatAttempt, null)));
                } else {
                    LOG.warn("heartbeat of run {} attempt {} not appended: {}", runId, beatAttempt, error.toString());
                    result.complete(count(new Result(Outcome.UNAVAILABLE, beatAttempt, "the broker did not take the beat")));
                }
            });
        } catch (RuntimeException e) { // max.block.ms: no metadata, the broker is away
            LOG.warn("heartbeat of run {} attempt {} not appended: {}", runId, beatAttempt, e.toString());
            result.complete(count(new Result(Outcome.UNAVAILABLE, beatAttempt, "the broker is unavailable")));
        }
        return result;
    }

    private CompletableFuture<Result> done(Outcome outcome, int attempt, String detail) {
        return CompletableFuture.completedFuture(count(new Result(outcome, attempt, detail)));
    }

    private Result count(Result result) {
        registry.counter("vigil.http.heartbeats", "result", result.outcome().name().toLowerCase(java.util.Locale.ROOT))
                .increment();
        return result;
    }

    @PreDestroy
    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
