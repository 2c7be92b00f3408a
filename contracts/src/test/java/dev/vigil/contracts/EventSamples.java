package dev.vigil.contracts;

import dev.vigil.contracts.event.AgentHeartbeat;
import dev.vigil.contracts.event.CleanupOutcome;
import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.event.CleanupTarget;
import dev.vigil.contracts.event.CleanupTrigger;
import dev.vigil.contracts.event.FirstHeartbeatReceived;
import dev.vigil.contracts.event.Heartbeat;
import dev.vigil.contracts.event.ProgressReported;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunCreated;
import dev.vigil.contracts.event.RunDeadlineApproaching;
import dev.vigil.contracts.event.RunFinished;
import dev.vigil.contracts.event.RunStarted;
import dev.vigil.contracts.event.RunStatus;
import dev.vigil.contracts.event.RunStopRequested;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.event.RunTimeouts;
import dev.vigil.contracts.event.StallAction;
import dev.vigil.contracts.event.StopRun;
import dev.vigil.contracts.event.VigilEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** One fully populated example of every event type. */
public final class EventSamples {

    public static final String RUN = "run-7f3a";
    public static final RunTimeouts TIMEOUTS = new RunTimeouts(Duration.ofSeconds(30), Duration.ofMinutes(2),
            Duration.ofSeconds(45), Duration.ofHours(2), Duration.ofMinutes(10), StallAction.FLAG, 0.8);
    public static final CleanupTarget CLEANUP = CleanupTarget.of("agents", Labels.DEFAULT_RUN_LABEL, RUN);

    private EventSamples() {
    }

    public static List<VigilEvent> all() {
        Instant at = Instant.parse("2026-11-23T10:15:30.123Z");
        return List.of(
                Heartbeat.of(RUN, 1, "agent-1", 42, 7L, "chapter 7 of 12"),
                AgentHeartbeat.of("acme", "agent-1", "pod-5d8f", 9, Duration.ofSeconds(20)),
                RunCreated.of(RUN, 1, "acme", "chat-91", "chat-turn", "agent-1", TIMEOUTS, CLEANUP),
                RunStarted.of(RUN, 1, "agent-1"),
                RunStopRequested.of(RUN, 1, 1, "user:alice", "agent-1"),
                RunFinished.of(RUN, 1, "acme", "chat-91", RunStatus.TIMED_OUT, Reason.HEARTBEAT_TIMEOUT,
                        "no heartbeat for PT30S", CLEANUP),
                FirstHeartbeatReceived.of(RUN, 1, "agent-1", at),
                ProgressReported.of(RUN, 1, 7L, "chapter 7 of 12", 19, at),
                RunTimedOut.of(RUN, 1, Reason.STOP_TIMEOUT, at, at.minusSeconds(50), "agent-1", true, 1),
                RunTimedOut.of(RUN, 1, Reason.PROGRESS_STALLED, at, at.minusSeconds(5), "agent-1", true, null,
                        at.minusSeconds(600)),
                StopRun.of(RUN, 1, "acme", "agent-1", 2, "vigil:stop-timeout"),
                CleanupPerformed.of(RUN, 1, "agents", "Deployment", "session-run-7f3a", CleanupOutcome.DELETED,
                        CleanupTrigger.RUN_FINISHED, null),
                RunDeadlineApproaching.of(RUN, 1, at.plusSeconds(1440), at));
    }
}
