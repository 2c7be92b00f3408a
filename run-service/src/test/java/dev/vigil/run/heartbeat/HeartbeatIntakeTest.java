package dev.vigil.run.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.contracts.ConfigLookup;
import dev.vigil.contracts.KafkaSettings;
import dev.vigil.contracts.heartbeat.HeartbeatTokens;
import dev.vigil.contracts.topic.TopicCatalog;
import dev.vigil.infra.KafkaServerProcess;
import dev.vigil.run.RunSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The intake runs on Netty's event loop (the fast path): a beat must never block its caller, not even when no broker
 * answers, and still end in a clear 503 rather than a silent drop.
 */
class HeartbeatIntakeTest {

    private static final String SECRET = "heartbeat-intake-test-secret-0123456789ab";

    @Test
    void withNoBrokerABeatReturnsAtOnceAndEndsUnavailable() throws Exception {
        String nobody = "127.0.0.1:" + KafkaServerProcess.freePort(); // nothing listens there
        RunSettings settings = settings();
        try (HeartbeatIntake intake = new HeartbeatIntake(settings, KafkaSettings.local(nobody, "intake-test."),
                new TopicCatalog("intake-test."), new SimpleMeterRegistry(), Optional.empty())) {
            String run = UUID.randomUUID().toString();
            CompletableFuture<HeartbeatIntake.Result> beat = intake.beat(run,
                    new HeartbeatTokens(SECRET).forRun("acme", run, 1), null, 3L, "chapter 3", null);

            assertThat(beat).as("the caller did not wait for the broker's metadata").isNotDone();
            HeartbeatIntake.Result result = beat.get(30, TimeUnit.SECONDS);
            assertThat(result.outcome()).isEqualTo(HeartbeatIntake.Outcome.UNAVAILABLE);
        }
    }

    @Test
    void aRefusedBeatIsAnsweredWithoutTheBroker() {
        RunSettings settings = settings();
        try (HeartbeatIntake intake = new HeartbeatIntake(settings, KafkaSettings.local("127.0.0.1:1", "intake-test."),
                new TopicCatalog("intake-test."), new SimpleMeterRegistry(), Optional.empty())) {
            String run = UUID.randomUUID().toString();
            assertThat(intake.beat(run, "vr2~acme~1~forged", null, null, null, null))
                    .isCompletedWithValueMatching(r -> r.outcome() == HeartbeatIntake.Outcome.UNAUTHORIZED);
            assertThat(intake.beat(run, new HeartbeatTokens(SECRET).forRun("acme", run, 1), 2, null, null, null))
                    .isCompletedWithValueMatching(r -> r.outcome() == HeartbeatIntake.Outcome.WRONG_ATTEMPT);
        }
    }

    private static RunSettings settings() {
        return RunSettings.from(ConfigLookup.of(Map.of("vigil.heartbeats.secret", SECRET)));
    }
}
