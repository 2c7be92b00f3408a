package dev.vigil.sweeper;

import static dev.vigil.sweeper.SweeperHarness.timeouts;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.event.RunTimeouts;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Agents belong to a workspace: the same agent id in two workspaces is two agents. One tenant's agent
 * heartbeats (or silence) never keep alive, nor lose, another tenant's runs.
 */
class AgentTenancyTest {

    private static final RunTimeouts LONG = timeouts(600_000, 600_000, 600_000, 3_600_000);
    private final SweeperHarness sweeper = new SweeperHarness();

    @AfterEach
    void close() {
        sweeper.close();
    }

    @Test
    void anotherWorkspacesAgentOfTheSameIdCannotShortenTheGraceAndLoseTheRuns() {
        Duration grace = Duration.ofSeconds(30);
        sweeper.created("acme", "victim", 1, 0, LONG, "agent-1");
        for (long at = 0; at <= 60_000; at += 5_000) {
            sweeper.agentHeartbeat("acme", "agent-1", at, grace);
            if (at == 10_000) {
                // Another tenant's agent of the same name beats once with a 1 s grace, then goes silent.
                sweeper.agentHeartbeat("evil", "agent-1", at + 1, Duration.ofSeconds(1));
            }
            sweeper.tick(at + 2_500);
        }
        assertThat(sweeper.timedOut()).isEmpty();
    }

    @Test
    void anotherWorkspacesAgentOfTheSameIdCannotKeepTheRunsAlive() {
        Duration grace = Duration.ofSeconds(5);
        sweeper.agentHeartbeat("acme", "agent-1", 0, grace);
        sweeper.created("acme", "lost", 1, 100, LONG, "agent-1");
        sweeper.created("evil", "theirs", 1, 100, LONG, "agent-1");
        for (long at = 1_000; at <= 30_000; at += 1_000) {
            sweeper.agentHeartbeat("evil", "agent-1", at, grace); // only the other tenant's agent lives
            sweeper.tick(at + 500);
        }
        assertThat(sweeper.timedOut()).singleElement().satisfies(t -> {
            assertThat(t.runId()).isEqualTo("lost");
            assertThat(t.reason()).isEqualTo(Reason.AGENT_LOST);
            assertThat(t.agentId()).as("the agent id as the tenant named it").isEqualTo("agent-1");
            assertThat(t.dueAt()).isEqualTo(Instant.ofEpochMilli(5_000));
        });
        assertThat(sweeper.timedOut()).extracting(RunTimedOut::runId).doesNotContain("theirs");
    }
}
