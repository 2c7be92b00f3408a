package dev.vigil.sweeper;

import static dev.vigil.sweeper.SweeperHarness.timeouts;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.contracts.event.Heartbeat;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunFinished;
import dev.vigil.contracts.event.RunStatus;
import dev.vigil.contracts.event.RunTimeouts;
import dev.vigil.contracts.heartbeat.HeartbeatTokens;
import dev.vigil.contracts.serde.EventJson;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Detection keeps its promises whatever else arrives on its inputs. Three canaries — a run that dies at
 * 20 s (acme), a run that lives (globex), and a run hosted by a live agent (acme's {@code agent-1}) — run
 * beside generated hostile records: garbage on every input, heartbeats with no, forged, another run's or
 * a future attempt's token, heartbeats under another run's key, another workspace's {@code agent-1}
 * beating with a 1 s grace and vanishing, finishes of runs nobody created. The dying canary times out
 * exactly once, exactly at its due time; the others never; every hostile record that is not valid is
 * dead-lettered. Tokens are required, as in production. Seeds are printed by jqwik on failure.
 */
class HostileRecordsTest {

    private static final HeartbeatTokens TOKENS = new HeartbeatTokens("hostile-records-test-secret-0123456789ab");
    private static final RunTimeouts T10 = timeouts(10_000, 30_000, 20_000, 3_600_000);
    private static final long END = 45_000;

    enum Kind { GARBAGE, NO_TOKEN, FORGED_TOKEN, OTHER_RUNS_TOKEN, FUTURE_ATTEMPT, WRONG_KEY, FOREIGN_AGENT, GHOST_FINISH }

    record Hostile(Kind kind, long at, int topic, byte[] bytes, int attempt) {
    }

    @Property // tries: jqwik.tries.default (junit-platform.properties; -Djqwik.tries.default=N for a longer attack)
    void canariesTimeOutOnTimeAndOnlyThemWhateverElseArrives(@ForAll("attacks") List<Hostile> attacks) {
        try (SweeperHarness sweeper = new SweeperHarness(SweeperConfig.defaults().requiringTokens(TOKENS))) {
            sweeper.created("acme", "dies", 1, 0, T10, null);
            sweeper.created("globex", "lives", 1, 0, T10, null);
            sweeper.created("acme", "hosted", 1, 0, timeouts(600_000, 600_000, 600_000, 3_600_000), "agent-1");
            int invalid = 0;
            int next = 0;
            List<Hostile> sorted = attacks.stream().sorted(java.util.Comparator.comparingLong(Hostile::at)).toList();
            for (long at = 500; at <= END; at += 500) {
                sweeper.tick(at);
                if (at % 2_000 == 0) {
                    if (at <= 20_000) {
                        sweeper.heartbeat("dies", 1, at, TOKENS.forRun("acme", "dies", 1));
                    }
                    sweeper.heartbeat("lives", 1, at, TOKENS.forRun("globex", "lives", 1));
                    sweeper.agentHeartbeat("acme", "agent-1", at, Duration.ofSeconds(10), TOKENS.forAgent("acme"));
                }
                while (next < sorted.size() && sorted.get(next).at() <= at) {
                    invalid += play(sweeper, sorted.get(next++), at);
                }
            }
            assertThat(sweeper.timedOut()).as("only the dead canary, once, on time").singleElement().satisfies(t -> {
                assertThat(t.runId()).isEqualTo("dies");
                assertThat(t.reason()).isEqualTo(Reason.HEARTBEAT_TIMEOUT);
                assertThat(t.dueAt()).isEqualTo(Instant.ofEpochMilli(30_000));
            });
            assertThat(sweeper.deadLetters()).hasSize(invalid);
        }
    }

    /** Pipes one hostile record; returns 1 if it must be dead-lettered. */
    private static int play(SweeperHarness sweeper, Hostile h, long at) {
        switch (h.kind()) {
            case GARBAGE -> {
                byte[] key = "dies".getBytes(StandardCharsets.UTF_8);
                switch (h.topic()) {
                    case 0 -> sweeper.rawHeartbeat(key, h.bytes(), at);
                    case 1 -> sweeper.rawRunEvent(key, h.bytes(), at);
                    default -> sweeper.rawAgentHeartbeat(key, h.bytes(), at);
                }
                return 1;
            }
            case NO_TOKEN -> beat(sweeper, "dies", "dies", 1, null, at);
            case FORGED_TOKEN -> beat(sweeper, "dies", "dies", 1, "vr1~acme~" + "A".repeat(43), at);
            case OTHER_RUNS_TOKEN -> beat(sweeper, "dies", "dies", 1, TOKENS.forRun("globex", "lives", 1), at);
            case FUTURE_ATTEMPT -> beat(sweeper, "lives", "lives", h.attempt(), TOKENS.forRun("globex", "lives", 1), at);
            case WRONG_KEY -> beat(sweeper, "lives", "dies", 1, TOKENS.forRun("acme", "dies", 1), at);
            case FOREIGN_AGENT -> {
                // A valid credential, but of another workspace: its agent-1 is not acme's.
                sweeper.agentHeartbeat("evil", "agent-1", at, Duration.ofSeconds(1), TOKENS.forAgent("evil"));
                return 0;
            }
            case GHOST_FINISH -> {
                RunFinished finished = RunFinished.of("ghost-" + h.attempt(), h.attempt(), "evil", "k", RunStatus.FAILED,
                        Reason.ERROR, "boom", null);
                sweeper.rawRunEvent(finished.runId().getBytes(StandardCharsets.UTF_8), EventJson.write(finished), at);
                return 0;
            }
            default -> throw new IllegalStateException(h.kind().name());
        }
        return 1;
    }

    private static void beat(SweeperHarness sweeper, String key, String runId, int attempt, String token, long at) {
        byte[] value = EventJson.write(Heartbeat.of(runId, attempt, null, 0, null, null, token));
        sweeper.rawHeartbeat(key.getBytes(StandardCharsets.UTF_8), value, at);
    }

    @Provide
    Arbitrary<List<Hostile>> attacks() {
        Arbitrary<Hostile> one = Combinators.combine(Arbitraries.of(Kind.class), Arbitraries.longs().between(0, END),
                Arbitraries.integers().between(0, 2), Arbitraries.bytes().array(byte[].class).ofMaxSize(64),
                Arbitraries.integers().between(2, 9)).as(Hostile::new);
        return one.list().ofMinSize(1).ofMaxSize(60);
    }
}
