package dev.vigil.run.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.contracts.event.RunStatus;
import dev.vigil.run.RunOverview;
import dev.vigil.run.store.AuditRow;
import dev.vigil.run.store.CleanupRow;
import dev.vigil.run.store.RunRow;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RunMapperTest {

    private static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");
    private static final UUID ID = UUID.randomUUID();

    @Test
    void theTimelineMergesAuditCleanupsAndProgressOldestFirstKeepingTheAuditsOrderWithinAnInstant() {
        RunRow run = new RunRow(ID, "acme", "chat-1", null, "agent-1", 2, RunStatus.RUNNING, null, null, 30_000, 60_000,
                45_000, 3_600_000, "agents", "{\"session\":\"" + ID + "\"}", 4L, "chapter 4", 12, T0.plusSeconds(50), 0,
                T0, T0.plusSeconds(40), null, null, T0.plusSeconds(50), T0.plusSeconds(30), null, null, null, null, null, null);
        List<AuditRow> audit = List.of(
                audit(1L, 1, "created", T0),
                audit(2L, 1, "timed_out", T0.plusSeconds(20)),
                audit(3L, 2, "retried", T0.plusSeconds(30)),
                audit(4L, 2, "started", T0.plusSeconds(40)));
        List<CleanupRow> cleanups = List.of(new CleanupRow("e-1", ID, "acme", 1, "agents", "Deployment", "worker",
                "DELETED", "RUN_FINISHED", null, T0.plusSeconds(20), T0.plusSeconds(21)));

        RunViews.Timeline timeline = RunMapper.timeline(new RunOverview.History(run, audit, cleanups));

        assertThat(timeline.entries()).extracting(RunViews.TimelineEntry::action)
                .containsExactly("created", "timed_out", "resource_deleted", "retried", "started", "progress");
        RunViews.TimelineEntry cleanup = timeline.entries().get(2);
        assertThat(cleanup.kind()).isEqualTo("cleanup");
        assertThat(cleanup.resource()).isEqualTo(new RunViews.Resource("agents", "Deployment", "worker", "DELETED",
                "RUN_FINISHED"));
        assertThat(timeline.entries().get(5).detail()).isEqualTo("4 steps: chapter 4 (12 heartbeats)");
        assertThat(timeline.run().attempt()).isEqualTo(2);
    }

    @Test
    void theSummaryNamesEveryStatusAndAddsThemUp() {
        Map<RunStatus, Long> counts = new java.util.EnumMap<>(RunStatus.class);
        for (RunStatus status : RunStatus.values()) {
            counts.put(status, 1L);
        }
        RunViews.Summary summary = RunMapper.summary("acme", new RunOverview.Summary(counts,
                Map.of(RunStatus.PENDING, 2L), T0));
        assertThat(summary.counts()).containsKeys("PENDING", "TIMED_OUT").hasSize(RunStatus.values().length);
        assertThat(summary.total()).isEqualTo(RunStatus.values().length);
        assertThat(summary.stuckTotal()).isEqualTo(2);
    }

    private static AuditRow audit(long id, int attempt, String action, Instant at) {
        return new AuditRow(id, ID, "acme", attempt, action, null, null, null, "user:alice", null, at);
    }
}
