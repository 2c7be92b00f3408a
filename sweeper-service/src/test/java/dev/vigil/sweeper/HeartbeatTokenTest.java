package dev.vigil.sweeper;

import static dev.vigil.sweeper.SweeperHarness.timeouts;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.contracts.VigilHeaders;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.event.RunTimeouts;
import dev.vigil.contracts.heartbeat.HeartbeatTokens;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * With {@code vigil.heartbeats.require-token}, only a worker holding its attempt's token keeps the attempt
 * alive: a forged, missing, another run's or another attempt's (a zombie's) token is dead-lettered and
 * changes nothing; an agent heartbeat needs its workspace's credential.
 */
class HeartbeatTokenTest {

    private static final HeartbeatTokens TOKENS = new HeartbeatTokens("a-secret-of-at-least-32-bytes-0123456789");
    private static final RunTimeouts T10 = timeouts(10_000, 30_000, 20_000, 3_600_000);
    private final SweeperHarness sweeper = new SweeperHarness(SweeperConfig.defaults().requiringTokens(TOKENS));

    @AfterEach
    void close() {
        sweeper.close();
    }

    @Test
    void onlyTheAttemptsOwnTokenKeepsItAlive() {
        sweeper.created("mine", 1, 0, T10);
        sweeper.created("forged", 2, 0, T10);
        for (long at = 1_000; at <= 40_000; at += 3_000) {
            sweeper.heartbeat("mine", 1, at, TOKENS.forRun("acme", "mine", 1));
            sweeper.heartbeat("forged", 2, at, at < 20_000 ? TOKENS.forRun("acme", "forged", 2) : null);
            sweeper.heartbeat("forged", 2, at + 1, TOKENS.forRun("acme", "forged", 1)); // the zombie's token
            sweeper.heartbeat("forged", 2, at + 2, TOKENS.forRun("acme", "mine", 1)); // another run's
            sweeper.heartbeat("forged", 2, at + 3, "vr1~acme~forged");
        }
        sweeper.ticks(40_500, 48_000, 500); // "mine" beat last at 40 s: alive until 50 s
        assertThat(sweeper.timedOut()).as(sweeper.timedOut().toString()).singleElement().satisfies(t -> {
            assertThat(t.runId()).isEqualTo("forged");
            assertThat(t.reason()).isEqualTo(Reason.HEARTBEAT_TIMEOUT);
            assertThat(t.lastHeartbeatAt().toEpochMilli()).as("its last beat with its own token").isEqualTo(19_000);
        });
        assertThat(sweeper.deadLetters()).extracting(HeartbeatTokenTest::reason)
                .hasSize(14 + 14 + 14 + 7).allSatisfy(reason -> assertThat(reason).contains("token"));
    }

    @Test
    void agentHeartbeatsNeedTheirWorkspacesCredential() {
        Duration grace = Duration.ofSeconds(5);
        sweeper.created("acme", "session", 1, 0, timeouts(600_000, 600_000, 600_000, 3_600_000), "agent-1");
        sweeper.agentHeartbeat("acme", "agent-1", 100, grace, TOKENS.forAgent("acme"));
        for (long at = 1_000; at <= 30_000; at += 1_000) {
            sweeper.agentHeartbeat("acme", "agent-1", at, grace, TOKENS.forAgent("evil")); // not acme's
            sweeper.tick(at + 500);
        }
        assertThat(sweeper.timedOut()).extracting(RunTimedOut::runId).containsExactly("session");
        assertThat(sweeper.deadLetters()).hasSize(30);
    }

    private static String reason(TestRecord<byte[], byte[]> record) {
        return new String(record.headers().lastHeader(VigilHeaders.DLQ_REASON).value(), StandardCharsets.UTF_8);
    }
}
